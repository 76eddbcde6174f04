package dev.herald.dispatcher.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.api.ApiDirectives;
import dev.herald.dispatcher.journey.JourneyDefinition;
import dev.herald.dispatcher.journey.JourneyStore;
import dev.herald.dispatcher.service.HeraldService;
import dev.herald.dispatcher.service.ServiceSettings;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Journeys, funnels and CSV opt-outs on a cluster of one in this JVM (four partitions), against a
 * single node given the same requests as the oracle: a journey is made once on every partition
 * under one id and its report is the single node's; a campaign's funnel and the period report add
 * up to the single node's (rates from the sums); a CSV opt-out upload is split by partition and
 * every acknowledged opt-out is in force on its number's partition.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterReportsTest {

    private static final String KEY = "hk_cluster_reports_test_admin_key_0123456";
    private static final String INBOUND = "cluster-reports-inbound-secret-0123456789";
    private static final int PARTITIONS = 4;
    private static final int AUDIENCE = 80;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String NOTICE = """
            {"name": "Shipping", "entry": {"event": "order_shipped", "key": "orderId"},
             "reentry": {"policy": "once-per-key"}, "exits": [{"event": "order_returned", "matchKey": true}],
             "start": "shipped",
             "steps": [
               {"id": "shipped", "type": "send", "channel": "sms", "category": "transactional", "sender": "acme",
                "template": "Your order is on its way", "next": "wait"},
               {"id": "wait", "type": "delay", "duration": "P1D", "next": "review"},
               {"id": "review", "type": "send", "channel": "sms", "category": "transactional", "sender": "acme",
                "template": "How was your order?", "next": "done"},
               {"id": "done", "type": "exit", "reason": "done"}]}""";

    @TempDir
    static Path tmp;

    private static ClusterNode node;
    private static HeraldService oracle;
    private static String tz;
    private static String journeyId;
    private static String campaignId;

    @BeforeAll
    static void start() throws Exception {
        tz = ClusterProcesses.afternoonZone();
        node = startNode();
        Config single = ConfigFactory.parseString("herald.service.directory-capacity = 20000\nherald.inbound.secret = \""
                        + INBOUND + "\"").withFallback(ConfigFactory.load())
                .resolve();
        oracle = HeraldService.start(tmp.resolve("oracle"), single, ServiceSettings.fromConfig(single)
                .withAddress("127.0.0.1", 0), Map.of("HERALD_API_KEY", KEY), new PrintWriter(new StringWriter(), true));
        await(node.port(), "/v1/cluster", s -> s.path("open").asInt() == PARTITIONS, 30);
        StringBuilder csv = new StringBuilder("phone,tz,first_name\n");
        for (int i = 0; i < AUDIENCE; i++) {
            csv.append(phone(i)).append(',').append(tz).append(",Ann").append(i).append('\n');
        }
        for (int port : ports()) {
            json(call(port, "POST", "/v1/segments/audience", "text/csv", csv.toString()), 201);
        }
    }

    private static ClusterNode startNode() throws Exception {
        Config config = ConfigFactory.parseString("herald.cluster { enabled = true, partitions = " + PARTITIONS
                        + ", port = 0, storage-root = \"" + tmp.resolve("root")
                        + "\", keep-alive = 200ms, open-retry = 200ms, partition-capacity = 20000 }\n"
                        + "herald.service.directory-capacity = 20000\nherald.inbound.secret = \"" + INBOUND + "\"")
                .withFallback(ConfigFactory.load()).resolve();
        ServiceSettings settings = ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0);
        return ClusterNode.start(tmp.resolve("node"), config, settings,
                ClusterSettings.fromConfig(config, tmp.resolve("node"), settings.directoryCapacity()),
                Map.of("HERALD_API_KEY", KEY), new PrintWriter(new StringWriter(), true));
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.stop().toCompletableFuture().join();
        }
        if (oracle != null) {
            oracle.stop().toCompletableFuture().join();
        }
    }

    // ---- journeys ----

    @Test
    @Order(1)
    void shouldDefineAJourneyOnceOnEveryPartitionUnderOneId() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int port : ports()) {
            HttpResponse<String> made = post(port, "/v1/journeys", NOTICE, "shipping-1");
            assertEquals(201, made.statusCode(), made.body());
            HttpResponse<String> again = post(port, "/v1/journeys", NOTICE, "shipping-1");
            assertEquals(200, again.statusCode(), "a retry finds the journey its first try made: " + again.body());
            assertEquals("true", again.headers().firstValue("Idempotent-Replayed").orElse(""), again.headers().map().toString());
            assertEquals(json(made).path("id"), json(again).path("id"));
            ids.add(json(made).path("id").asText());
        }
        assertEquals(ids.get(0), ids.get(1), "the id is the key's, on one node as on a cluster");
        journeyId = ids.get(1);
        JsonNode single = json(call(oracle.port(), "GET", "/v1/journeys", null, null), 200);
        JsonNode cluster = json(call(node.port(), "GET", "/v1/journeys", null, null), 200);
        assertEquals(1, cluster.path("journeys").size(), "one journey, not one per partition or per try: " + cluster);
        assertEquals(PARTITIONS, cluster.path("partitions").path("answered").asInt(), cluster.toString());
        // (entered and waiting appear once each engine has opened the journey: compared with the report below)
        assertEquals(strip(single.path("journeys")).toString().replaceAll(",\"(waiting|entered)\":\\d+", ""),
                strip(cluster.path("journeys")).toString().replaceAll(",\"(waiting|entered)\":\\d+", ""));
        // each partition has it: its view answers on every one (none unanswered), all in step
        JsonNode view = json(call(node.port(), "GET", "/v1/journeys/" + journeyId, null, null), 200);
        assertEquals("[]", view.path("partitions").path("unanswered").toString(), view.toString());
        assertFalse(view.has("outOfStep"), view.toString());
        assertEquals(strip(json(call(oracle.port(), "GET", "/v1/journeys/" + journeyId, null, null), 200)), strip(view));
        // a create without a key is made once too (the node mints the key)
        HttpResponse<String> unkeyed = call(node.port(), "POST", "/v1/journeys", "application/json",
                NOTICE.replace("Shipping", "Shipping 2"));
        assertEquals(201, unkeyed.statusCode(), unkeyed.body());
        assertTrue(unkeyed.headers().firstValue("Idempotency-Key").isPresent(), unkeyed.headers().map().toString());
        assertEquals(2, json(call(node.port(), "GET", "/v1/journeys", null, null), 200).path("journeys").size());
        assertSameError(post(oracle.port(), "/v1/journeys", NOTICE, "x".repeat(201)),
                post(node.port(), "/v1/journeys", NOTICE, "x".repeat(201)));
    }

    @Test
    @Order(2)
    void shouldRefuseABadJourneyAsOneNodeDoes() throws Exception {
        for (String bad : List.of(NOTICE.replace("\"P1D\"", "\"soon\""), NOTICE.replace("\"next\": \"done\"", "\"next\": \"nowhere\""),
                "{\"name\": 1", "[]")) {
            HttpResponse<String> s = post(oracle.port(), "/v1/journeys", bad, "bad-" + bad.hashCode());
            HttpResponse<String> c = post(node.port(), "/v1/journeys", bad, "bad-" + bad.hashCode());
            assertTrue(s.statusCode() >= 400, s.body());
            assertSameError(s, c);
        }
        assertSameError(call(oracle.port(), "GET", "/v1/journeys/j-nope", null, null),
                call(node.port(), "GET", "/v1/journeys/j-nope", null, null));
        assertSameError(call(oracle.port(), "POST", "/v1/journeys/j-nope/pause", null, null),
                call(node.port(), "POST", "/v1/journeys/j-nope/pause", null, null));
        assertSameError(call(oracle.port(), "GET", "/v1/journeys/j-nope/report", null, null),
                call(node.port(), "GET", "/v1/journeys/j-nope/report", null, null));
        assertSameError(call(oracle.port(), "GET", "/v1/journeys/" + journeyId + "/report?days=0", null, null),
                call(node.port(), "GET", "/v1/journeys/" + journeyId + "/report?days=0", null, null));
        assertSameError(call(oracle.port(), "PUT", "/v1/journeys/j-nope", "application/json", NOTICE),
                call(node.port(), "PUT", "/v1/journeys/j-nope", "application/json", NOTICE));
    }

    @Test
    @Order(3)
    void shouldReportAJourneyAsTheSumOfItsPartitions() throws Exception {
        Partitioner partitioner = new Partitioner(PARTITIONS);
        StringBuilder events = new StringBuilder();
        Set<Integer> reached = new HashSet<>();
        int entering = 30;
        for (int i = 0; i < entering; i++) {
            events.append("{\"id\": \"ship-").append(i).append("\", \"phone\": \"").append(phone(i))
                    .append("\", \"name\": \"order_shipped\", \"properties\": {\"orderId\": \"o").append(i).append("\"}}\n");
            reached.add(partitioner.of(phone(i)));
        }
        // one ships a second order; then (once every first message is sent) two return: they exit from the wait
        StringBuilder returns = new StringBuilder();
        returns.append("{\"id\": \"ret-1\", \"phone\": \"").append(phone(1))
                .append("\", \"name\": \"order_returned\", \"properties\": {\"orderId\": \"o1\"}}\n");
        returns.append("{\"id\": \"ret-2\", \"phone\": \"").append(phone(2))
                .append("\", \"name\": \"order_returned\", \"properties\": {\"orderId\": \"o2\"}}\n");
        events.append("{\"id\": \"ship-x\", \"phone\": \"").append(phone(3))
                .append("\", \"name\": \"order_shipped\", \"properties\": {\"orderId\": \"o-second\"}}\n");
        assertEquals(PARTITIONS, reached.size(), "the recipients are on every partition");
        for (int port : ports()) {
            HttpResponse<String> posted = call(port, "POST", "/v1/events", "application/x-ndjson", events.toString());
            assertEquals(200, posted.statusCode(), posted.body());
            assertEquals(0, json(posted).path("rejected").asLong(), posted.body());
        }
        String path = "/v1/journeys/" + journeyId + "/report";
        Predicate<JsonNode> sentAll = r -> r.path("versions").path(0).path("steps").path(0).path("sent").asLong() == entering + 1;
        Predicate<JsonNode> returned = r -> r.path("waiting").asLong() == entering - 1;
        for (int port : ports()) {
            await(port, path, sentAll, 40);
            HttpResponse<String> posted = call(port, "POST", "/v1/events", "application/x-ndjson", returns.toString());
            assertEquals(0, json(posted, 200).path("rejected").asLong(), posted.body());
        }
        JsonNode single = await(oracle.port(), path, returned, 40);
        JsonNode cluster = await(node.port(), path, returned, 40);
        assertEquals(entering + 1, cluster.path("entered").asLong(), cluster.toString());
        assertTrue(sumOf(cluster.path("exited")) >= 2, "the two returns exited: " + cluster.path("exited"));
        for (String f : List.of("journey", "name", "status", "version", "entered", "waiting", "exited", "converted", "conversionRate",
                "versions", "flow")) {
            assertEquals(strip(single.path(f)), strip(cluster.path(f)), f + ":\nsingle  " + single.path(f) + "\ncluster "
                    + cluster.path(f));
        }
        assertEquals(PARTITIONS, cluster.path("partitions").path("answered").asInt());
        // in another zone and over more days, still the single node's
        String zoned = path + "?days=3&tz=America/New_York";
        assertEquals(strip(json(call(oracle.port(), "GET", zoned, null, null), 200).path("flow")),
                strip(json(call(node.port(), "GET", zoned, null, null), 200).path("flow")));
        // the list's counts are the report's
        JsonNode listed = json(call(node.port(), "GET", "/v1/journeys", null, null), 200).path("journeys");
        for (JsonNode j : listed) {
            if (j.path("id").asText().equals(journeyId)) {
                assertEquals(cluster.path("entered"), j.path("entered"), listed.toString());
                assertEquals(cluster.path("waiting"), j.path("waiting"), listed.toString());
            }
        }
        // a recipient's place: from its partition, as one node shows it
        String one = "/v1/journeys/" + journeyId + "/recipients/" + enc(phone(5));
        assertEquals(strip(json(call(oracle.port(), "GET", one, null, null), 200).path("instances")),
                strip(json(call(node.port(), "GET", one, null, null), 200).path("instances")));
    }

    @Test
    @Order(4)
    void shouldPauseResumeChangeAndArchiveAJourneyOnEveryPartition() throws Exception {
        String base = "/v1/journeys/" + journeyId;
        for (String[] step : new String[][] {{"POST", "/pause", null}, {"POST", "/pause", null}, {"POST", "/resume", null},
                {"PUT", "", NOTICE.replace("\"P1D\"", "\"P2D\"")}, {"POST", "/resume", null}, {"POST", "/archive", null},
                {"POST", "/archive", null}, {"PUT", "", NOTICE}, {"POST", "/nonsense", null}}) {
            String type = step[2] == null ? null : "application/json";
            HttpResponse<String> s = call(oracle.port(), step[0], base + step[1], type, step[2]);
            HttpResponse<String> c = call(node.port(), step[0], base + step[1], type, step[2]);
            String what = step[0] + " " + step[1] + ":\nsingle  " + s.body() + "\ncluster " + c.body();
            assertEquals(s.statusCode(), c.statusCode(), what);
            if (s.statusCode() >= 400) {
                assertSameError(s, c);
                continue;
            }
            JsonNode cv = json(c);
            assertFalse(cv.has("outOfStep"), what);
            for (String f : List.of("status", "version", "versions", "definition")) {
                assertEquals(strip(json(s).path(f)), strip(cv.path(f)), f + " after " + what);
            }
        }
        JsonNode v = json(call(node.port(), "GET", base + "?version=2", null, null), 200);
        assertEquals("archived", v.path("status").asText(), v.toString());
        assertEquals("P2D", v.path("definition").path("steps").path(1).path("duration").asText(), v.toString());
        assertEquals(PARTITIONS, v.path("partitions").path("answered").asInt());
    }

    @Test
    @Order(5)
    void shouldBringPartitionsThatMissedAChangeBackInStep() throws Exception {
        String drift = NOTICE.replace("Shipping", "Drift");
        String id = json(post(node.port(), "/v1/journeys", drift, "drift-1"), 201).path("id").asText();
        String v2 = drift.replace("\"P1D\"", "\"PT6H\"");
        // as if a pause had reached partition 1 only, and a new version partition 2 only
        node.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
        try (JourneyStore st = JourneyStore.open(tmp.resolve("root/partition-001/journeys"), Clock.systemUTC())) {
            st.status(id, JourneyStore.Status.PAUSED);
        }
        try (JourneyStore st = JourneyStore.open(tmp.resolve("root/partition-002/journeys"), Clock.systemUTC())) {
            st.update(id, ApiDirectives.JSON.readValue(v2, JourneyDefinition.class));
        }
        node = startNode();
        await(node.port(), "/v1/cluster", s -> s.path("open").asInt() == PARTITIONS, 30);
        String base = "/v1/journeys/" + id;
        JsonNode mixed = json(call(node.port(), "GET", base, null, null), 200);
        assertEquals("mixed", mixed.path("status").asText(), mixed.toString());
        assertEquals(2, mixed.path("version").asInt(), mixed.toString());
        assertEquals(PARTITIONS, mixed.path("outOfStep").size(), mixed.toString());
        assertEquals("paused", mixed.path("outOfStep").path(1).path("status").asText(), mixed.toString());
        assertEquals(2, mixed.path("outOfStep").path(2).path("version").asInt(), mixed.toString());

        // another definition while they disagree: refused, naming who is where
        HttpResponse<String> other = call(node.port(), "PUT", base, "application/json", drift.replace("\"P1D\"", "\"P9D\""));
        assertEquals(409, other.statusCode(), other.body());
        assertEquals("journey_out_of_step", json(other).path("error").asText());
        assertTrue(json(other).path("message").asText().contains("on partitions [2]"), other.body());
        // the same definition again: made on those behind only
        HttpResponse<String> again = call(node.port(), "PUT", base, "application/json", v2);
        assertEquals(200, again.statusCode(), again.body());
        assertEquals(2, json(again).path("version").asInt(), again.body());
        assertFalse(json(again).has("outOfStep") && json(again).path("outOfStep").toString().contains("\"version\":1"),
                again.body());
        // a pause: partition 1 already is, which counts as done
        HttpResponse<String> paused = call(node.port(), "POST", base + "/pause", null, null);
        assertEquals(200, paused.statusCode(), paused.body());
        assertEquals("paused", json(paused).path("status").asText(), paused.body());
        assertFalse(json(paused).has("outOfStep"), paused.body());
        JsonNode now = json(call(node.port(), "GET", base + "?version=2", null, null), 200);
        assertFalse(now.has("outOfStep"), now.toString());
        assertEquals("PT6H", now.path("definition").path("steps").path(1).path("duration").asText(), now.toString());
        // paused everywhere: pausing again is refused as one node refuses it
        HttpResponse<String> twice = call(node.port(), "POST", base + "/pause", null, null);
        assertEquals(409, twice.statusCode(), twice.body());
        assertEquals("invalid_state", json(twice).path("error").asText());
    }

    // ---- funnels ----

    @Test
    @Order(10)
    void shouldAddUpACampaignsFunnelAndRecomputeItsRates() throws Exception {
        String body = "{\"name\": \"spring\", \"channel\": \"sms\", \"category\": \"marketing\", \"sender\": \"acme\","
                + " \"text\": \"Hi {{first_name}}, sale today\", \"footer\": \"Reply STOP to opt out\", \"segment\": \"audience\"}";
        String id = null;
        for (int port : ports()) {
            HttpResponse<String> made = post(port, "/v1/campaigns", body, "spring-sale");
            assertEquals(201, made.statusCode(), made.body());
            String made1 = json(made).path("id").asText();
            assertTrue(id == null || id.equals(made1), "the same key names the same campaign");
            id = made1;
            campaignId = id;
            await(port, "/v1/campaigns/" + id, c -> c.path("status").asText().equals("completed"), 40);
        }
        // orders from a few recipients (on several partitions), one of them in another currency and one twice
        StringBuilder orders = new StringBuilder();
        for (int i = 0; i < 9; i++) {
            orders.append("{\"phone\": \"").append(phone(i * 7)).append("\", \"campaign\": \"").append(id)
                    .append("\", \"orderId\": \"ord-").append(i).append("\", \"value\": ").append(10 + i).append(".25")
                    .append(", \"currency\": \"").append(i == 4 ? "EUR" : "GBP").append("\"}\n");
        }
        orders.append("{\"phone\": \"").append(phone(7)).append("\", \"campaign\": \"").append(id)
                .append("\", \"orderId\": \"ord-extra\", \"value\": 1.10, \"currency\": \"GBP\"}\n");
        for (int port : ports()) {
            HttpResponse<String> r = call(port, "POST", "/v1/conversions", "application/x-ndjson", orders.toString());
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(10, json(r).path("recorded").asLong(), r.body());
        }
        String path = "/v1/campaigns/" + id + "/funnel";
        JsonNode single = json(call(oracle.port(), "GET", path, null, null), 200);
        JsonNode cluster = json(call(node.port(), "GET", path, null, null), 200);
        assertEquals(AUDIENCE, cluster.path("steps").path("sent").asLong(), cluster.toString());
        assertEquals(9, cluster.path("steps").path("converted").asLong(), cluster.toString());
        assertNotEquals("0.0", cluster.path("rates").path("convertedOfSent").asText());
        for (String f : List.of("campaign", "name", "status", "total", "steps", "rates", "undelivered", "clicks", "conversions",
                "timing", "links", "tracked")) {
            assertEquals(single.path(f), cluster.path(f), f + ":\nsingle  " + single.path(f) + "\ncluster " + cluster.path(f));
        }
        assertFalse(cluster.path("timing").path("sendToDelivery").has("fine"), "the buckets the node summed are not shown");
        assertEquals(PARTITIONS, cluster.path("partitions").path("answered").asInt());
        assertSameError(call(oracle.port(), "GET", "/v1/campaigns/nope/funnel", null, null),
                call(node.port(), "GET", "/v1/campaigns/nope/funnel", null, null));

        // the period report: the groups of one node
        Instant now = Instant.now();
        for (String by : List.of("campaign", "sender", "category")) {
            String q = "/v1/reports/funnel?from=" + now.minus(1, ChronoUnit.HOURS) + "&to=" + now.plus(1, ChronoUnit.HOURS)
                    + "&groupBy=" + by;
            JsonNode ps = json(call(oracle.port(), "GET", q, null, null), 200);
            JsonNode pc = json(call(node.port(), "GET", q, null, null), 200);
            assertTrue(ps.path("groups").size() >= 1, ps.toString());
            for (String f : List.of("groupBy", "campaigns", "groups")) {
                assertEquals(ps.path(f), pc.path(f), by + " " + f + ":\nsingle  " + ps + "\ncluster " + pc);
            }
        }
        assertSameError(call(oracle.port(), "GET", "/v1/reports/funnel?from=x", null, null),
                call(node.port(), "GET", "/v1/reports/funnel?from=x", null, null));
    }

    @Test
    @Order(11)
    void shouldAddUpTheOptOutReports() throws Exception {
        // STOP replies from recipients on every partition, after the campaign: its opt-outs
        for (int i = 0; i < 12; i++) {
            String stop = "{\"from\": \"" + phone(i * 5) + "\", \"to\": \"12345\", \"text\": \"STOP\"}";
            for (int port : ports()) {
                HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/inbound/sms"))
                        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                        .header("X-Herald-Signature", sign(stop)).POST(HttpRequest.BodyPublishers.ofString(stop)).build();
                HttpResponse<String> answered = HTTP.send(r, HttpResponse.BodyHandlers.ofString());
                assertEquals(200, answered.statusCode(), answered.body());
            }
        }
        String path = "/v1/campaigns/" + campaignId + "/optouts";
        JsonNode single = json(call(oracle.port(), "GET", path, null, null), 200);
        JsonNode cluster = json(call(node.port(), "GET", path, null, null), 200);
        assertEquals(12, cluster.path("optOuts").asLong(), cluster.toString());
        assertEquals(single, cluster, "single " + single + "\ncluster " + cluster);
        Instant now = Instant.now();
        String q = "/v1/reports/optouts?from=" + now.minus(1, ChronoUnit.HOURS) + "&to=" + now.plus(1, ChronoUnit.HOURS);
        JsonNode ps = json(call(oracle.port(), "GET", q, null, null), 200);
        JsonNode pc = json(call(node.port(), "GET", q, null, null), 200);
        assertTrue(ps.path("optOuts").asLong() >= 12, ps.toString());
        assertEquals(ps, pc, "single " + ps + "\ncluster " + pc);
        assertSameError(call(oracle.port(), "GET", "/v1/reports/optouts?from=2026-01-02&to=2026-01-01", null, null),
                call(node.port(), "GET", "/v1/reports/optouts?from=2026-01-02&to=2026-01-01", null, null));
        assertSameError(call(oracle.port(), "GET", "/v1/campaigns/nope/optouts", null, null),
                call(node.port(), "GET", "/v1/campaigns/nope/optouts", null, null));
    }

    @Test
    @Order(12)
    void shouldPickAnAbTestsWinnerOnEveryPartition() throws Exception {
        String body = "{\"name\": \"ab\", \"channel\": \"sms\", \"category\": \"marketing\", \"sender\": \"acme\","
                + " \"footer\": \"Reply STOP to opt out\", \"segment\": \"audience\", \"variants\": [{\"text\": \"Hi, variant A\"},"
                + " {\"name\": \"bold\", \"text\": \"Hi, variant bold\"}], \"test\": {\"sample\": 0.5, \"wait\": \"PT6H\","
                + " \"minPerVariant\": 1, \"metric\": \"conversion\"}}";
        String id = null;
        for (int port : ports()) {
            HttpResponse<String> made = post(port, "/v1/campaigns", body, "ab-1");
            assertEquals(201, made.statusCode(), made.body());
            id = json(made).path("id").asText();
        }
        String path = "/v1/campaigns/" + id;
        // the sample sent, the rest held (on the cluster: on every partition)
        Predicate<JsonNode> sampleSent = c -> {
            long sample = 0;
            int tests = 0;
            for (JsonNode e : c.has("experimentByPartition") ? c.path("experimentByPartition") : List.of(c.path("experiment"))) {
                if (e.path("sample").isObject()) {
                    tests++;
                    for (JsonNode v : e.path("sample")) {
                        sample += v.asLong();
                    }
                }
            }
            return tests == (c.has("experimentByPartition") ? PARTITIONS : 1) && sample > 0
                    && c.path("counts").path("held").asLong() == AUDIENCE - sample && c.path("counts").path("pending").asLong() == 0
                    && c.path("counts").path("inFlight").asLong() == 0;
        };
        await(oracle.port(), path, sampleSent, 40);
        JsonNode held = await(node.port(), path, sampleSent, 40);
        assertFalse(held.has("experiment"), "one partition's test is not shown as the campaign's: " + held);
        for (String bad : List.of("{\"variant\": \"D\"}", "{}", "{\"variant\": 3}", "nope")) {
            assertSameError(call(oracle.port(), "POST", path + "/winner", "application/json", bad),
                    call(node.port(), "POST", path + "/winner", "application/json", bad));
        }
        HttpResponse<String> ps = call(oracle.port(), "POST", path + "/winner", "application/json", "{\"variant\": \"bold\"}");
        HttpResponse<String> pc = call(node.port(), "POST", path + "/winner", "application/json", "{\"variant\": \"bold\"}");
        assertEquals(200, ps.statusCode(), ps.body());
        assertEquals(200, pc.statusCode(), pc.body());
        assertEquals(PARTITIONS, json(pc).path("experimentByPartition").size(), pc.body());
        for (JsonNode e : json(pc).path("experimentByPartition")) {
            assertEquals("operator", e.path("decidedBy").asText(), pc.body());
            assertEquals("bold", e.path("send").asText(), pc.body());
        }
        JsonNode doneSingle = await(oracle.port(), path, c -> c.path("status").asText().equals("completed"), 40);
        JsonNode doneCluster = await(node.port(), path, c -> c.path("status").asText().equals("completed"), 40);
        assertEquals(doneSingle.path("total"), doneCluster.path("total"));
        assertEquals(doneSingle.path("counts"), doneCluster.path("counts"), "everyone sent once, on one node as on the cluster");
        // the funnel per variant: everyone given one, the held ones bold
        JsonNode fs = json(call(oracle.port(), "GET", path + "/funnel", null, null), 200);
        JsonNode fc = json(call(node.port(), "GET", path + "/funnel", null, null), 200);
        long given = 0;
        for (JsonNode v : fc.path("variants")) {
            given += v.path("given").asLong();
        }
        assertEquals(AUDIENCE, given, fc.toString());
        assertEquals(fs.path("steps"), fc.path("steps"));
        assertEquals(PARTITIONS, fc.path("testByPartition").size(), fc.toString());
        // decided: picking again is refused as on one node
        assertSameError(call(oracle.port(), "POST", path + "/winner", "application/json", "{\"variant\": \"A\"}"),
                call(node.port(), "POST", path + "/winner", "application/json", "{\"variant\": \"A\"}"));
    }

    @Test
    @Order(13)
    void shouldTreatRfmTiersAsOneNodeDoes() throws Exception {
        // no recompute yet (ClusterRfmTest covers one): the tiers are not computed, on a cluster as on one node
        assertSameError(call(oracle.port(), "GET", "/v1/segments/rfm", null, null),
                call(node.port(), "GET", "/v1/segments/rfm", null, null));
        String onTier = "{\"name\": \"t\", \"channel\": \"sms\", \"category\": \"marketing\", \"sender\": \"acme\","
                + " \"text\": \"Hi\", \"footer\": \"Reply STOP to opt out\", \"expression\": \"audience & !rfm:champions\"}";
        for (String path : List.of("/v1/campaigns", "/v1/campaigns/preview")) {
            HttpResponse<String> single = call(oracle.port(), "POST", path, "application/json", onTier);
            assertTrue(single.statusCode() >= 400, single.body());
            assertSameError(single, call(node.port(), "POST", path, "application/json", onTier));
        }
        // a journey branching on a tier is made on every partition, as one node makes it
        String branch = NOTICE.replace("Shipping", "Tiered").replace("{\"id\": \"done\", \"type\": \"exit\", \"reason\": \"done\"}",
                "{\"id\": \"done\", \"type\": \"branch\", \"on\": {\"segment\": \"rfm:at-risk\"}, \"then\": \"end\","
                        + " \"else\": \"end\"}, {\"id\": \"end\", \"type\": \"exit\", \"reason\": \"done\"}");
        HttpResponse<String> s = post(oracle.port(), "/v1/journeys", branch, "tiered");
        HttpResponse<String> c = post(node.port(), "/v1/journeys", branch, "tiered");
        assertEquals(s.statusCode(), c.statusCode(), "single " + s.body() + "\ncluster " + c.body());
        if (c.statusCode() == 201) {
            JsonNode view = json(call(node.port(), "GET", "/v1/journeys/" + json(c).path("id").asText(), null, null), 200);
            assertEquals("[]", view.path("partitions").path("unanswered").toString(), view.toString());
        } else {
            assertSameError(s, c);
        }
        // nothing was made anywhere
        assertEquals(0, json(call(node.port(), "GET", "/v1/campaigns", null, null), 200).path("campaigns").findValues("name")
                .stream().filter(n -> n.asText().equals("t")).count());
    }

    private static String sign(String body) throws Exception {
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(INBOUND.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "sha256=" + java.util.HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
    }

    // ---- CSV opt-outs ----

    @Test
    @Order(20)
    void shouldTakeACsvOptOutUploadAsOneNodeAndMakeEachDurableOnItsPartition() throws Exception {
        List<String> uploads = new ArrayList<>();
        uploads.add("phone,scope,reason\n"                                        // 1
                + phone(100) + ",global,asked\n"                                   // 2
                + "not-a-phone,global,x\n"                                         // 3
                + phone(101) + ",galaxy,x\n"                                       // 4 bad scope
                + phone(102) + ",,\"two\nlines\"\n"                                // 5-6 default scope, a reason of two lines
                + "\n"                                                             // 7 blank
                + phone(103) + ",sender:acme,\"quoted \"\"word\"\"\"\n"               // 8
                + phone(104) + ",\"global\"x,y\n"                                  // 9 stray quote
                + phone(105) + ",global\n"                                         // 10 too few fields
                + ",global,no phone\n"                                             // 11
                + phone(100) + ",global,again\n"                                   // 12 the same number twice
                + "+4412,global,short\n"                                           // 13
                + phone(106) + ",category:marketing,\n");                          // 14
        uploads.add("phone\n" + phone(107) + "\n" + phone(100) + "\n");           // without scope column: ?scope=
        uploads.add("phone,reason\n" + phone(108) + ",x\n");                       // no scope anywhere (without ?scope=)
        uploads.add("nophone,scope\n" + phone(109) + ",global\n");
        uploads.add("");
        uploads.add("phone,scope\nnope,global\n+4412,global\n");                  // nothing valid
        uploads.add("\"phone,scope\n");                                            // a broken header
        StringBuilder many = new StringBuilder("phone,scope\n");                   // several slices per partition
        for (int i = 0; i < 9_000; i++) {
            many.append(i % 40 == 3 ? "bad" + i : "+4475" + String.format("%08d", i)).append(",global\n");
        }
        uploads.add(many.toString());
        int k = 0;
        for (String csv : uploads) {
            String q = csv.startsWith("phone\n") ? "?scope=global" : csv.startsWith("phone,reason") ? "" : "?scope=global&reason=file";
            HttpResponse<String> s = call(oracle.port(), "POST", "/v1/suppressions" + q, "text/csv", csv);
            HttpResponse<String> c = call(node.port(), "POST", "/v1/suppressions" + q, "text/csv", csv);
            String what = "upload " + k++ + ":\nsingle  " + s.body() + "\ncluster " + c.body();
            assertEquals(s.statusCode(), c.statusCode(), what);
            if (s.statusCode() >= 400) {
                assertSameError(s, c);
                assertEquals(json(s).path("message"), json(c).path("message"), what);
                continue;
            }
            for (String f : List.of("suppressed", "alreadySuppressed", "rejected", "errors")) {
                assertEquals(json(s).path(f), json(c).path(f), f + " of " + what);
            }
        }
        assertSameError(call(oracle.port(), "POST", "/v1/suppressions?scope=galaxy", "text/csv", "phone\n" + phone(110) + "\n"),
                call(node.port(), "POST", "/v1/suppressions?scope=galaxy", "text/csv", "phone\n" + phone(110) + "\n"));
        // what was acknowledged is in force on the number's partition, as on one node
        Partitioner partitioner = new Partitioner(PARTITIONS);
        Set<Integer> seen = new HashSet<>();
        List<String> looked = new ArrayList<>();
        for (int i = 100; i <= 110; i++) {
            looked.add(phone(i));
        }
        for (int i = 0; i < 200; i++) {
            looked.add("+4475" + String.format("%08d", i));
        }
        for (String p : looked) {
            String path = "/v1/suppressions/" + enc(p);
            HttpResponse<String> rs = call(oracle.port(), "GET", path, null, null);
            HttpResponse<String> rc = call(node.port(), "GET", path, null, null);
            assertEquals(rs.statusCode(), rc.statusCode(), p + ": " + rs.body() + " / " + rc.body());
            JsonNode single = json(rs);
            JsonNode cluster = json(rc);
            assertEquals(strip(single).toString().replaceAll("\"(id|seq)\":\\d+,?", ""),
                    strip(cluster).toString().replaceAll("\"(id|seq)\":\\d+,?", ""), p);
            if (cluster.path("suppressed").asBoolean()) {
                seen.add(partitioner.of(p));
            }
        }
        assertEquals(PARTITIONS, seen.size(), "opt-outs on every partition");
    }

    // ---- helpers ----

    private static int[] ports() {
        return new int[] {oracle.port(), node.port()};
    }

    private static long sumOf(JsonNode counts) {
        long s = 0;
        for (JsonNode v : counts) {
            s += v.asLong();
        }
        return s;
    }

    static String phone(int i) {
        return "+44740020" + String.format("%04d", i);
    }

    private static HttpResponse<String> post(int port, String path, String body, String idempotencyKey) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + KEY)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (idempotencyKey != null) {
            b.header("Idempotency-Key", idempotencyKey);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static void assertSameError(HttpResponse<String> single, HttpResponse<String> cluster) throws Exception {
        assertEquals(single.statusCode(), cluster.statusCode(), "single " + single.body() + "\ncluster " + cluster.body());
        assertEquals(json(single).path("error"), json(cluster).path("error"), "single " + single.body() + "\ncluster "
                + cluster.body());
        assertEquals(json(single).path("field"), json(cluster).path("field"), cluster.body());
        assertFalse(json(cluster).path("message").asText().isBlank(), cluster.body());
    }

    /** Without instants (each store stamps its own) and the cluster's own {@code partitions}. */
    static JsonNode strip(JsonNode n) {
        JsonNode copy = n.deepCopy();
        stripIn(copy);
        return copy;
    }

    private static void stripIn(JsonNode n) {
        if (n.isObject()) {
            List<String> drop = new ArrayList<>();
            n.fieldNames().forEachRemaining(f -> {
                if (f.endsWith("At") || f.equals("at") || f.equals("time") || f.equals("due") || f.equals("partitions") || f.equals("recipientId")
                        || f.equals("run") || f.equals("lane")) {
                    drop.add(f);
                }
            });
            ((ObjectNode) n).remove(drop);
        }
        n.forEach(ClusterReportsTest::stripIn);
    }

    static JsonNode await(int port, String path, Predicate<JsonNode> done, int seconds) throws Exception {
        return dev.herald.dispatcher.service.ServiceTests.await(port, path, KEY, done, seconds);
    }

    static HttpResponse<String> call(int port, String method, String path, String contentType, String body) throws Exception {
        return dev.herald.dispatcher.service.ServiceTests.call(port, method, path, KEY, contentType, body);
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"),
                "answer is JSON: " + r.statusCode() + " " + r.body());
        return JSON.readTree(r.body());
    }

    static JsonNode json(HttpResponse<String> r, int status) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        return json(r);
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
