package dev.herald.suppression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redaction is crash-safe for real: a child JVM erases and compacts in a loop (rewriting ledger
 * segments) and is killed with SIGKILL at a random point; after reopening every segment reads
 * whole, and the next compaction leaves no byte of any acknowledged erased person's number or
 * text, while they stay suppressed and everyone else's evidence stays.
 */
class ConsentErasureCrashTest {
    private static final int PER_ROUND = 6000;

    @TempDir
    Path dir;

    /** Every file under {@code root} as ISO-8859-1 text (one char a byte), for byte searches. */
    private static List<String> allBytes(Path root) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(p)) {
                    out.add(new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1));
                }
            }
        }
        return out;
    }

    private static boolean anyHolds(List<String> files, String text) {
        for (String f : files) {
            if (f.contains(text)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void shouldLeaveWholeSegmentsAndRedactEveryAcknowledgedErasureAcrossSigkill() throws Exception {
        long seed = 12_2026L;
        System.out.println("ConsentErasureCrashTest seed " + seed);
        Random rnd = new Random(seed);
        Path data = dir.resolve("index");
        Path acks = dir.resolve("acks.txt");
        Files.createFile(acks);
        for (int round = 0; round < 4; round++) {
            int start = round * 100_000;
            long killAfterMs = 100 + rnd.nextInt(700);
            Process child = new ProcessBuilder(javaBin(), "-cp", System.getProperty("java.class.path"),
                    ErasureCrashMain.class.getName(), data.toString(), acks.toString(), Integer.toString(start),
                    Integer.toString(PER_ROUND), Long.toString(seed + round))
                    .redirectErrorStream(true).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("READY", out.readLine(), "child did not start");
            Thread.sleep(killAfterMs);
            assertTrue(child.isAlive(), "child died on its own");
            child.destroyForcibly(); // SIGKILL on Linux
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            assertEquals(137, child.exitValue(), "killed by SIGKILL");

            TreeSet<Integer> erased = new TreeSet<>();
            for (String line : Files.readAllLines(acks, StandardCharsets.US_ASCII)) {
                if (!line.isEmpty()) {
                    erased.add(Integer.parseInt(line)); // a line cut by the kill cannot be read: skipped
                }
            }
            try (SuppressionIndex index = SuppressionIndex.open(data)) {
                System.out.printf("round %d: killed after %d ms, %d erased so far, open report %s%n", round, killAfterMs,
                        erased.size(), index.openReport());
                index.compact();
                List<String> files = allBytes(data);
                for (int id : erased) {
                    assertFalse(anyHolds(files, ErasureCrashMain.text(id)), "round " + round + ": text of erased " + id + " kept");
                    assertFalse(anyHolds(files, ErasureCrashMain.phone(id)), "round " + round + ": number of erased " + id + " kept");
                    assertTrue(index.isSuppressed(id, List.of(Scope.GLOBAL)), "erased " + id + " is no longer suppressed");
                }
                int kept = 0;
                for (int id = start; id < start + PER_ROUND; id += 97) {
                    if (!erased.contains(id)) {
                        assertTrue(anyHolds(files, ErasureCrashMain.text(id)), "evidence of " + id + " (not erased) lost");
                        kept++;
                    }
                }
                assertTrue(kept > 0);
                if (!erased.isEmpty()) {
                    List<ConsentRecord> h = index.ledger().history(erased.first());
                    assertEquals(ConsentAction.OPT_OUT, h.get(0).action());
                    assertTrue(h.stream().anyMatch(r -> r.action() == ConsentAction.ERASED), h.toString());
                }
            }
            for (dev.herald.suppression.store.VerifyResult r : SuppressionIndex.verifyLogs(data)) {
                assertTrue(r.ok(), "round " + round + ": " + r.describe());
            }
        }
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
