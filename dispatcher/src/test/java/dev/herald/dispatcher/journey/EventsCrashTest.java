package dev.herald.dispatcher.journey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills (SIGKILL) a child JVM ({@link EventsCrashChild}) recording conversions, then a second
 * one posting every event again and more: after each kill, every acknowledged event is stored, and
 * no event twice.
 */
class EventsCrashTest {
    private static final long SEED = 1515L;

    @TempDir
    Path data;

    @Test
    void shouldKeepEveryAcknowledgedOrderOnceAfterAKill9() throws Exception {
        System.out.println("seed " + SEED);
        Random random = new Random(SEED);
        int acked = runAndKill(0, 1_000_000, 20 + random.nextInt(40));
        check(acked);
        // a retry of everything, then new events: the retried ones change nothing
        int again = runAndKill(0, 1_000_000, acked / EventsCrashChild.BATCH + 5 + random.nextInt(20));
        assertTrue(again > acked, again + " <= " + acked);
        check(again);
    }

    private void check(int lastAcked) throws Exception {
        try (Events c = Events.open(data)) {
            for (int n = 0; n <= lastAcked; n++) {
                assertEquals(new BigDecimal(n % 100 + ".25"), c.find("e-" + n).orElseThrow(() -> new AssertionError("lost"))
                        .properties().get("value"));
            }
            long lines = Files.readAllLines(data.resolve(Events.FILE)).size();
            assertEquals(c.size(), lines, "one record per event");
            assertTrue(c.size() >= lastAcked + 1);
            long[] scanned = {0, -1};
            c.scan(0, (offset, e) -> {
                int n = Integer.parseInt(e.id().substring(2));
                assertEquals(scanned[1] + 1, n, "in the order recorded, none twice");
                scanned[1] = n;
                scanned[0]++;
            });
            assertEquals(c.size(), scanned[0]);
        }
    }

    /** @return the last event number acknowledged before the kill */
    private int runAndKill(int from, int to, int killAfterBatches) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m"));
        String flags = System.getProperty("herald.test.jvmFlags", "");
        if (!flags.isBlank()) {
            cmd.addAll(Arrays.asList(flags.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), EventsCrashChild.class.getName(), data.toString(),
                Integer.toString(from), Integer.toString(to)));
        Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(data.resolve("child.err").toFile()))
                .start();
        int last = -1;
        int batches = 0;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("ACK ")) {
                    last = Integer.parseInt(line.substring(4));
                    if (++batches == killAfterBatches) {
                        new ProcessBuilder("kill", "-9", Long.toString(child.pid())).start().waitFor();
                    }
                } else if (line.equals("DONE")) {
                    fail("the child recorded every event before it was killed");
                }
            }
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        }
        assertEquals(137, child.exitValue(), "killed by SIGKILL; its stderr: " + Files.readString(data.resolve("child.err")));
        System.out.println("killed after " + batches + " acknowledged batches, last event " + last);
        return last;
    }
}
