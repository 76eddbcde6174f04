package dev.herald.dispatcher.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * A cluster of one node in this JVM ({@link ClusterNode#start}, four partitions) against a single
 * node ({@link HeraldService}) as the oracle: the same requests must get the same answers (counts,
 * rejected lines and their line numbers, error codes), whichever partitions the numbers fall on.
 * Last, the node is stopped and started again on the same storage root: everything is still there.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterApiTest {

    private static final String KEY = "hk_cluster_api_test_admin_key_0123456789";
    private static final int PARTITIONS = 4;
    private static final int AUDIENCE = 120;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path tmp;

    private static ClusterNode node;
    private static HeraldService oracle;
    /** A zone where it is mid-afternoon now, so quiet hours defer nobody. */
    private static String tz;

    @BeforeAll
    static void start() throws Exception {
        tz = ClusterProcesses.afternoonZone();
        node = startNode();
        Config config = ConfigFactory.parseString("herald.service.directory-capacity = 20000").withFallback(ConfigFactory.load())
                .resolve();
        oracle = HeraldService.start(tmp.resolve("oracle"), config, ServiceSettings.fromConfig(config)
                .withAddress("127.0.0.1", 0), Map.of("HERALD_API_KEY", KEY), new PrintWriter(new StringWriter(), true));
        awaitAllPartitions();
        // the audience, on both
        StringBuilder csv = new StringBuilder("phone,tz,first_name\n");
        for (int i = 0; i < AUDIENCE; i++) {
            csv.append(phone(i)).append(',').append(tz).append(",Ann").append(i).append('\n');
        }
        for (int port : new int[] {node.port(), oracle.port()}) {
            HttpResponse<String> up = call(port, "POST", "/v1/segments/audience", "text/csv", csv.toString());
            assertEquals(201, up.statusCode(), up.body());
            assertEquals(AUDIENCE, json(up).path("size").asLong(), up.body());
        }
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

    private static ClusterNode startNode() throws Exception {
        return startNode(ClusterProcesses.freePort());
    }

    /** @param clusterPort the node's cluster port (0: any free one) */
    private static ClusterNode startNode(int clusterPort) throws Exception {
        Config config = ConfigFactory.parseString("herald.cluster { enabled = true, partitions = " + PARTITIONS
                        + ", port = " + clusterPort + ", storage-root = \"" + tmp.resolve("root")
                        + "\", keep-alive = 200ms, open-retry = 200ms, partition-capacity = 20000 }\n"
                        + "herald.service.directory-capacity = 20000")
                .withFallback(ConfigFactory.load()).resolve();
        ServiceSettings settings = ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0);
        ClusterSettings cluster = ClusterSettings.fromConfig(config, tmp.resolve("node"), settings.directoryCapacity());
        return ClusterNode.start(tmp.resolve("node"), config, settings, cluster, Map.of("HERALD_API_KEY", KEY),
                new PrintWriter(new StringWriter(), true));
    }

    private static JsonNode awaitAllPartitions() throws Exception {
        return await(node.port(), "/v1/cluster", s -> s.path("members").size() == 1
                && s.path("members").path(0).path("status").asText().equals("Up")
                && s.path("members").path(0).path("partitions").size() == PARTITIONS && s.path("unallocated").isEmpty()
                && s.path("open").asInt() == PARTITIONS, 30);
    }

    // ---- the tests ----

    @Test
    @Order(1)
    void shouldRefuseARequestWithoutAValidKey() throws Exception {
        HttpResponse<String> none = send(node.port(), "GET", "/v1/cluster", null, null, null);
        assertEquals(401, none.statusCode(), none.body());
        assertEquals(401, send(node.port(), "GET", "/v1/campaigns", "hk_not_a_key_0000000000000000000", null, null).statusCode());
        assertEquals(401, send(node.port(), "POST", "/v1/suppressions", null, "application/json",
                "{\"phones\": [\"" + phone(1) + "\"], \"scope\": \"global\"}").statusCode());
    }

    @Test
    @Order(2)
    void shouldShowOneMemberRunningEveryPartition() throws Exception {
        JsonNode s = JSON.readTree(call(node.port(), "GET", "/v1/cluster", null, null).body());
        assertEquals(PARTITIONS, s.path("partitions").asInt());
        assertEquals(1, s.path("members").size(), s.toString());
        JsonNode me = s.path("members").path(0);
        assertEquals(s.path("self").asText(), me.path("address").asText());
        assertEquals("Up", me.path("status").asText());
        assertTrue(me.path("reachable").asBoolean());
        assertEquals("[0,1,2,3]", me.path("partitions").toString());
        assertEquals(0, s.path("unallocated").size());
        assertEquals(PARTITIONS, s.path("open").asInt(), "every partition answers: " + s);
        assertEquals("[]", me.path("opening").toString(), s.toString());
    }

    @Test
    @Order(3)
    void shouldNumberRejectedLinesAsTheUploadedFileDoes() throws Exception {
        String csv = "phone,tz,first_name\n"                              // 1
                + phone(200) + "," + tz + ",Ok\n"                       // 2
                + "not-a-phone," + tz + ",Bad\n"                        // 3  not a number (partition 0 answers)
                + "\"" + phone(201) + "\"x," + tz + ",Quote\n"          // 4  a character after a closing quote
                + phone(202) + "," + tz + ",Too,Many\n"                 // 5  too many fields
                + phone(203) + "," + tz + ",\"Multi\nLine\"\n"          // 6-7 a valid multi-line field
                + "\n"                                                  // 8  empty: skipped
                + "+4412," + tz + ",\"Also\nbad\non three\"\n"          // 9-11 an invalid number over three lines
                + "still-bad," + tz + ",After\n"                        // 12
                + phone(204) + "," + tz + ",\"Mac\rStyle\"\n"           // 13-14 a bare CR inside quotes ends a line too
                + "+4413," + tz + ",\"CR\rthen bad\"\n"                 // 15-16
                + "bad-after-cr," + tz + ",X\n"                         // 17
                + phone(205) + ",Not/AZone,Z\n"                         // 18 a bad zone (the number's partition answers)
                + phone(206) + "," + tz + ",Ok\n";                      // 19
        JsonNode single = json(call(oracle.port(), "POST", "/v1/segments/mixed", "text/csv", csv), 201);
        JsonNode cluster = json(call(node.port(), "POST", "/v1/segments/mixed", "text/csv", csv), 201);
        assertTrue(single.path("rejected").asLong() >= 7, single.toString());
        for (String field : List.of("name", "size", "lines", "rejected")) {
            assertEquals(single.path(field), cluster.path(field), field + ": single " + single + "\ncluster " + cluster);
        }
        assertEquals(single.path("errors"), cluster.path("errors"), "rejected lines: single " + single.path("errors")
                + "\ncluster " + cluster.path("errors"));
    }

    @Test
    @Order(3)
    void shouldNumberRejectedLinesOfAnUploadOfManySlices() throws Exception {
        // 9,000 rows: each partition gets more than one slice; 240 rejected (more than the 100 listed)
        StringBuilder csv = new StringBuilder("phone,tz,first_name\n");
        for (int i = 0; i < 9_000; i++) {
            if (i % 50 == 7) {
                csv.append("bad").append(i).append(',').append(tz).append(",X\n");
            } else if (i % 75 == 3) {
                csv.append("+4475").append(String.format("%08d", i)).append(",No/Zone,Y\n");
            } else if (i % 1_000 == 500) {
                csv.append("+4475").append(String.format("%08d", i)).append(',').append(tz).append(",\"two\nlines\"\n");
            } else {
                csv.append("+4475").append(String.format("%08d", i)).append(',').append(tz).append(",Z\n");
            }
        }
        JsonNode single = json(call(oracle.port(), "POST", "/v1/segments/many", "text/csv", csv.toString()), 201);
        JsonNode cluster = json(call(node.port(), "POST", "/v1/segments/many", "text/csv", csv.toString()), 201);
        assertTrue(single.path("rejected").asLong() > 100, single.path("rejected").toString());
        for (String field : List.of("name", "size", "lines", "rejected", "errors")) {
            assertEquals(single.path(field), cluster.path(field), field + ": single " + single + "\ncluster " + cluster);
        }
    }

    @Test
    @Order(4)
    void shouldReadAnUploadWithCrlfAndAByteOrderMarkAsOneNodeDoes() throws Exception {
        String csv = "\uFEFFphone,tz,first_name\r\n" + phone(210) + "," + tz + ",A\r\nnope," + tz + ",B\r\n\r\n"
                + phone(211) + "," + tz + ",\"C\r\nD\"\r\n" + "+4412," + tz + ",E\r\n" + " " + phone(212) + " ," + tz + ",F\r\n"
                + phone(213) + "," + tz + ",G";
        JsonNode single = json(call(oracle.port(), "POST", "/v1/segments/crlf", "text/csv", csv), 201);
        JsonNode cluster = json(call(node.port(), "POST", "/v1/segments/crlf", "text/csv", csv), 201);
        for (String field : List.of("name", "size", "lines", "rejected", "errors")) {
            assertEquals(single.path(field), cluster.path(field), field + ": single " + single + "\ncluster " + cluster);
        }
    }

    @Test
    @Order(5)
    void shouldRefuseAnUploadAsASingleNodeDoes() throws Exception {
        // a header without a phone column
        HttpResponse<String> single = call(oracle.port(), "POST", "/v1/segments/nophone", "text/csv", "name,tz\nAnn,UTC\n");
        HttpResponse<String> cluster = call(node.port(), "POST", "/v1/segments/nophone", "text/csv", "name,tz\nAnn,UTC\n");
        assertEquals(400, single.statusCode(), single.body());
        assertSameError(single, cluster);
        assertEquals("invalid_csv", json(cluster).path("error").asText());

        // only bad lines: nothing stored
        String bad = "phone,tz\nnope," + tz + "\n+4412," + tz + "\n\"" + phone(300) + "\"x," + tz + "\n";
        single = call(oracle.port(), "POST", "/v1/segments/empty", "text/csv", bad);
        cluster = call(node.port(), "POST", "/v1/segments/empty", "text/csv", bad);
        assertEquals(400, single.statusCode(), single.body());
        assertSameError(single, cluster);
        assertEquals("empty_segment", json(cluster).path("error").asText());
        assertEquals(json(single).path("message").asText(), json(cluster).path("message").asText());
        // the segment is nowhere: a campaign on it is refused, as on one node
        HttpResponse<String> onEmptySingle = call(oracle.port(), "POST", "/v1/campaigns", "application/json",
                campaign("empty", null));
        HttpResponse<String> onEmptyCluster = call(node.port(), "POST", "/v1/campaigns", "application/json",
                campaign("empty", null));
        assertEquals(400, onEmptySingle.statusCode(), onEmptySingle.body());
        assertSameError(onEmptySingle, onEmptyCluster);

        // a name a single node refuses before reading the body
        for (String name : List.of("rfm:mine", "bad%20name")) {
            single = call(oracle.port(), "POST", "/v1/segments/" + name, "text/csv", "phone\n" + phone(301) + "\n");
            cluster = call(node.port(), "POST", "/v1/segments/" + name, "text/csv", "phone\n" + phone(301) + "\n");
            assertEquals(400, single.statusCode(), single.body());
            assertSameError(single, cluster);
        }
        // no header at all, a broken header, a header without rows
        for (String odd : List.of("", "\uFEFF", "\n\n", "\"phone,tz\n" + phone(302) + ",UTC\n", "phone\n", "phone,\"tz\"x\n"
                + phone(303) + ",UTC\n")) {
            single = call(oracle.port(), "POST", "/v1/segments/odd", "text/csv", odd);
            cluster = call(node.port(), "POST", "/v1/segments/odd", "text/csv", odd);
            assertEquals(400, single.statusCode(), single.body());
            assertSameError(single, cluster);
        }
        // not CSV
        assertSameError(call(oracle.port(), "POST", "/v1/segments/json", "application/json", "{}"),
                call(node.port(), "POST", "/v1/segments/json", "application/json", "{}"));
    }

    @Test
    @Order(6)
    void shouldTakeOptOutsAsASingleNodeDoes() throws Exception {
        String first = "{\"phones\": [\"" + phone(3) + "\", \"garbage\", \"\", \" " + phone(7) + " \", \"+4412\", null, \""
                + phone(11) + "\", \"" + phone(3) + "\"], \"scope\": \"global\", \"reason\": \"test\"}";
        assertSameOptOut(first);
        // again, with one more: already suppressed are counted as such
        assertSameOptOut("{\"phones\": [\"" + phone(7) + "\", \"" + phone(19) + "\", \"x\"], \"scope\": \"global\"}");
        // nothing valid; an empty list; a bad scope; not JSON; a number among the strings
        assertSameOptOut("{\"phones\": [\"nope\", \"\"], \"scope\": \"global\"}");
        // nothing valid and something else wrong: one node names the other fault (nothing is stored either way)
        assertSameOptOut("{\"phones\": [\"nope\"]}");
        assertSameOptOut("{\"phones\": [\"nope\"], \"scope\": \"galaxy\"}");
        assertSameOptOut("{\"phones\": [\"nope\"], \"scope\": \"global\", \"extra\": 1}");
        assertSameOptOut("{\"phones\": [], \"scope\": \"global\"}");
        assertSameOptOut("{\"phones\": [\"" + phone(23) + "\"], \"scope\": \"galaxy\"}");
        assertSameOptOut("{\"phones\": [\"" + phone(23) + "\"]");
        assertSameOptOut("{\"phones\": [\"" + phone(29) + "\", 12345], \"scope\": \"global\"}");
        assertSameOptOut("{\"phones\": [\"" + phone(31) + "\", {\"a\": 1}], \"scope\": \"global\"}");
        // more refusals than are listed: the first 100 by position, as one node lists them
        StringBuilder many = new StringBuilder("{\"scope\": \"global\", \"phones\": [");
        for (int i = 0; i < 150; i++) {
            many.append(i == 0 ? "" : ", ").append(i % 10 == 9 ? "\"" + phone(60 + i / 10) + "\"" : "\"bad" + i + "\"");
        }
        assertSameOptOut(many.append("]}").toString());
        // what was acknowledged is in force where each number is looked up
        for (int i : new int[] {3, 7, 11, 19, 29, 31, 23, 0, 1}) {
            String path = "/v1/suppressions/" + enc(phone(i));
            HttpResponse<String> single = call(oracle.port(), "GET", path, null, null);
            HttpResponse<String> cluster = call(node.port(), "GET", path, null, null);
            assertEquals(single.statusCode(), cluster.statusCode(), phone(i) + ": " + single.body() + " / " + cluster.body());
            assertEquals(stripTimes(json(single)), stripTimes(json(cluster)), phone(i));
        }
    }

    @Test
    @Order(6)
    void shouldNeverAcknowledgeACsvOptOutItDidNotMakeOnEachNumbersPartition() throws Exception {
        Partitioner partitioner = new Partitioner(PARTITIONS);
        StringBuilder csv = new StringBuilder("phone\n");
        List<String> phones = new ArrayList<>();
        for (int i = 40; i < 48; i++) {
            csv.append(phone(i)).append('\n');
            phones.add(phone(i));
        }
        assertTrue(phones.stream().anyMatch(p -> partitioner.of(p) != Partitioner.FALLBACK), "a number off the fallback partition");
        HttpResponse<String> r = call(node.port(), "POST", "/v1/suppressions?scope=global", "text/csv", csv.toString());
        if (r.statusCode() == 501) {
            assertEquals("not_in_cluster", json(r).path("error").asText(), r.body());
            return;
        }
        assertTrue(r.statusCode() == 200 || r.statusCode() == 201, r.body());
        HttpResponse<String> single = call(oracle.port(), "POST", "/v1/suppressions?scope=global", "text/csv", csv.toString());
        assertEquals(r.statusCode(), single.statusCode(), single.body()); // the oracle keeps the same opt-outs
        for (String p : phones) {
            JsonNode v = json(call(node.port(), "GET", "/v1/suppressions/" + enc(p), null, null), 200);
            assertTrue(v.path("suppressed").asBoolean(), "acknowledged opt-out of " + p + " (partition " + partitioner.of(p)
                    + ") is in force: " + v);
        }
    }

    @Test
    @Order(7)
    void shouldAnswerPerPhoneRequestsFromTheNumbersPartition() throws Exception {
        for (String path : List.of("/v1/suppressions/" + enc(phone(3)), "/v1/suppressions/" + enc(phone(4)),
                "/v1/recipients/" + enc(phone(3)) + "/consent", "/v1/recipients/" + enc(phone(4)) + "/consent",
                "/v1/recipients/" + enc("+447400999999") + "/consent")) {
            HttpResponse<String> single = call(oracle.port(), "GET", path, null, null);
            HttpResponse<String> cluster = call(node.port(), "GET", path, null, null);
            assertEquals(single.statusCode(), cluster.statusCode(), path + ": " + single.body() + " / " + cluster.body());
            assertEquals(stripTimes(json(single)), stripTimes(json(cluster)), path);
        }
        for (String path : List.of("/v1/suppressions/garbage", "/v1/recipients/garbage/consent", "/v1/suppressions/%2B12")) {
            HttpResponse<String> cluster = call(node.port(), "GET", path, null, null);
            assertEquals(400, cluster.statusCode(), path + ": " + cluster.body());
            assertEquals("invalid_phone", json(cluster).path("error").asText(), cluster.body());
            assertSameError(call(oracle.port(), "GET", path, null, null), cluster);
        }
    }

    @Test
    @Order(8)
    void shouldRunACampaignOnEveryPartitionAndCountItAsOneNode() throws Exception {
        String body = campaign("audience", null);
        JsonNode single = json(call(oracle.port(), "POST", "/v1/campaigns", "application/json", body), 201);
        HttpResponse<String> madeOnCluster = call(node.port(), "POST", "/v1/campaigns", "application/json", body);
        JsonNode cluster = json(madeOnCluster, 201);
        assertEquals(single.path("total"), cluster.path("total"), cluster.toString());
        assertEquals(PARTITIONS, cluster.path("partitions").path("answered").asInt(), cluster.toString());
        String sid = single.path("id").asText();
        String cid = cluster.path("id").asText();
        JsonNode doneSingle = awaitCompleted(oracle.port(), sid);
        JsonNode doneCluster = awaitCompleted(node.port(), cid);
        assertEquals(AUDIENCE, doneCluster.path("total").asLong(), doneCluster.toString());
        for (String field : List.of("total", "counts", "outcomes", "status")) {
            assertEquals(doneSingle.path(field), doneCluster.path(field), field + ": single " + doneSingle + "\ncluster "
                    + doneCluster);
        }
        // the per-recipient view of the campaign, from the recipient's partition
        for (int i : new int[] {3, 4}) {
            String s = "/v1/campaigns/" + sid + "/recipients/" + enc(phone(i));
            String c = "/v1/campaigns/" + cid + "/recipients/" + enc(phone(i));
            HttpResponse<String> rs = call(oracle.port(), "GET", s, null, null);
            HttpResponse<String> rc = call(node.port(), "GET", c, null, null);
            assertEquals(rs.statusCode(), rc.statusCode(), rs.body() + " / " + rc.body());
        }
        // the same Idempotency-Key again: the same campaign, not a second one
        for (int port : new int[] {oracle.port(), node.port()}) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/campaigns"))
                    .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + KEY)
                    .header("Content-Type", "application/json").header("Idempotency-Key", "once-" + port)
                    .POST(HttpRequest.BodyPublishers.ofString(campaign("mixed", null)));
            HttpResponse<String> made = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> again = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(201, made.statusCode(), made.body());
            assertTrue(again.statusCode() == 200 || again.statusCode() == 201, again.body());
            assertEquals(json(made).path("id"), json(again).path("id"), again.body());
            awaitCompleted(port, json(made).path("id").asText());
        }
        // unknown campaign
        assertSameError(call(oracle.port(), "GET", "/v1/campaigns/nope", null, null),
                call(node.port(), "GET", "/v1/campaigns/nope", null, null));
        assertSameError(call(oracle.port(), "POST", "/v1/campaigns/nope/pause", null, null),
                call(node.port(), "POST", "/v1/campaigns/nope/pause", null, null));
    }

    @Test
    @Order(9)
    void shouldPauseResumeAndCancelOnEveryPartition() throws Exception {
        String body = campaign("audience", 1.0);
        String sid = json(call(oracle.port(), "POST", "/v1/campaigns", "application/json", body), 201).path("id").asText();
        String cid = json(call(node.port(), "POST", "/v1/campaigns", "application/json", body), 201).path("id").asText();
        for (String[] step : new String[][] {{"pause", "paused"}, {"resume", "running"}, {"cancel", "cancelled"}}) {
            HttpResponse<String> rs = call(oracle.port(), "POST", "/v1/campaigns/" + sid + "/" + step[0], null, null);
            HttpResponse<String> rc = call(node.port(), "POST", "/v1/campaigns/" + cid + "/" + step[0], null, null);
            assertEquals(rs.statusCode(), rc.statusCode(), step[0] + ": " + rs.body() + " / " + rc.body());
            assertEquals(json(rs).path("status").asText(), json(rc).path("status").asText(), rc.body());
            JsonNode viewSingle = json(call(oracle.port(), "GET", "/v1/campaigns/" + sid, null, null), 200);
            JsonNode viewCluster = json(call(node.port(), "GET", "/v1/campaigns/" + cid, null, null), 200);
            assertEquals(step[1], viewCluster.path("status").asText(), viewCluster.toString());
            assertEquals(viewSingle.path("status"), viewCluster.path("status"));
            assertEquals(viewSingle.path("total"), viewCluster.path("total"));
            assertEquals(sum(viewCluster.path("counts")), viewCluster.path("total").asLong(), "every recipient counted once: "
                    + viewCluster);
        }
        // cancelled: everyone left is recorded failed:cancelled, on every partition as on one node
        JsonNode endSingle = await(oracle.port(), "/v1/campaigns/" + sid, c -> c.path("counts").path("pending").asLong() == 0
                && c.path("counts").path("inFlight").asLong() == 0, 20);
        JsonNode endCluster = await(node.port(), "/v1/campaigns/" + cid, c -> c.path("counts").path("pending").asLong() == 0
                && c.path("counts").path("inFlight").asLong() == 0, 20);
        assertEquals(endSingle.path("total"), endCluster.path("total"));
        assertEquals(endSingle.path("counts").path("failed").asLong() + endSingle.path("counts").path("sent").asLong(),
                endCluster.path("counts").path("failed").asLong() + endCluster.path("counts").path("sent").asLong(),
                "single " + endSingle + "\ncluster " + endCluster);
        // cancelled: resuming is refused alike
        HttpResponse<String> rs = call(oracle.port(), "POST", "/v1/campaigns/" + sid + "/resume", null, null);
        HttpResponse<String> rc = call(node.port(), "POST", "/v1/campaigns/" + cid + "/resume", null, null);
        assertEquals(rs.statusCode(), rc.statusCode(), rs.body() + " / " + rc.body());

        // the list: both campaigns, merged, in the same order
        JsonNode listSingle = json(call(oracle.port(), "GET", "/v1/campaigns", null, null), 200);
        JsonNode listCluster = json(call(node.port(), "GET", "/v1/campaigns", null, null), 200);
        assertEquals(listSingle.path("campaigns").size(), listCluster.path("campaigns").size(), listCluster.toString());
        for (int i = 0; i < listSingle.path("campaigns").size(); i++) {
            JsonNode s = listSingle.path("campaigns").path(i);
            JsonNode c = listCluster.path("campaigns").path(i);
            assertEquals(s.path("name"), c.path("name"));
            assertEquals(s.path("status"), c.path("status"));
            assertEquals(s.path("total"), c.path("total"), c.toString());
        }
        // a preview adds up every partition's, for a segment or an expression over segments
        for (String preview : List.of(campaign("audience", null), campaign("audience", null)
                .replace("\"segment\": \"audience\"", "\"expression\": \"many | mixed & !audience\""))) {
            JsonNode ps = json(call(oracle.port(), "POST", "/v1/campaigns/preview", "application/json", preview), 200);
            JsonNode pc = json(call(node.port(), "POST", "/v1/campaigns/preview", "application/json", preview), 200);
            assertEquals(ps.path("total"), pc.path("total"), "single " + ps + "\ncluster " + pc);
            assertEquals(ps.path("counts"), pc.path("counts"), "single " + ps + "\ncluster " + pc);
        }
    }

    @Test
    @Order(11)
    void shouldAnswerAPathOrMethodNoRouteTakesAsOneNode() throws Exception {
        for (String[] r : new String[][] {{"GET", "/v1/nothing-here"}, {"PUT", "/v1/segments"}, {"GET", "/nothing"},
                {"PATCH", "/v1/campaigns"}}) {
            HttpResponse<String> single = call(oracle.port(), r[0], r[1], null, null);
            HttpResponse<String> cluster = call(node.port(), r[0], r[1], null, null);
            assertEquals(single.statusCode(), cluster.statusCode(), r[0] + " " + r[1] + ": " + cluster.body());
            assertTrue(single.statusCode() == 404 || single.statusCode() == 405, single.body());
            assertEquals(json(single).path("error"), json(cluster).path("error"), cluster.body());
        }
    }

    @Test
    @Order(12)
    void shouldSendToASmallAudienceThatPartitionZeroHasNoneOf() throws Exception {
        Partitioner partitioner = new Partitioner(PARTITIONS);
        List<String> few = new ArrayList<>();
        for (int i = 500; few.size() < 2; i++) {
            if (partitioner.of(phone(i)) != 0) {
                few.add(phone(i));
            }
        }
        String csv = "phone,tz,first_name\n" + few.get(0) + "," + tz + ",Ann\n" + few.get(1) + "," + tz + ",Bo\n";
        for (int port : new int[] {oracle.port(), node.port()}) {
            json(call(port, "POST", "/v1/segments/few", "text/csv", csv), 201);
        }
        // partition 0 holds none of it: it makes an empty slice, the others theirs, and the campaign sends to both
        JsonNode single = json(call(oracle.port(), "POST", "/v1/campaigns", "application/json", campaign("few", null)), 201);
        JsonNode made = json(call(node.port(), "POST", "/v1/campaigns", "application/json", campaign("few", null)), 201);
        assertEquals(2, single.path("total").asLong(), single.toString());
        assertEquals(2, made.path("total").asLong(), made.toString());
        JsonNode done = awaitCompleted(node.port(), made.path("id").asText());
        assertEquals(2, done.path("counts").path("sent").asLong(), done.toString());
        assertEquals(awaitCompleted(oracle.port(), single.path("id").asText()).path("counts"), done.path("counts"));
        // an audience empty everywhere is refused as one node refuses it, and nothing is made anywhere
        String none = campaign("few", null).replace("\"segment\": \"few\"", "\"expression\": \"few - few\"");
        int before = json(call(node.port(), "GET", "/v1/campaigns", null, null), 200).path("campaigns").size();
        for (String header : new String[] {null, "allow"}) { // a client's own Herald-Empty-Slice changes nothing
            HttpResponse<String> s1 = header == null
                    ? call(oracle.port(), "POST", "/v1/campaigns", "application/json", none)
                    : createWith(oracle.port(), none, "Herald-Empty-Slice", header);
            HttpResponse<String> c1 = header == null
                    ? call(node.port(), "POST", "/v1/campaigns", "application/json", none)
                    : createWith(node.port(), none, "Herald-Empty-Slice", header);
            assertEquals(400, s1.statusCode(), s1.body());
            assertEquals(400, c1.statusCode(), c1.body());
            assertEquals("empty_audience", json(c1).path("error").asText(), c1.body());
            assertSameError(s1, c1);
        }
        assertEquals(before, json(call(node.port(), "GET", "/v1/campaigns", null, null), 200).path("campaigns").size(),
                "nothing made on any partition");
    }

    @Test
    @Order(99)
    void shouldKeepEverythingAcrossARestartOnTheSameRoot() throws Exception {
        JsonNode before = json(call(node.port(), "GET", "/v1/campaigns", null, null), 200);
        long stopping = System.nanoTime();
        node.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
        long stopMs = (System.nanoTime() - stopping) / 1_000_000;
        // its partitions close in well under a second; Pekko's region shutdown times out after 10 s
        assertTrue(stopMs < 8_000, "the node stopped in " + stopMs + " ms");
        node = startNode(0); // and on any free cluster port, as herald.cluster.port = 0 promises
        awaitAllPartitions();
        JsonNode after = json(call(node.port(), "GET", "/v1/campaigns", null, null), 200);
        assertEquals(before.path("campaigns").size(), after.path("campaigns").size(), after.toString());
        for (int i = 0; i < before.path("campaigns").size(); i++) {
            for (String f : List.of("id", "status", "total", "counts")) {
                assertEquals(before.path("campaigns").path(i).path(f), after.path("campaigns").path(i).path(f), f);
            }
        }
        JsonNode optedOut = json(call(node.port(), "GET", "/v1/suppressions/" + enc(phone(3)), null, null), 200);
        JsonNode oracleView = json(call(oracle.port(), "GET", "/v1/suppressions/" + enc(phone(3)), null, null), 200);
        assertEquals(stripTimes(oracleView), stripTimes(optedOut));
        // the segment is still on every partition: a campaign on it reaches the whole audience
        JsonNode again = json(call(node.port(), "POST", "/v1/campaigns/preview", "application/json",
                campaign("audience", null)), 200);
        assertEquals(AUDIENCE, again.path("total").asLong(), again.toString());
    }

    // ---- helpers ----

    private static String phone(int i) {
        return "+44740010" + String.format("%04d", i);
    }

    private static String campaign(String segment, Double tps) {
        return "{\"name\": \"c-" + segment + "\", \"channel\": \"sms\", \"category\": \"marketing\", \"sender\": \"acme\","
                + " \"text\": \"Hi {{first_name}}, sale today\", \"footer\": \"Reply STOP to opt out\", \"segment\": \""
                + segment + "\"" + (tps == null ? "" : ", \"tps\": " + tps) + "}";
    }

    private void assertSameOptOut(String body) throws Exception {
        HttpResponse<String> single = call(oracle.port(), "POST", "/v1/suppressions", "application/json", body);
        HttpResponse<String> cluster = call(node.port(), "POST", "/v1/suppressions", "application/json", body);
        assertEquals(single.statusCode(), cluster.statusCode(), body + "\nsingle " + single.body() + "\ncluster " + cluster.body());
        JsonNode s = json(single);
        JsonNode c = json(cluster);
        if (single.statusCode() >= 400) {
            assertEquals(s.path("error"), c.path("error"), body + "\nsingle " + single.body() + "\ncluster " + cluster.body());
            assertEquals(s.path("field"), c.path("field"), cluster.body());
            return;
        }
        for (String f : List.of("suppressed", "alreadySuppressed", "rejected", "errors")) {
            assertEquals(s.path(f), c.path(f), f + " of " + body + "\nsingle " + single.body() + "\ncluster " + cluster.body());
        }
    }

    private static void assertSameError(HttpResponse<String> single, HttpResponse<String> cluster) throws Exception {
        assertEquals(single.statusCode(), cluster.statusCode(), "single " + single.body() + "\ncluster " + cluster.body());
        assertEquals(json(single).path("error"), json(cluster).path("error"), "single " + single.body() + "\ncluster "
                + cluster.body());
        assertEquals(json(single).path("field"), json(cluster).path("field"), cluster.body());
        assertFalse(json(cluster).path("message").asText().isBlank(), cluster.body());
    }

    /** The view without its instants (the two services record their own). */
    private static JsonNode stripTimes(JsonNode n) {
        JsonNode copy = n.deepCopy();
        strip(copy);
        return copy;
    }

    private static void strip(JsonNode n) {
        if (n.isObject()) {
            List<String> drop = new ArrayList<>();
            n.fieldNames().forEachRemaining(f -> {
                // instants, and what each store numbers for itself: a partition's ledger sequence and
                // recipient ids are its own (a recipient's id on a cluster is unique within its partition only)
                if (f.endsWith("At") || f.equals("at") || f.equals("time") || f.equals("id") || f.equals("seq")
                        || f.equals("recipientId")) {
                    drop.add(f);
                }
            });
            ((com.fasterxml.jackson.databind.node.ObjectNode) n).remove(drop);
        }
        n.forEach(ClusterApiTest::strip);
    }

    private static long sum(JsonNode counts) {
        long s = 0;
        for (JsonNode v : counts) {
            s += v.asLong();
        }
        return s;
    }

    private static JsonNode awaitCompleted(int port, String id) throws Exception {
        return await(port, "/v1/campaigns/" + id, c -> c.path("status").asText().equals("completed"), 40);
    }

    private static JsonNode await(int port, String path, Predicate<JsonNode> done, int seconds) throws Exception {
        return dev.herald.dispatcher.service.ServiceTests.await(port, path, KEY, done, seconds);
    }

    private static HttpResponse<String> call(int port, String method, String path, String contentType, String body)
            throws Exception {
        return send(port, method, path, KEY, contentType, body);
    }

    private static HttpResponse<String> send(int port, String method, String path, String key, String contentType, String body)
            throws Exception {
        return dev.herald.dispatcher.service.ServiceTests.call(port, method, path, key, contentType, body);
    }

    /** {@code POST /v1/campaigns} with one more header. */
    private static HttpResponse<String> createWith(int port, String body, String header, String value) throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + port + "/v1/campaigns"))
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json").header(header, value)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"),
                "answer is JSON: " + r.statusCode() + " " + r.headers().map() + " " + r.body());
        return JSON.readTree(r.body());
    }

    private static JsonNode json(HttpResponse<String> r, int status) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        return json(r);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
