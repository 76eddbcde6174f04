package dev.herald.dispatcher.connector.smpp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The test SMSC ({@code src/test/smsc/smsc.js}, node-smpp) as a process on a loopback port.
 *
 * <pre>{@code
 * try (NodeSmsc smsc = NodeSmsc.start(dir, "--throttle-every", "7")) {
 *     ... settings with smsc.port() ...
 *     List<JsonNode> taken = smsc.taken();       // every submit_sm it answered ESME_ROK
 *     smsc.command("{\"cmd\":\"drop\"}");
 * }
 * }</pre>
 *
 * <p>Without node or the script's {@code node_modules} ({@code npm ci --prefix
 * dispatcher/src/test/smsc}) the calling test is skipped, unless {@code HERALD_PEER_TESTS=required}
 * ({@code .ci/run} sets it), when it fails.
 */
public final class NodeSmsc implements AutoCloseable {

    public static final Path SCRIPT_DIR = Path.of("src/test/smsc").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Writer stdin;
    private final BlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();
    private final List<JsonNode> seen = new ArrayList<>();
    private final Path log;
    private final int port;

    private NodeSmsc(Process process, Path log) throws IOException, InterruptedException {
        this.process = process;
        this.log = log;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    try {
                        events.add(JSON.readTree(line));
                    } catch (IOException e) {
                        events.add(JSON.createObjectNode().put("event", "unparsed").put("line", line));
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, "node-smsc-stdout");
        reader.setDaemon(true);
        reader.start();
        JsonNode listening = await(e -> e.path("event").asText().equals("listening"), Duration.ofSeconds(20));
        this.port = listening.path("port").asInt();
    }

    /** Skips (or fails, when peers are required) the calling test if node or node-smpp is missing. */
    public static void requireNode() {
        String why = null;
        if (!Files.isDirectory(SCRIPT_DIR.resolve("node_modules/smpp"))) {
            why = "the SMPP peer tests need node-smpp: npm ci --prefix dispatcher/src/test/smsc";
        } else {
            try {
                Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
                if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    why = "node --version failed";
                }
            } catch (IOException | InterruptedException e) {
                why = "the SMPP peer tests need node (Node.js 20): " + e.getMessage();
            }
        }
        if (why == null) {
            return;
        }
        if ("required".equals(System.getenv("HERALD_PEER_TESTS"))) {
            fail(why + "; HERALD_PEER_TESTS=required");
        }
        Assumptions.abort("skipped: " + why);
    }

    /**
     * @param dir  where its log goes
     * @param args options of smsc.js (see its header)
     * @return the running SMSC, listening
     */
    public static NodeSmsc start(Path dir, String... args) throws IOException, InterruptedException {
        requireNode();
        Path log = Files.createTempFile(dir, "smsc-taken-", ".jsonl");
        List<String> command = new ArrayList<>(List.of("node", SCRIPT_DIR.resolve("smsc.js").toString(), "--port", "0",
                "--log", log.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        return new NodeSmsc(p, log);
    }

    public int port() {
        return port;
    }

    /** Sends one JSON command line. */
    public void command(String json) throws IOException {
        stdin.write(json + "\n");
        stdin.flush();
    }

    /** @return the first event (seen before or coming) that matches, within the time */
    public JsonNode await(Predicate<JsonNode> match, Duration timeout) throws InterruptedException {
        synchronized (seen) {
            for (JsonNode e : seen) {
                if (match.test(e)) {
                    return e;
                }
            }
        }
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = end - System.nanoTime();
            JsonNode e = left <= 0 ? null : events.poll(left, TimeUnit.NANOSECONDS);
            if (e == null) {
                fail("the SMSC did not report the awaited event within " + timeout + "; seen: " + seen);
            }
            synchronized (seen) {
                seen.add(e);
            }
            if (match.test(e)) {
                return e;
            }
        }
    }

    /** @return its counters now */
    public JsonNode stats() throws IOException, InterruptedException {
        long before;
        synchronized (seen) {
            before = seen.stream().filter(e -> e.path("event").asText().equals("stats")).count();
        }
        command("{\"cmd\":\"stats\"}");
        long[] count = {0};
        return await(e -> e.path("event").asText().equals("stats") && ++count[0] > before, Duration.ofSeconds(10));
    }

    /** @return every submit_sm it took, in order */
    public List<JsonNode> taken() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        String all = Files.readString(log, StandardCharsets.UTF_8);
        // only whole lines: the SMSC may be writing the last one right now
        int end = all.lastIndexOf('\n');
        for (String line : (end < 0 ? "" : all.substring(0, end)).split("\n")) {
            if (!line.isBlank()) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
    }

    @Override
    public void close() throws Exception {
        try {
            stdin.close();
        } catch (IOException ignored) {
            // already gone
        }
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
