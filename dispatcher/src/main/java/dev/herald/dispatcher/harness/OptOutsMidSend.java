package dev.herald.dispatcher.harness;

import dev.herald.dispatcher.campaign.CampaignResult;
import dev.herald.dispatcher.connector.SimulatedConnector;
import dev.herald.dispatcher.connector.SimulatedConnectorOptions;
import dev.herald.dispatcher.demo.ProgressDisplay;
import dev.herald.throttle.RateLimit;
import dev.herald.throttle.RateLimiter;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntPredicate;
import java.util.function.IntToLongFunction;

/**
 * Scenario {@code opt-outs-mid-send}: one marketing campaign to the whole audience through a
 * rate-limited simulated connector (so it sends for several seconds), while an
 * {@link OptOutDriver} opts random recipients out ({@code global}) at a steady rate.
 *
 * <p>{@code ScenarioResult r = OptOutsMidSend.run(rig, spec, display);}
 *
 * <p><b>What is checked, exactly.</b> The connector is wrapped in a {@link SequencedConnector} and
 * the driver shares its {@link SequencePoints}: every hand-over to the connector and the begin and
 * acknowledgement of every opt-out get a ticket from one counter, so their order is known without
 * clocks. For each opted-out recipient whose message the accepted log holds, with H the ticket of
 * its (last) hand-over, S the ticket before {@code optOut} was called and R the ticket right after
 * it returned:
 * <ul>
 *   <li>{@code H < S}: sent before the opt-out began ({@code optedOutSentBefore}), allowed;
 *   <li>{@code S < H < R}: handed over while the opt-out was being made durable
 *       ({@code optedOutInFlight}), allowed: it was not acknowledged yet;
 *   <li>{@code H > R}: handed to the connector after the opt-out was acknowledged
 *       ({@code violations}); must be 0 (invariant 1).
 * </ul>
 * Opted-out recipients with no accepted message are {@code optedOutNotSent} (stopped by a check,
 * or deferred by quiet hours). {@code optOutLatencyMs} is the time from the {@code optOut} call to
 * its return (fsync included): after it, every suppression check sees the opt-out.
 *
 * <p>Rate limiting: a shared {@link RateLimiter} at the send rate (burst 50 ms of tokens, at least
 * 64), in front of a peer that takes 5% more, so the limiter, not peer throttling, should pace the
 * run; {@code peerThrottled} counts the peer's throttled answers anyway (each also slows the
 * limiter down), and {@code sentPerSecond} is the accepted messages over the run's wall time.
 *
 * <p>Side effect: the opted-out recipients are opted back in afterwards ({@link OptOutDriver#undo}),
 * so the directory's suppression is as before (its consent ledger keeps both records).
 *
 * <p>Thread-safety: one scenario at a time per rig.
 */
public final class OptOutsMidSend {
    private OptOutsMidSend() {
    }

    /**
     * The opted-out recipients by when their message was handed over, relative to their opt-out.
     *
     * @param sentBefore accepted, handed over before the opt-out began
     * @param inFlight   accepted, handed over while the opt-out was being made durable (not yet acknowledged)
     * @param notSent    no accepted message
     * @param violations accepted, handed over after the opt-out was acknowledged
     */
    public record Enforcement(long sentBefore, long inFlight, long notSent, long violations) {

        /**
         * @param optOuts    what the driver did
         * @param accepted   whether the accepted log holds a message of the campaign to a recipient
         * @param handOver   a recipient's last hand-over ticket (0: never)
         * @return the classification
         */
        public static Enforcement of(OptOutDriver.Record optOuts, IntPredicate accepted, IntToLongFunction handOver) {
            long sentBefore = 0;
            long inFlight = 0;
            long violations = 0;
            long notSent = 0;
            for (int i = 0; i < optOuts.count(); i++) {
                int recipient = optOuts.ids()[i];
                if (!accepted.test(recipient)) {
                    notSent++;
                    continue;
                }
                long handedOver = handOver.applyAsLong(recipient);
                if (handedOver > optOuts.acknowledged()[i]) {
                    violations++;
                } else if (handedOver > optOuts.began()[i]) {
                    inFlight++;
                } else {
                    sentBefore++;
                }
            }
            return new Enforcement(sentBefore, inFlight, notSent, violations);
        }
    }

    /**
     * @param rig     the shared wiring
     * @param spec    the send rate, opt-out rate and seed
     * @param display shows the sending
     * @return what it measured
     * @throws IOException          if a store or the accepted log cannot be written or read, or an opt-out failed
     * @throws ExecutionException   if the campaign's stream failed
     * @throws InterruptedException if interrupted while waiting
     */
    public static ScenarioResult run(CampaignRig rig, BenchSpec spec, ProgressDisplay display)
            throws IOException, ExecutionException, InterruptedException {
        String name = Scenario.OPT_OUTS_MID_SEND.label();
        String id = "bench-opt-outs";
        double rate = spec.effectiveSendRate();
        // 50 ms of tokens: the send stage waits for tokens on Pekko's scheduler, whose 10 ms tick rounds
        // every wait up; with 10 ms of tokens the run reached only ~55% of the rate (tokens beyond the
        // burst are lost while a wait oversleeps).
        int burst = (int) Math.max(64, rate / 20);
        RateLimiter limiter = new RateLimiter(RateLimit.of(rate, burst), System::nanoTime);
        SequencePoints points = new SequencePoints();
        SequencedConnector[] connector = new SequencedConnector[1];
        HeapPeaks.reset();
        try (CampaignRig.Workspace ws = rig.workspace(name, dir -> connector[0] = new SequencedConnector(
                SimulatedConnector.open(SimulatedConnectorOptions.defaults(dir).withMaxRate(rate * 1.05, burst)
                        .withRateLimiter(limiter)), points, rig.recipients()), limiter)) {
            LongAdder decided = new LongAdder();
            CampaignResult r;
            OptOutDriver.Record optOuts = null;
            long sendStart;
            long sendEnd;
            try {
                try (ProgressDisplay.Phase p = display.start(name, "decided", rig.recipients(), decided::sum)) {
                    sendStart = System.nanoTime();
                    CompletableFuture<CampaignResult> run = ws.run(CampaignRig.spec(id, rig.audience()), decided)
                            .toCompletableFuture();
                    OptOutDriver driver = OptOutDriver.start(rig.suppression(), rig.directory(), CampaignRig.scopes(),
                            rig.recipients(), spec.optOutsPerSecond(), points, spec.seed());
                    try {
                        r = run.get();
                    } finally {
                        sendEnd = System.nanoTime();
                        optOuts = driver.stop();
                    }
                }
                long peak = HeapPeaks.read();
                AcceptedTally t = AcceptedTally.read(
                        SimulatedConnectorOptions.defaults(ws.dir().resolve("connector")).logFile(), Set.of(id));
                Enforcement e = Enforcement.of(optOuts, t.recipients()::contains, connector[0]::lastHandOver);
                long elapsedMs = Math.max(1, r.elapsed().toMillis());
                double sendSeconds = Math.max(1e-9, (sendEnd - sendStart) / 1e9);
                Map<String, Object> extra = new LinkedHashMap<>();
                extra.put("sendRateLimit", rate);
                extra.put("sentPerSecond", t.accepted() / sendSeconds);
                extra.put("peerThrottled", connector[0].throttled());
                extra.put("acceptedMessages", t.accepted());
                extra.put("duplicateMessages", t.repeated());
                extra.put("optOuts", (long) optOuts.count());
                extra.put("optOutsPerSecond", optOuts.count() / sendSeconds);
                extra.put("optOutLatencyMs", LatencyStats.of(optOuts.latencyNanos()));
                extra.put("optedOutSentBefore", e.sentBefore());
                extra.put("optedOutInFlight", e.inFlight());
                extra.put("optedOutNotSent", e.notSent());
                extra.put("violations", e.violations());
                return new ScenarioResult(name, elapsedMs, r.audience() * 1000.0 / elapsedMs,
                        OneBigCampaign.nonZero(r.counts()), peak, extra);
            } finally {
                if (optOuts != null) {
                    OptOutDriver.undo(rig.suppression(), rig.directory(), optOuts);
                }
            }
        }
    }
}
