package dev.herald.dispatcher.harness;

import dev.herald.dispatcher.campaign.CampaignResult;
import dev.herald.dispatcher.connector.SimulatedConnector;
import dev.herald.dispatcher.connector.SimulatedConnectorOptions;
import dev.herald.dispatcher.demo.ProgressDisplay;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.LongAdder;

/**
 * Scenario {@code overlapping-campaigns}: K marketing campaigns started at the same moment, each
 * to the whole audience (so every recipient is in all K), through one shared simulated connector
 * (no latency, no rate limit) and one cap ledger with the cap of 1 marketing message per recipient
 * per local calendar day: the hardest case for invariant 3, since every recipient is wanted by K
 * campaigns at once.
 *
 * <p>{@code ScenarioResult r = OverlappingCampaigns.run(rig, 4, display);}
 *
 * <p>Throughput is the K × N decisions over the wall time from the start to the last campaign's
 * end. Extra keys: {@code campaignsAtOnce} (K), {@code acceptedMessages} (lines of the accepted
 * log of the K campaigns), {@code capViolations} (lines of a recipient already in an earlier
 * line, of any of the K campaigns: a second message the same day; must be 0).
 *
 * <p>Thread-safety: one scenario at a time per rig.
 */
public final class OverlappingCampaigns {
    private OverlappingCampaigns() {
    }

    /**
     * @param rig       the shared wiring
     * @param campaigns K, ≥ 1
     * @param display   shows the sending
     * @return what it measured
     * @throws IOException          if a store or the accepted log cannot be written or read
     * @throws ExecutionException   if a campaign's stream failed
     * @throws InterruptedException if interrupted while waiting
     */
    public static ScenarioResult run(CampaignRig rig, int campaigns, ProgressDisplay display)
            throws IOException, ExecutionException, InterruptedException {
        String name = Scenario.OVERLAPPING_CAMPAIGNS.label();
        HeapPeaks.reset();
        try (CampaignRig.Workspace ws = rig.workspace(name,
                dir -> SimulatedConnector.open(SimulatedConnectorOptions.defaults(dir)), null)) {
            LongAdder decided = new LongAdder();
            Set<String> ids = new HashSet<>();
            List<CompletableFuture<CampaignResult>> runs = new ArrayList<>(campaigns);
            long start = System.nanoTime();
            try (ProgressDisplay.Phase p = display.start(name, "decided", (long) campaigns * rig.recipients(), decided::sum)) {
                for (int k = 1; k <= campaigns; k++) {
                    String id = "bench-overlap-" + k;
                    ids.add(id);
                    runs.add(ws.run(CampaignRig.spec(id, rig.audience()), decided).toCompletableFuture());
                }
                CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).get();
            }
            long elapsedMs = Math.max(1, (System.nanoTime() - start) / 1_000_000);
            long peak = HeapPeaks.read();
            Map<String, Long> outcomes = new TreeMap<>();
            long decisions = 0;
            for (CompletableFuture<CampaignResult> run : runs) {
                CampaignResult r = run.get();
                decisions += r.audience();
                r.counts().forEach((k, v) -> outcomes.merge(k, v, Long::sum));
            }
            AcceptedTally t = AcceptedTally.read(SimulatedConnectorOptions.defaults(ws.dir().resolve("connector")).logFile(), ids);
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("campaignsAtOnce", (long) campaigns);
            extra.put("acceptedMessages", t.accepted());
            extra.put("capViolations", t.repeated());
            return new ScenarioResult(name, elapsedMs, decisions * 1000.0 / elapsedMs, OneBigCampaign.nonZero(outcomes),
                    peak, extra);
        }
    }
}
