package dev.herald.dispatcher.outcome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Kills a child JVM running a campaign ({@link CrashChild}) with SIGKILL at random points and
 * checks after each restart that nobody handed to the connector is pending again or was handed
 * twice, and that every audience id is pending or has exactly one outcome.
 */
class OutcomeLedgerCrashTest {
    private static final long SEED = 0xC0FFEE42L;
    private static final int AUDIENCE = 300_000;
    private static final int KILLS = 6;

    @TempDir
    Path tmp;

    @Test
    void shouldNeverResendNorLoseAnyoneWhenKilledAtRandomPoints() throws Exception {
        System.out.println("OutcomeLedgerCrashTest seed = " + SEED);
        Random rnd = new Random(SEED);
        Path dir = tmp.resolve("outcomes");
        Path sentFile = tmp.resolve("sent.bin");
        MutableRoaringBitmap audience = CrashChild.audience(AUDIENCE);
        int killedMidRun = 0;
        for (int run = 0; run < KILLS; run++) {
            Process child = start(dir, sentFile, SEED + run);
            Thread.sleep(20 + rnd.nextInt(300));
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
            if (child.exitValue() != 0) {
                killedMidRun++;
            }
            check(dir, sentFile, audience, false);
        }
        Process last = start(dir, sentFile, SEED + KILLS);
        assertTrue(last.waitFor(60, TimeUnit.SECONDS), "the last run finishes");
        assertEquals(0, last.exitValue(), Files.readString(tmp.resolve("child.err")));
        check(dir, sentFile, audience, true);
        System.out.println("OutcomeLedgerCrashTest: " + killedMidRun + " of " + KILLS + " kills landed mid-run");
        assertTrue(killedMidRun >= KILLS / 2, "most kills must land while the child works");
    }

    private Process start(Path dir, Path sentFile, long seed) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                CrashChild.class.getName(), dir.toString(), sentFile.toString(), Long.toString(seed), Integer.toString(AUDIENCE))
                .redirectError(tmp.resolve("child.err").toFile())
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        assertTrue(line != null && line.startsWith("STARTED"), "child did not start: " + line + " "
                + Files.readString(tmp.resolve("child.err")));
        return p;
    }

    private static void check(Path dir, Path sentFile, ImmutableRoaringBitmap audience, boolean complete) throws IOException {
        MutableRoaringBitmap handed = new MutableRoaringBitmap();
        ByteBuffer bytes = ByteBuffer.wrap(Files.exists(sentFile) ? Files.readAllBytes(sentFile) : new byte[0]);
        while (bytes.remaining() >= 4) {
            int id = bytes.getInt();
            assertFalse(handed.contains(id), "recipient " + id + " was handed to the connector twice");
            handed.add(id);
        }
        try (OutcomeLedger ledger = OutcomeLedger.open(dir, audience)) {
            assertFalse(ImmutableRoaringBitmap.intersects(ledger.pending(), handed), "a handed recipient is pending again");
            MutableRoaringBitmap union = new MutableRoaringBitmap();
            long sum = 0;
            for (Map.Entry<String, Long> e : ledger.counts().entrySet()) {
                sum += e.getValue();
                ImmutableRoaringBitmap ids = e.getKey().equals("pending") ? ledger.pending()
                        : e.getKey().equals("claimed") ? ledger.claimed() : ledger.ids(e.getKey());
                assertEquals((long) e.getValue(), ids.getLongCardinality(), e.getKey());
                assertFalse(ImmutableRoaringBitmap.intersects(union, ids), "an id has two outcomes: " + e.getKey());
                union.or(ids);
            }
            assertEquals(audience.getLongCardinality(), sum, "counts add up to the audience");
            assertEquals(audience, union, "every audience id is pending or has exactly one outcome");
            assertEquals(0L, ledger.counts().get("claimed"), "nothing stays claimed after recovery");
            MutableRoaringBitmap confirmed = ImmutableRoaringBitmap.or(ledger.ids("sent"), ledger.ids("failed:timeout"));
            assertTrue(handed.contains(confirmed), "confirmed ids were all handed over");
            MutableRoaringBitmap unconfirmed = ImmutableRoaringBitmap.andNot(handed, confirmed);
            assertTrue(ledger.ids("unknown").contains(unconfirmed), "handed but unconfirmed ids are unknown");
            assertTrue(ImmutableRoaringBitmap.andNot(ledger.recovery().unknown(), ledger.ids("unknown")).isEmpty());
            System.out.println("after restart: " + ledger.counts() + ", " + ledger.recovery().warnings());
            if (complete) {
                assertTrue(ledger.isComplete());
                assertTrue(ledger.pending().isEmpty());
            }
        }
    }

}
