package dev.herald.dispatcher.cluster;

import static dev.herald.dispatcher.cluster.ClusterReportsTest.assertSameError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.service.HeraldService;
import dev.herald.dispatcher.service.ServiceSettings;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * RFM tiers on a cluster of one in this JVM (five partitions) against a single node given the same
 * audience and conversions as the oracle: a cluster recompute scores every buyer with the cut
 * points of all buyers, so the merged {@code GET /v1/segments/rfm} has the single node's cut points
 * and tier sizes, and a campaign preview on {@code rfm:<tier>} counts what the single node counts.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterRfmTest {

    private static final String KEY = "hk_cluster_rfm_test_admin_key_0123456789";
    private static final int PARTITIONS = 5;
    private static final int AUDIENCE = 400;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;

    private static ClusterNode node;
    private static HeraldService oracle;
    private static Config config;

    @BeforeAll
    static void start() throws Exception {
        config = ConfigFactory.parseString("herald.cluster { enabled = true, partitions = " + PARTITIONS
                        + ", port = 0, storage-root = \"" + tmp.resolve("root")
                        + "\", keep-alive = 200ms, open-retry = 200ms, partition-capacity = 20000 }\n"
                        + "herald.service.directory-capacity = 20000")
                .withFallback(ConfigFactory.load()).resolve();
        ServiceSettings settings = ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0);
        node = ClusterNode.start(tmp.resolve("node"), config, settings,
                ClusterSettings.fromConfig(config, tmp.resolve("node"), settings.directoryCapacity()),
                Map.of("HERALD_API_KEY", KEY), new PrintWriter(new StringWriter(), true));
        Config single = ConfigFactory.parseString("herald.service.directory-capacity = 20000").withFallback(ConfigFactory.load())
                .resolve();
        oracle = HeraldService.start(tmp.resolve("oracle"), single, ServiceSettings.fromConfig(single)
                .withAddress("127.0.0.1", 0), Map.of("HERALD_API_KEY", KEY), new PrintWriter(new StringWriter(), true));
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String last = "no answer";
        while (System.nanoTime() < end) {
            HttpResponse<String> r = call(node.port(), "GET", "/v1/cluster", null, null);
            last = r.statusCode() + " " + r.body();
            if (r.statusCode() == 200 && json(r).path("open").asInt() == PARTITIONS) {
                return;
            }
            Thread.sleep(150);
        }
        throw new AssertionError("the partitions did not all open within 30 s; last: " + last);
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

    @Test
    @Order(1)
    void shouldSayNothingIsComputedYetAsOneNodeDoes() throws Exception {
        HttpResponse<String> single = call(oracle.port(), "GET", "/v1/segments/rfm", null, null);
        HttpResponse<String> cluster = call(node.port(), "GET", "/v1/segments/rfm", null, null);
        assertEquals(404, single.statusCode(), single.body());
        assertSameError(single, cluster);
        // a campaign on a tier not computed yet: refused, as one node refuses it
        String preview = previewOn("\"segment\": \"rfm:champions\"");
        assertSameError(call(oracle.port(), "POST", "/v1/campaigns/preview", "application/json", preview),
                call(node.port(), "POST", "/v1/campaigns/preview", "application/json", preview));
    }

    @Test
    @Order(2)
    void shouldScoreEveryPartitionWithTheCutPointsOfAllBuyers() throws Exception {
        StringBuilder csv = new StringBuilder("phone,tz\n");
        for (int i = 0; i < AUDIENCE; i++) {
            csv.append(phone(i)).append(",Etc/GMT\n");
        }
        // buyers of every partition, with many purchases for some, values and dates spread (and ties)
        SplittableRandom rnd = new SplittableRandom(20261208L);
        Instant now = Instant.now();
        StringBuilder orders = new StringBuilder();
        StringBuilder events = new StringBuilder();
        Partitioner partitioner = new Partitioner(PARTITIONS);
        Map<Integer, Integer> buyersOf = new HashMap<>();
        int purchases = 0;
        for (int i = 0; i < AUDIENCE; i++) {
            if (i % 7 == 3) {
                events.append("{\"id\": \"ev-").append(i).append("\", \"phone\": \"").append(phone(i))
                        .append("\", \"name\": \"page_view\", \"at\": \"").append(now.minus(Duration.ofDays(i % 40))
                                .minus(Duration.ofHours(3))).append("\"}\n");
            }
            if (i % 5 == 4) {
                continue; // not a buyer
            }
            buyersOf.merge(partitioner.of(phone(i)), 1, Integer::sum);
            int n = rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(9) : 1 + rnd.nextInt(2);
            for (int k = 0; k < n; k++) {
                long days = rnd.nextInt(85); // within herald.funnel.conversions.max-age (90 days)
                orders.append("{\"phone\": \"").append(phone(i)).append("\", \"orderId\": \"o-").append(i).append('-').append(k)
                        .append("\", \"value\": ").append(rnd.nextInt(3) == 0 ? "20" : rnd.nextInt(20_000) / 100.0)
                        .append(", \"currency\": \"EUR\", \"occurredAt\": \"")
                        .append(now.minus(Duration.ofDays(days)).minus(Duration.ofHours(2 + rnd.nextInt(12)))).append("\"}\n");
                purchases++;
            }
        }
        assertEquals(PARTITIONS, buyersOf.size(), "buyers on every partition: " + buyersOf);
        for (int port : new int[] {oracle.port(), node.port()}) {
            assertEquals(201, call(port, "POST", "/v1/segments/audience", "text/csv", csv.toString()).statusCode());
            HttpResponse<String> posted = call(port, "POST", "/v1/conversions", "application/x-ndjson", orders.toString());
            assertEquals(200, posted.statusCode(), posted.body());
            assertEquals(purchases, json(posted).path("recorded").asLong(), posted.body());
            HttpResponse<String> evs = call(port, "POST", "/v1/events", "application/x-ndjson", events.toString());
            assertEquals(200, evs.statusCode(), evs.body());
        }

        JsonNode single = json(call(oracle.port(), "POST", "/v1/segments/rfm/recompute", null, null), 200);
        JsonNode cluster = json(call(node.port(), "POST", "/v1/segments/rfm/recompute", null, null), 200);
        System.out.println("single " + single + "\ncluster " + cluster);
        assertEquals(AUDIENCE - AUDIENCE / 5, cluster.path("buyers").asLong(), cluster.toString());
        for (String k : List.of("buyers", "recipients", "purchasesRead", "activitiesRead", "window", "quintiles", "tiers",
                "lifecycle", "tierRules")) {
            assertEquals(single.path(k), cluster.path(k), k + "\nsingle " + single + "\ncluster " + cluster);
        }
        assertEquals(PARTITIONS, cluster.path("partitions").path("answered").asInt(), cluster.toString());
        // the frequency cut points are not all the same value: the quintiles mean something here
        assertTrue(single.path("quintiles").path("monetary").get(0).asLong() < single.path("quintiles").path("monetary").get(3)
                .asLong(), single.toString());

        JsonNode shown = json(call(node.port(), "GET", "/v1/segments/rfm", null, null), 200);
        assertEquals(cluster.path("computedAt"), shown.path("computedAt"));
        ObjectNode a = (ObjectNode) cluster.deepCopy();
        ObjectNode b = (ObjectNode) shown.deepCopy();
        a.remove("elapsedMillis");
        b.remove("elapsedMillis");
        assertEquals(a, b, "the merged view is the recompute's answer");
    }

    @Test
    @Order(3)
    void shouldCountACampaignOnATierAsOneNodeDoes() throws Exception {
        for (String on : List.of("\"segment\": \"rfm:champions\"", "\"segment\": \"rfm:at-risk\"",
                "\"expression\": \"audience & !rfm:champions\"", "\"expression\": \"rfm:loyal | lifecycle:dormant\"")) {
            String body = previewOn(on);
            JsonNode single = json(call(oracle.port(), "POST", "/v1/campaigns/preview", "application/json", body), 200);
            // (a small tier is on some partitions only: the others add nothing rather than refuse)
            JsonNode cluster = json(call(node.port(), "POST", "/v1/campaigns/preview", "application/json", body), 200);
            assertEquals(PARTITIONS, cluster.path("partitions").path("answered").asInt(), cluster.toString());
            assertEquals(single.path("total"), cluster.path("total"), on + "\nsingle " + single + "\ncluster " + cluster);
            assertEquals(single.path("counts"), cluster.path("counts"), on + "\nsingle " + single + "\ncluster " + cluster);
        }
        JsonNode champions = json(call(oracle.port(), "POST", "/v1/campaigns/preview", "application/json",
                previewOn("\"segment\": \"rfm:champions\"")), 200);
        assertTrue(champions.path("total").asLong() > 0, "some champions: " + champions);
        // a campaign on the tier: made on every partition (each has champions here), its audience one node's
        String campaign = previewOn("\"segment\": \"rfm:champions\"");
        JsonNode single = json(call(oracle.port(), "POST", "/v1/campaigns", "application/json", campaign), 201);
        JsonNode cluster = json(call(node.port(), "POST", "/v1/campaigns", "application/json", campaign), 201);
        assertEquals(single.path("total"), cluster.path("total"), "single " + single + "\ncluster " + cluster);
        assertEquals(champions.path("total"), cluster.path("total"), cluster.toString());
    }

    @Test
    @Order(4)
    void shouldSeeNewConversionsAtTheNextRecompute() throws Exception {
        StringBuilder orders = new StringBuilder();
        Instant now = Instant.now();
        for (int i = 0; i < 40; i++) {
            orders.append("{\"phone\": \"").append(phone(i * 10 + 4)).append("\", \"orderId\": \"late-").append(i)
                    .append("\", \"value\": 999.99, \"currency\": \"EUR\", \"occurredAt\": \"")
                    .append(now.minus(Duration.ofHours(5))).append("\"}\n");
        }
        for (int port : new int[] {oracle.port(), node.port()}) {
            assertEquals(200, call(port, "POST", "/v1/conversions", "application/x-ndjson", orders.toString()).statusCode());
        }
        JsonNode before = json(call(node.port(), "GET", "/v1/segments/rfm", null, null), 200);
        JsonNode single = json(call(oracle.port(), "POST", "/v1/segments/rfm/recompute", null, null), 200);
        JsonNode cluster = json(call(node.port(), "POST", "/v1/segments/rfm/recompute", null, null), 200);
        assertFalse(before.path("computedAt").equals(cluster.path("computedAt")));
        for (String k : List.of("buyers", "purchasesRead", "quintiles", "tiers")) {
            assertEquals(single.path(k), cluster.path(k), k + "\nsingle " + single + "\ncluster " + cluster);
        }
    }

    @Test
    @Order(5)
    void shouldApplyNothingAnywhereWhileAPartitionIsInAnotherRecompute() throws Exception {
        JsonNode before = json(call(node.port(), "GET", "/v1/segments/rfm", null, null), 200);
        ClusterSharding sharding = ClusterSharding.get(node.system());
        // partition 2 is held by another coordinator's recompute (read, not yet applied)
        PartitionRfm.Reply held = sharding.entityRefFor(PartitionEntity.TYPE, "2").<PartitionRfm.Reply>ask(
                r -> new PartitionRfm.Gather("elsewhere", System.currentTimeMillis(), r), Duration.ofSeconds(30))
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertTrue(held.ok(), String.valueOf(held.failure()));
        HttpResponse<String> busy = call(node.port(), "POST", "/v1/segments/rfm/recompute", null, null);
        assertEquals(409, busy.statusCode(), busy.body());
        assertEquals("busy", json(busy).path("error").asText());
        assertTrue(json(busy).path("message").asText().contains("[2]"), busy.body());
        JsonNode after = json(call(node.port(), "GET", "/v1/segments/rfm", null, null), 200);
        assertEquals(before.path("computedAt"), after.path("computedAt"), "nothing applied anywhere: " + after);
        assertEquals(before.path("tiers"), after.path("tiers"));

        sharding.entityRefFor(PartitionEntity.TYPE, "2").tell(new PartitionRfm.Abandon("elsewhere"));
        JsonNode again = json(call(node.port(), "POST", "/v1/segments/rfm/recompute", null, null), 200);
        assertFalse(before.path("computedAt").equals(again.path("computedAt")), again.toString());
        assertEquals(before.path("tiers"), again.path("tiers"), "the same conversions: the same tiers");
    }

    @Test
    @Order(6)
    void shouldApplyNothingAnywhereWhenPartitionsDoNotAnswerInTime() throws Exception {
        JsonNode before = json(call(node.port(), "GET", "/v1/segments/rfm", null, null), 200);
        Config impatient = ConfigFactory.parseString("herald.cluster { ask-timeout = 1ms, upload-timeout = 1ms }")
                .withFallback(config);
        ClusterRfm rfm = new ClusterRfm(ClusterSharding.get(node.system()),
                ClusterSettings.fromConfig(impatient, tmp.resolve("node"), 20000), java.time.Clock.systemUTC());
        ClusterRfm.Outcome o = rfm.recompute().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertEquals(503, o.failure().status(), o.failure().text());
        assertTrue(o.failure().text().contains("did not answer within") && o.failure().text().contains("applied nowhere"),
                o.failure().text());
        Thread.sleep(1000); // the partitions read and drop it (abandoned)
        JsonNode after = json(call(node.port(), "GET", "/v1/segments/rfm", null, null), 200);
        assertEquals(before.path("computedAt"), after.path("computedAt"), "nothing applied anywhere: " + after);
        // and nothing is left holding the partitions: the next recompute runs
        json(call(node.port(), "POST", "/v1/segments/rfm/recompute", null, null), 200);
    }

    @Test
    @Order(7)
    void shouldRecomputeTheWholeClusterOnTheSchedule() throws Exception {
        JsonNode before = json(call(node.port(), "GET", "/v1/segments/rfm", null, null), 200);
        ClusterRfm rfm = new ClusterRfm(ClusterSharding.get(node.system()),
                ClusterSettings.fromConfig(config, tmp.resolve("node"), 20000), java.time.Clock.systemUTC());
        // the schedule as a child of an actor the test stops (stopping it stops the schedule)
        org.apache.pekko.actor.typed.ActorRef<String> schedule = node.system().systemActorOf(
                org.apache.pekko.actor.typed.javadsl.Behaviors.<String>setup(ctx -> {
                    ctx.spawn(RfmSchedule.create(rfm, Duration.ofSeconds(1)), "rfm-schedule");
                    return org.apache.pekko.actor.typed.javadsl.Behaviors.receiveMessage(
                            m -> org.apache.pekko.actor.typed.javadsl.Behaviors.stopped());
                }), "rfm-schedule-test", org.apache.pekko.actor.typed.Props.empty());
        try {
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            JsonNode now = before;
            while (System.nanoTime() < end && now.path("computedAt").equals(before.path("computedAt"))) {
                Thread.sleep(200);
                HttpResponse<String> r = call(node.port(), "GET", "/v1/segments/rfm", null, null);
                now = r.statusCode() == 200 ? json(r) : now; // (out of step while a recompute applies: asked again)
            }
            assertFalse(now.path("computedAt").equals(before.path("computedAt")), "recomputed on the schedule: " + now);
            assertEquals(before.path("tiers"), now.path("tiers"));
            assertEquals(PARTITIONS, now.path("partitions").path("answered").asInt());
        } finally {
            schedule.tell("stop");
        }
    }

    @Test
    void theRecomputesMessagesCrossNodesIntact() throws Exception {
        // between nodes they are serialized (JSON, ClusterMessage); in this JVM they are not: checked here
        org.apache.pekko.serialization.Serialization serialization = org.apache.pekko.serialization.SerializationExtension
                .get(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(node.system()));
        org.apache.pekko.actor.typed.ActorRef<PartitionRfm.Reply> replyTo = node.system().deadLetters();
        long[][] probes = {{1, 2, Long.MIN_VALUE}, {}, {Long.MAX_VALUE}};
        for (Object m : List.of(new PartitionRfm.Gather("r1", 1_800_000_000_000L, replyTo),
                new PartitionRfm.Count("r1", probes, replyTo),
                new PartitionRfm.Apply("r1", new long[] {1, 2, 3, 4}, new long[] {1, 1, 2, 3}, new long[] {-5, 0, 7, 9}, replyTo),
                new PartitionRfm.Abandon("r1"),
                new PartitionRfm.Reply(3, null, false, 12, new long[] {1, 2, 3}, new long[] {4, 5, 6}, probes),
                PartitionRfm.Reply.failed(4, "partition 4 holds no RFM recompute r1", true))) {
            org.apache.pekko.serialization.Serializer serializer = serialization.findSerializerFor(m);
            assertTrue(serializer.getClass().getName().contains("Jackson"), m.getClass() + ": " + serializer.getClass());
            byte[] bytes = serialization.serialize(m).get();
            Object back = serialization.deserialize(bytes, serializer.identifier(),
                    org.apache.pekko.serialization.Serializers.manifestFor(serializer, m)).get();
            assertEquals(JSON.writeValueAsString(fields(m)), JSON.writeValueAsString(fields(back)), m.getClass().getName());
        }
    }

    /** A record's components as a map, arrays and references compared by value. */
    private static Map<String, Object> fields(Object record) throws Exception {
        Map<String, Object> out = new java.util.TreeMap<>();
        for (java.lang.reflect.RecordComponent c : record.getClass().getRecordComponents()) {
            Object v = c.getAccessor().invoke(record);
            out.put(c.getName(), v instanceof org.apache.pekko.actor.typed.ActorRef<?> ref ? ref.path().toString() : v);
        }
        return out;
    }

    @Test
    void partitionsNeverRecomputeOnASchedule() {
        Config c = PartitionConfig.of(ConfigFactory.load().resolve(), 4, 1);
        assertEquals(Duration.ZERO, c.getDuration("herald.segments.rfm.recompute-every"));
        assertEquals(Duration.ofHours(1), ConfigFactory.load().getDuration("herald.segments.rfm.recompute-every"),
                "the node's schedule (the cluster singleton's) is the configured one");
    }

    private static String previewOn(String audience) {
        return "{\"name\": \"tiered\", \"channel\": \"sms\", \"category\": \"marketing\", \"sender\": \"acme\","
                + " \"text\": \"Hi\", \"footer\": \"Reply STOP to opt out\", " + audience + "}";
    }

    static String phone(int i) {
        return "+44740030" + String.format("%04d", i);
    }

    static HttpResponse<String> call(int port, String method, String path, String contentType, String body) throws Exception {
        return dev.herald.dispatcher.service.ServiceTests.call(port, method, path, KEY, contentType, body);
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    static JsonNode json(HttpResponse<String> r, int status) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        return json(r);
    }
}
