package dev.herald.dispatcher.harness;

import dev.herald.dispatcher.campaign.CampaignResult;
import dev.herald.dispatcher.connector.SimulatedConnector;
import dev.herald.dispatcher.connector.SimulatedConnectorOptions;
import dev.herald.dispatcher.demo.ProgressDisplay;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.LongAdder;

/**
 * Scenario {@code one-big-campaign}: one marketing campaign to the whole audience through the
 * whole graph to a simulated connector with no latency and no rate limit, as {@code herald demo}.
 *
 * <p>{@code ScenarioResult r = OneBigCampaign.run(rig, display);}
 *
 * <p>Extra keys: {@code acceptedMessages} (lines of the accepted log, an independent count of
 * {@code sent}) and {@code duplicateMessages} (lines of a recipient already in an earlier line;
 * must be 0).
 *
 * <p>Thread-safety: one scenario at a time per rig.
 */
public final class OneBigCampaign {
    private OneBigCampaign() {
    }

    /**
     * @param rig     the shared wiring
     * @param display shows the sending
     * @return what it measured
     * @throws IOException        if a store or the accepted log cannot be written or read
     * @throws ExecutionException if the campaign's stream failed
     * @throws InterruptedException if interrupted while waiting
     */
    public static ScenarioResult run(CampaignRig rig, ProgressDisplay display)
            throws IOException, ExecutionException, InterruptedException {
        String name = Scenario.ONE_BIG_CAMPAIGN.label();
        String id = "bench-one-big";
        HeapPeaks.reset();
        try (CampaignRig.Workspace ws = rig.workspace(name,
                dir -> SimulatedConnector.open(SimulatedConnectorOptions.defaults(dir)), null)) {
            LongAdder decided = new LongAdder();
            CampaignResult r;
            try (ProgressDisplay.Phase p = display.start(name, "decided", rig.recipients(), decided::sum)) {
                r = ws.run(CampaignRig.spec(id, rig.audience()), decided).toCompletableFuture().get();
            }
            long peak = HeapPeaks.read();
            AcceptedTally t = AcceptedTally.read(SimulatedConnectorOptions.defaults(ws.dir().resolve("connector")).logFile(),
                    Set.of(id));
            long elapsedMs = Math.max(1, r.elapsed().toMillis());
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("acceptedMessages", t.accepted());
            extra.put("duplicateMessages", t.repeated());
            return new ScenarioResult(name, elapsedMs, r.audience() * 1000.0 / elapsedMs, nonZero(r.counts()), peak, extra);
        }
    }

    /** @return the counts that are not 0 */
    static Map<String, Long> nonZero(Map<String, Long> counts) {
        Map<String, Long> out = new LinkedHashMap<>();
        counts.forEach((k, v) -> {
            if (v != 0) {
                out.put(k, v);
            }
        });
        return out;
    }
}
