package dev.herald.suppression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety for real: a child JVM adds opt-outs in a loop and is killed with SIGKILL at a
 * random point; after reopening, every opt-out whose add had returned is present.
 */
class CrashSafetyTest {

    @TempDir
    Path dir;

    @Test
    void shouldKeepEveryAcknowledgedOptOutAcrossSigkill() throws Exception {
        long seed = 7_2026L;
        System.out.println("CrashSafetyTest seed " + seed);
        Random rnd = new Random(seed);
        Path data = dir.resolve("index");
        Path acks = dir.resolve("acks.txt");
        Files.createFile(acks);
        int start = 0;
        for (int round = 0; round < 5; round++) {
            long killAfterMs = 150 + rnd.nextInt(900);
            long ackedBefore = Files.size(acks);
            Process child = new ProcessBuilder(javaBin(), "-cp", System.getProperty("java.class.path"),
                    CrashWriterMain.class.getName(), data.toString(), acks.toString(), Integer.toString(start))
                    .redirectErrorStream(true).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String first = out.readLine();
            assertEquals("READY", first, "child did not start");
            // the kill falls at a random point after the first acknowledgement, however slow a loaded machine makes the start
            long firstAckDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (Files.size(acks) <= ackedBefore && System.nanoTime() < firstAckDeadline && child.isAlive()) {
                Thread.sleep(5);
            }
            Thread.sleep(killAfterMs);
            assertTrue(child.isAlive(), "child died on its own");
            child.destroyForcibly(); // SIGKILL on Linux
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            assertEquals(137, child.exitValue(), "killed by SIGKILL");

            List<String> lines = Files.readAllLines(acks, StandardCharsets.US_ASCII);
            try (SuppressionIndex index = SuppressionIndex.open(data)) {
                SuppressionSnapshot snap = index.snapshot();
                int checked = 0;
                for (String line : lines) {
                    if (line.isEmpty()) {
                        continue; // a line cut by the kill: its add had returned, but we cannot read the id
                    }
                    int id = Integer.parseInt(line);
                    Scope scope = id % 2 == 0 ? Scope.GLOBAL : Scope.sender("acme");
                    assertTrue(snap.isSuppressed(id, scope), "round " + round + ": acknowledged opt-out " + id + " lost");
                    checked++;
                }
                System.out.printf("round %d: killed after %d ms, %d acknowledged opt-outs present, open report %s%n",
                        round, killAfterMs, checked, index.openReport());
                assertTrue(checked > 0, "the child acknowledged nothing before the kill");
                start = (int) (snap.count(Scope.GLOBAL) + snap.count(Scope.sender("acme"))) + 1_000_000 * (round + 1);
            }
        }
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
