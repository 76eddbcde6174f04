package dev.herald.dispatcher.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.dispatcher.api.GeneratedCsv;
import dev.herald.dispatcher.connector.AcceptedLogEntry;
import dev.herald.dispatcher.connector.SimulatedConnector;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code herald serve} as its users run it: a separate JVM, driven over HTTP. A 1,000,000-line
 * CSV upload, opt-outs, a campaign to the segment; SIGTERM while it sends; a restart resumes it;
 * at the end the counts are exactly what the inputs imply and nobody got the message twice.
 */
class ServeProcessTest {

    static final int LINES = 1_000_000;
    static final int OPT_OUTS = 1_000;
    static final String KEY = "process-test-admin-key-42";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** A running child: its process and port. */
    private record Child(Process process, int port) {
    }

    private static Child startChild(Path data, Path config, Path log) throws Exception {
        ServeChild c = ServeChild.start(data, config, log, "1g", KEY, true); // works hard for a minute: full JIT
        return new Child(c.process(), c.port());
    }

    private static HttpResponse<String> send(Child c, HttpRequest.Builder b) throws Exception {
        return HTTP.send(b.header("Authorization", "Bearer " + KEY).timeout(Duration.ofMinutes(2)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.Builder at(Child c, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.port() + path));
    }

    private static JsonNode campaign(Child c, String id) throws Exception {
        HttpResponse<String> r = send(c, at(c, "/v1/campaigns/" + id).GET());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    private static String phone(int i) {
        return "+44741" + String.format("%07d", i);
    }

    @Test
    void shouldTakeAMillionLineUploadAndResumeACampaignAfterSigtermWithoutDuplicates(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Path config = dir.resolve("test.conf");
        // A connector with some latency and a small window, so that the campaign is still sending at SIGTERM.
        Files.writeString(config, "herald.service { directory-capacity = 2000000\n"
                + "  connector { latency-min = 1ms, latency-max = 1ms, window = 128 } }\n");
        // Every recipient's local time is mid-afternoon now, so quiet hours defer nobody.
        int hour = ZonedDateTime.now(ZoneOffset.UTC).getHour();
        int offset = Math.max(-12, Math.min(14, 14 - hour));
        String tz = offset == 0 ? "Etc/GMT" : "Etc/GMT" + (offset > 0 ? "-" : "+") + Math.abs(offset);
        System.out.println("ServeProcessTest: recipients in " + tz + " (UTC hour " + hour + ")");

        Child first = startChild(data, config, dir.resolve("child-1.err"));
        long t0 = System.nanoTime();
        HttpResponse<String> upload = send(first, at(first, "/v1/segments/everyone").header("Content-Type", "text/csv")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new GeneratedCsv(LINES, "phone,tz,first_name",
                        i -> phone(i) + "," + tz + ",n" + i))));
        System.out.printf("uploaded %,d lines in %,d ms%n", LINES, (System.nanoTime() - t0) / 1_000_000);
        assertEquals(201, upload.statusCode(), upload.body());
        JsonNode segment = JSON.readTree(upload.body());
        assertEquals(LINES, segment.path("size").asLong(), upload.body());
        assertEquals(0, segment.path("rejected").asLong(), upload.body());

        // Opt-outs for every 1000th recipient, before the campaign.
        StringBuilder phones = new StringBuilder();
        Set<String> optedOut = new HashSet<>();
        for (int i = 0; i < OPT_OUTS; i++) {
            String p = phone(i * 1_000 + 7);
            optedOut.add(p);
            phones.append(i == 0 ? "" : ",").append('"').append(p).append('"');
        }
        HttpResponse<String> opt = send(first, at(first, "/v1/suppressions").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"phones\": [" + phones + "], \"scope\": \"global\", "
                        + "\"reason\": \"test\"}")));
        assertEquals(201, opt.statusCode(), opt.body());

        HttpResponse<String> created = send(first, at(first, "/v1/campaigns").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"name": "Million", "channel": "sms", "category": "marketing", "sender": "acme",
                         "text": "Hi {{first_name}}, sale today", "footer": "Reply STOP to opt out", "segment": "everyone"}""")));
        assertEquals(201, created.statusCode(), created.body());
        String id = JSON.readTree(created.body()).path("id").asText();

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        long sentAtTerm;
        do {
            Thread.sleep(100);
            sentAtTerm = campaign(first, id).path("counts").path("sent").asLong();
        } while (sentAtTerm < 50_000 && System.nanoTime() < deadline);
        assertTrue(sentAtTerm >= 50_000 && sentAtTerm < LINES - OPT_OUTS, "SIGTERM must land mid-send: sent " + sentAtTerm);
        first.process().destroy(); // SIGTERM
        assertTrue(first.process().waitFor(60, TimeUnit.SECONDS), "the service stops within 60 s of SIGTERM");
        System.out.println("SIGTERM after " + sentAtTerm + " sent; exit code " + first.process().exitValue());
        String firstLog = Files.readString(dir.resolve("child-1.err"));
        assertTrue(!firstLog.contains("Exception") || !firstLog.contains("ERROR"), "a clean stop: " + tail(firstLog));

        Child second = startChild(data, config, dir.resolve("child-2.err"));
        JsonNode done;
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        do {
            Thread.sleep(200);
            done = campaign(second, id);
        } while (!done.path("status").asText().equals("completed") && System.nanoTime() < deadline);
        second.process().destroy();
        second.process().waitFor(60, TimeUnit.SECONDS);
        System.out.println("after restart: " + done);
        if (done.path("counts").path("unknown").asLong() > 0) {
            System.out.println("first child's log (tail):\n" + tail(firstLog));
        }

        assertEquals("completed", done.path("status").asText(), done.toString());
        JsonNode counts = done.path("counts");
        assertEquals(LINES, done.path("total").asLong());
        assertEquals(OPT_OUTS, counts.path("suppressed").asLong(), "exactly the opted-out recipients: " + done);
        assertEquals(LINES - OPT_OUTS, counts.path("sent").asLong(), "everyone else: " + done);
        assertEquals(0, counts.path("unknown").asLong(), "a clean stop leaves nothing unknown");
        List<AcceptedLogEntry> log = SimulatedConnector.readLog(data.resolve("connector/simulated-accepted.tsv"));
        assertEquals(LINES - OPT_OUTS, log.size(), "accepted log = sent");
        Set<Integer> seen = new HashSet<>();
        for (AcceptedLogEntry e : log) {
            assertTrue(seen.add(e.recipientId()), "recipient " + e.recipientId() + " twice");
        }
        assertTrue(log.size() > sentAtTerm, "the rest was sent after the restart");
    }

    private static String tail(String s) {
        return s.length() < 4_000 ? s : s.substring(s.length() - 4_000);
    }
}
