package dev.herald.throttle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Kills (SIGKILL) a child JVM that is reserving in a ledger, then reopens the ledger: every
 * reservation the child reported is still counted, and the store opens cleanly.
 */
class SendLedgerKillTest {
    static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
    static final CapContext CTX = CapContext.marketing("sms", "promo", ZoneId.of("UTC"));
    static final int CHUNK = 1_000;

    @TempDir
    Path dir;

    static SendLedger open(Path dir, SendLedgerOptions.Store store) throws Exception {
        CapRule once = new CapRule("once", 1, CapWindow.calendar(CapWindow.Period.DAY), CapScope.MARKETING, Optional.empty(), CapAction.DROP);
        return SendLedger.open(dir, FrequencyCaps.of(List.of(once)), new SendLedgerOptions(store, 8, 200_000), n -> null);
    }

    /** The child: reserves chunk after chunk, printing how many ids are done, until killed. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            SendLedger ledger = open(Path.of(args[0]), SendLedgerOptions.Store.valueOf(args[1]));
            int max = Integer.parseInt(args[2]);
            for (int from = 0; ; from += CHUNK) {
                if (from >= max) {
                    Thread.sleep(60_000);
                    continue;
                }
                MutableRoaringBitmap chunk = new MutableRoaringBitmap();
                chunk.add((long) from, from + CHUNK);
                if (ledger.reserve(chunk, CTX, NOW).reserved().getCardinality() != CHUNK) {
                    throw new IllegalStateException("child: chunk at " + from + " not fully reserved");
                }
                System.out.println("done " + (from + CHUNK));
                System.out.flush();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(SendLedgerOptions.Store.class)
    void shouldKeepEveryReportedReservationAfterKillMinus9(SendLedgerOptions.Store store) throws Exception {
        int max = store == SendLedgerOptions.Store.MMAP ? 3_000_000 : 150_000;
        int killAfter = store == SendLedgerOptions.Store.MMAP ? 1_200_000 : 50_000;
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m"));
        String flags = System.getProperty("herald.test.jvmFlags", "");
        if (!flags.isBlank()) {
            cmd.addAll(Arrays.asList(flags.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
                Child.class.getName(), dir.toString(), store.name(), Integer.toString(max)));
        Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        int done = 0;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while (done < killAfter && (line = out.readLine()) != null) {
                if (line.startsWith("done ")) {
                    done = Integer.parseInt(line.substring(5));
                }
            }
            child.destroyForcibly(); // SIGKILL: no shutdown hook, no close
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        }
        assertTrue(done >= killAfter, "child stopped early after " + done + " ids (exit " + child.exitValue() + ")");
        try (SendLedger ledger = open(dir, store)) {
            MutableRoaringBitmap reported = new MutableRoaringBitmap();
            reported.add(0L, done);
            ReservationBatch again = ledger.reserve(reported, CTX, NOW.plusSeconds(1));
            assertEquals(0, again.reserved().getCardinality(), "reservations lost by the kill");
            assertEquals(done, again.capped().get("capped:once").getCardinality());
        }
    }
}
