package dev.herald.dispatcher.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.connector.AcceptedLogEntry;
import dev.herald.dispatcher.connector.SimulatedConnector;
import dev.herald.dispatcher.connector.SimulatedConnectorOptions;
import dev.herald.dispatcher.demo.AudienceSpec;
import dev.herald.dispatcher.demo.SyntheticAudience;
import dev.herald.dispatcher.outcome.OutcomeLedger;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Kills a whole Herald process running a campaign ({@link CampaignCrashChild}: data directory,
 * actors, stream, simulated connector) with SIGKILL at random points, restarts it each time, and
 * checks after every restart and at the end: no (campaign, recipient) twice in the accepted log,
 * every audience member with exactly one outcome, every accepted message {@code sent} or
 * {@code unknown}, the unknown bounded by the in-flight window per kill.
 */
class CampaignCrashTest {
    private static final long SEED = 0x5EED_C4A5L;
    /** Audience size; {@code -Dherald.crash.recipients=200000} for the measurement. */
    private static final int RECIPIENTS = Integer.getInteger("herald.crash.recipients", 100_000);
    /** Kills; {@code -Dherald.crash.kills=10} for the measurement. */
    private static final int KILLS = Integer.getInteger("herald.crash.kills", 5);
    private static final int WINDOW = CampaignCrashChild.WINDOW;
    /** Unknown ids so far, and those of them the connector never accepted (provably never sent). */
    private MutableRoaringBitmap unknownBefore = new MutableRoaringBitmap();
    private MutableRoaringBitmap neverAcceptedBefore = new MutableRoaringBitmap();
    private long unknownTotal;
    private long neverAcceptedTotal;
    private long maxNewUnknown;
    private long maxNewNeverAccepted;

    @TempDir
    Path tmp;

    /** Whether the child's connector deduplicates by idempotency key (then unknowns are resent). */
    private boolean idempotent;
    private int recipients = RECIPIENTS;

    @Test
    void shouldNeverSendTwiceNorLeaveAnyoneWithoutAnOutcomeWhenTheProcessIsKilledAtRandomPoints() throws Exception {
        killAndRestart(KILLS);
    }

    @Test
    void shouldResendCrashUnknownsWithoutDuplicatesWhenTheConnectorDeduplicatesByIdempotencyKey() throws Exception {
        idempotent = true;
        // Long enough a send for several kills: a kill that lands while the group in hand waits for
        // rate permits leaves no one unknown, so kills go on (up to MAX_KILLS) until one does.
        recipients = 150_000;
        killAndRestart(3);
        try (OutcomeLedger ledger = OutcomeLedger.openExisting(
                tmp.resolve("campaigns").resolve(CampaignCrashChild.CAMPAIGN).resolve(CampaignStore.OUTCOMES))) {
            assertTrue(unknownTotal > 0, "the kills left unknown recipients to resend");
            assertEquals(0L, ledger.counts().getOrDefault("unknown", 0L), "every crash-unknown was resent: " + ledger.counts());
            MutableRoaringBitmap accepted = new MutableRoaringBitmap();
            SimulatedConnector.readLog(SimulatedConnectorOptions.defaults(tmp.resolve("log")).logFile())
                    .forEach(e -> accepted.add(e.recipientId()));
            assertEquals(ledger.ids("sent"), accepted, "sent is exactly what the peer accepted, each once");
        }
    }

    /** Most kills of a run that kills until some recipient is left unknown. */
    private static final int MAX_KILLS = 10;

    /**
     * Kills a child {@code atLeast} times mid-send (with idempotency keys: then on until a kill left
     * someone unknown, at most {@link #MAX_KILLS}), then lets a last child finish and checks.
     */
    private void killAndRestart(int atLeast) throws Exception {
        int kills = atLeast;
        System.out.println("CampaignCrashTest seed = " + SEED + ", " + recipients + " recipients, " + atLeast + " kills or more"
                + (idempotent ? ", idempotency keys" : ""));
        Random rnd = new Random(SEED);
        try (HeraldData data = SyntheticAudience.openData(tmp.resolve("data"), recipients)) {
            SyntheticAudience.of(AudienceSpec.defaults().withRecipients(recipients).withSeed(CampaignFixture.SEED))
                    .populate(data, (p, d, t) -> { });
        }
        int midRun = 0;
        for (int kill = 0; kill < kills; kill++) {
            Process child = start();
            long sentAtKill = waitAndKill(child, rnd.nextInt(1_500));
            if (sentAtKill >= 0) {
                midRun++;
            }
            check(false, kill + 1);
            if (kill == kills - 1 && idempotent && unknownTotal == 0 && sentAtKill >= 0 && kills < MAX_KILLS) {
                kills++; // no one to resend yet, and the campaign still sends: once more
            }
        }
        Process last = start();
        String out = new String(last.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(last.waitFor(120, TimeUnit.SECONDS), "the last run finishes");
        assertEquals(0, last.exitValue(), out + Files.readString(tmp.resolve("child.err")));
        assertTrue(out.contains("SETTLED"), out);
        check(true, kills);
        System.out.println("CampaignCrashTest: " + midRun + " of " + kills + " kills landed while sending");
        assertTrue(midRun >= kills - 1, "most kills must land while the campaign sends");
        System.out.println("CampaignCrashTest: " + kills + " kills of " + recipients + " recipients: " + unknownTotal
                + " unknown, " + neverAcceptedTotal + " of them never accepted by the connector; most from one kill "
                + maxNewUnknown + " / " + maxNewNeverAccepted);
        // Claims are made just in time: one kill leaves unknown at most what the connector had in
        // flight or answered but not yet recorded, plus the groups claimed and not yet handed over.
        assertTrue(maxNewUnknown <= CampaignRun.unknownBound(WINDOW),
                "one kill made " + maxNewUnknown + " unknown, more than " + CampaignRun.unknownBound(WINDOW));
        // Of those, the ones the connector never accepted were in flight or claimed just before
        // their hand-over: at most one window.
        assertTrue(maxNewNeverAccepted <= WINDOW,
                "one kill made " + maxNewNeverAccepted + " unknown that were never handed over, more than a window");
    }

    private Process start() throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m"));
        String flags = System.getProperty("herald.test.jvmFlags", "");
        if (!flags.isBlank()) {
            cmd.addAll(Arrays.asList(flags.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), CampaignCrashChild.class.getName(),
                tmp.toString(), Integer.toString(recipients), idempotent ? "idempotent" : "plain"));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(tmp.resolve("child.err").toFile())).start();
    }

    /**
     * Waits until the child has sent something itself, then kills it {@code afterMs} later.
     *
     * @return the sent count the child last printed when killed, or -1 if it was not killed (it settled first)
     */
    private long waitAndKill(Process child, int afterMs) throws Exception {
        long sent = -1;
        long deadline = 0;
        boolean killed = false;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            long firstSent = -1;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("SENT ")) {
                    sent = Long.parseLong(line.substring(5));
                    if (firstSent < 0) {
                        firstSent = sent;
                    } else if (deadline == 0 && sent > firstSent) {
                        // this process sends: the kill lands within its run, however slow its start was
                        deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(afterMs);
                    }
                }
                if (line.equals("SETTLED")) {
                    break;
                }
                if (deadline != 0 && System.nanoTime() >= deadline) {
                    new ProcessBuilder("kill", "-9", Long.toString(child.pid())).start().waitFor();
                    System.out.println("killed after " + afterMs + " ms, last printed sent = " + sent);
                    killed = true;
                    break;
                }
            }
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        }
        return killed ? sent : -1;
    }

    private void check(boolean settled, int kills) throws IOException {
        Path ledgerDir = tmp.resolve("campaigns").resolve(CampaignCrashChild.CAMPAIGN).resolve(CampaignStore.OUTCOMES);
        MutableRoaringBitmap accepted = new MutableRoaringBitmap();
        Path log = SimulatedConnectorOptions.defaults(tmp.resolve("log")).logFile();
        if (Files.exists(log)) {
            for (AcceptedLogEntry e : SimulatedConnector.readLog(log)) {
                assertEquals(CampaignCrashChild.CAMPAIGN, e.campaignId());
                assertFalse(accepted.contains(e.recipientId()), "recipient " + e.recipientId() + " was sent twice");
                accepted.add(e.recipientId());
            }
        }
        if (!Files.exists(tmp.resolve("campaigns").resolve(CampaignCrashChild.CAMPAIGN).resolve(CampaignStore.RECORD))) {
            assertTrue(accepted.isEmpty(), "sent before the campaign existed");
            return;
        }
        try (OutcomeLedger ledger = OutcomeLedger.openExisting(ledgerDir)) {
            Map<String, Long> counts = ledger.counts();
            MutableRoaringBitmap union = new MutableRoaringBitmap();
            for (Map.Entry<String, Long> e : counts.entrySet()) {
                ImmutableRoaringBitmap ids = e.getKey().equals("pending") ? ledger.pending()
                        : e.getKey().equals("claimed") ? ledger.claimed() : ledger.ids(e.getKey());
                assertEquals((long) e.getValue(), ids.getLongCardinality(), e.getKey());
                assertFalse(ImmutableRoaringBitmap.intersects(union, ids), "an id has two outcomes: " + e.getKey());
                union.or(ids);
            }
            assertEquals(ledger.audience(), union, "every audience id is pending or has exactly one outcome");
            assertEquals(0L, counts.get("claimed"), "nothing stays claimed after recovery");
            ImmutableRoaringBitmap sent = ledger.ids("sent");
            ImmutableRoaringBitmap unknown = ledger.ids("unknown");
            assertTrue(accepted.contains(sent), "every 'sent' was accepted by the connector");
            MutableRoaringBitmap sentOrUnknown = ImmutableRoaringBitmap.or(sent, unknown);
            if (idempotent) {
                sentOrUnknown.or(ledger.pending()); // unknowns resent at the last start, not sent again yet
            }
            assertTrue(sentOrUnknown.contains(accepted), "every accepted message is sent or unknown");
            if (!idempotent) {
                // (with idempotency keys, resent unknowns are pending again: the peer deduplicates them)
                assertFalse(ImmutableRoaringBitmap.intersects(ledger.pending(), accepted), "an accepted recipient is pending again");
            }
            MutableRoaringBitmap neverAccepted = ImmutableRoaringBitmap.andNot(unknown, accepted);
            long newUnknown = ImmutableRoaringBitmap.andNot(unknown, unknownBefore).getLongCardinality();
            long newNeverAccepted = ImmutableRoaringBitmap.andNot(neverAccepted, neverAcceptedBefore).getLongCardinality();
            unknownBefore = unknown.toMutableRoaringBitmap();
            neverAcceptedBefore = neverAccepted;
            unknownTotal += newUnknown;
            neverAcceptedTotal += newNeverAccepted;
            System.out.println("after kill " + kills + ": " + counts + ", accepted " + accepted.getLongCardinality()
                    + "; this kill made " + newUnknown + " unknown, " + newNeverAccepted + " of them never accepted"
                    + " (totals " + unknownTotal + " / " + neverAcceptedTotal + ")");
            maxNewUnknown = Math.max(maxNewUnknown, newUnknown);
            maxNewNeverAccepted = Math.max(maxNewNeverAccepted, newNeverAccepted);
            if (settled) {
                assertEquals(0L, counts.get("pending"));
                assertTrue(counts.getOrDefault("sent", 0L) > recipients / 4, "the campaign really sent: " + counts);
            }
        }
    }
}
