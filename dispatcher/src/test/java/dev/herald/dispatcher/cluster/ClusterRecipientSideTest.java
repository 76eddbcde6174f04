package dev.herald.dispatcher.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.service.ServiceSettings;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The recipient's side on a cluster (a cluster of one, four partitions, in this JVM): the
 * unsubscribe link a partition puts in its messages names it and is answered by it (page and
 * form), a signed STOP reply reaches the sender's partition, and events in an NDJSON batch reach
 * their recipients' partitions with every answer numbered by its line in the batch.
 */
class ClusterRecipientSideTest {

    private static final String KEY = "hk_cluster_recipient_side_key_0123";
    private static final String INBOUND = "cluster-inbound-secret-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();
    private int port;

    @Test
    void linksRepliesAndEventsReachTheirRecipientsPartition() throws Exception {
        Config config = ConfigFactory.parseString("herald.cluster.partitions = 4\n"
                        + "herald.cluster.port = " + ClusterProcesses.freePort() + "\n"
                        + "herald.cluster.storage-root = \"" + tmp.resolve("root") + "\"\n"
                        + "herald.service.directory-capacity = 400000\n"
                        + "herald.inbound.secret = \"" + INBOUND + "\"\n")
                .withFallback(ConfigFactory.load()).resolve();
        ServiceSettings settings = ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0);
        ClusterSettings cluster = ClusterSettings.fromConfig(config, tmp.resolve("node"), settings.directoryCapacity())
                .withEnabled(true);
        ClusterNode node = ClusterNode.start(tmp.resolve("node"), config, settings, cluster, Map.of("HERALD_API_KEY", KEY),
                new PrintWriter(new StringWriter()));
        try {
            port = node.port();
            awaitAllOpen();
            // a zone where it is mid-afternoon now, so quiet hours defer nobody (a marketing campaign)
            String tz = ClusterProcesses.afternoonZone();
            StringBuilder csv = new StringBuilder("phone,tz,first_name\n");
            for (int i = 0; i < 200; i++) {
                csv.append(ClusterProcesses.phone(i)).append(',').append(tz).append(",Ann").append(i).append('\n');
            }
            assertEquals(201, send("POST", "/v1/segments/all", "text/csv", csv.toString(), true).statusCode());
            HttpResponse<String> created = send("POST", "/v1/campaigns", "application/json", "{\"name\": \"links\", \"channel\":"
                    + " \"sms\", \"category\": \"marketing\", \"sender\": \"default\", \"text\": \"Hi {{first_name}}, stop:"
                    + " {{unsubscribe_url}}\", \"segment\": \"all\"}", true);
            assertEquals(201, created.statusCode(), created.body());
            String id = JSON.readTree(created.body()).path("id").asText();
            await("/v1/campaigns/" + id, v -> v.path("status").asText().equals("completed"));

            // the link in recipient 7's message names its partition, whose page and form answer it
            String phone = ClusterProcesses.phone(7);
            int partition = new Partitioner(4).of(phone);
            JsonNode r = JSON.readTree(send("GET", "/v1/campaigns/" + id + "/recipients/" + phone.replace("+", "%2B"), null,
                    null, true).body());
            Matcher m = Pattern.compile("http://[^/]+(/u/p(\\d+)/[A-Za-z0-9_-]+)").matcher(r.path("message").path("text").asText());
            assertTrue(m.find(), r.toString());
            assertEquals(partition, Integer.parseInt(m.group(2)), "the link names the recipient's partition: " + r);
            HttpResponse<String> page = send("GET", m.group(1), null, null, false);
            assertEquals(200, page.statusCode(), page.body());
            assertTrue(page.body().contains("unsubscribe"), page.body());
            assertEquals(200, send("POST", m.group(1), "application/x-www-form-urlencoded", "action=unsubscribe", false)
                    .statusCode());
            JsonNode s = JSON.readTree(send("GET", "/v1/suppressions/" + phone.replace("+", "%2B"), null, null, true).body());
            assertTrue(s.path("suppressed").asBoolean(), s.toString());
            assertEquals("link", s.path("history").get(0).path("source").asText(), s.toString());
            // a token of another partition, or none: a single node's answer to a bad link
            String other = m.group(1).replace("/p" + partition + "/", "/p" + ((partition + 1) % 4) + "/");
            assertEquals(404, send("GET", other, null, null, false).statusCode());
            assertEquals(404, send("GET", "/u/not-a-token", null, null, false).statusCode());

            // a signed STOP from recipient 8 reaches its partition; a bad signature is refused there
            String stop = "{\"from\": \"" + ClusterProcesses.phone(8) + "\", \"to\": \"12345\", \"text\": \"STOP\"}";
            assertEquals(403, send("POST", "/v1/inbound/sms", "application/json", stop, false, "sha256=" + "0".repeat(64))
                    .statusCode());
            HttpResponse<String> replied = send("POST", "/v1/inbound/sms", "application/json", stop, false, sign(stop));
            assertEquals(200, replied.statusCode(), replied.body());
            JsonNode s8 = JSON.readTree(send("GET", "/v1/suppressions/" + ClusterProcesses.phone(8).replace("+", "%2B"), null,
                    null, true).body());
            assertTrue(s8.path("suppressed").asBoolean(), s8.toString());

            // an NDJSON batch of events over several partitions: every answer keeps its line
            StringBuilder batch = new StringBuilder();
            for (int i = 0; i < 12; i++) {
                batch.append("{\"id\": \"ev-").append(i).append("\", \"phone\": \"").append(ClusterProcesses.phone(20 + i))
                        .append("\", \"name\": \"").append(i == 5 ? "Bad Name" : "signup").append("\"}\n");
                if (i == 3) {
                    batch.append("\n"); // line 5 is blank
                }
            }
            JsonNode answer = JSON.readTree(send("POST", "/v1/events", "application/x-ndjson", batch.toString(), true).body());
            assertEquals(11, answer.path("recorded").asLong(), answer.toString());
            assertEquals(1, answer.path("rejected").asLong(), answer.toString());
            JsonNode results = answer.path("results");
            assertEquals(12, results.size(), answer.toString());
            for (int i = 0; i < 12; i++) {
                int line = i < 4 ? i + 1 : i + 2;
                assertEquals(line, results.get(i).path("line").asInt(), answer.toString());
                assertEquals(i == 5 ? "rejected" : "recorded", results.get(i).path("status").asText(), answer.toString());
            }
            // sent again: every event a duplicate, wherever it is stored
            JsonNode again = JSON.readTree(send("POST", "/v1/events", "application/x-ndjson", batch.toString(), true).body());
            assertEquals(11, again.path("duplicates").asLong(), again.toString());
        } finally {
            node.stop().toCompletableFuture().get();
        }
    }

    private void awaitAllOpen() throws Exception {
        await("/v1/segments", v -> true);
    }

    private void await(String path, java.util.function.Predicate<JsonNode> done) throws Exception {
        long end = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        String last = "";
        while (System.nanoTime() < end) {
            HttpResponse<String> r = send("GET", path, null, null, true);
            last = r.statusCode() + " " + r.body();
            if (r.statusCode() == 200 && done.test(JSON.readTree(r.body()))) {
                return;
            }
            Thread.sleep(300);
        }
        throw new AssertionError(path + " not as expected: " + last);
    }

    private HttpResponse<String> send(String method, String path, String type, String body, boolean key) throws Exception {
        return send(method, path, type, body, key, null);
    }

    private HttpResponse<String> send(String method, String path, String type, String body, boolean key, String signature)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (type != null) {
            b.header("Content-Type", type);
        }
        if (key) {
            b.header("Authorization", "Bearer " + KEY);
        }
        if (signature != null) {
            b.header("X-Herald-Signature", signature);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String sign(String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(INBOUND.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
    }
}
