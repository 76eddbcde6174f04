package dev.herald.dispatcher.harness;

import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.demo.AudienceSpec;
import dev.herald.dispatcher.demo.ProgressDisplay;
import dev.herald.dispatcher.demo.SyntheticAudience;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The work of {@code herald bench}: builds (or re-checks) the synthetic audience of N recipients
 * as {@code herald demo} does, then runs the chosen {@link Scenario}s one after another on it,
 * each in a fresh workspace ({@link CampaignRig}) with the heap pools' peaks reset before it.
 *
 * <pre>{@code
 * try (HeraldData data = SyntheticAudience.openData(dir, 1_000_000)) {
 *     BenchReport report = BenchRun.run(data, BenchSpec.defaults(), Clock.systemUTC(), display, out);
 * }
 * }</pre>
 *
 * <p>Quiet hours are decided at the clock's time (as in the demo), so the share deferred depends
 * on when the bench runs; the counts are in each scenario's outcomes.
 *
 * <p>Thread-safety: stateless; one run per data directory at a time (its stores are single writer).
 */
public final class BenchRun {
    private BenchRun() {
    }

    /**
     * @param data    the data directory, opened with room for {@code spec.recipients()}
     * @param spec    what to run
     * @param clock   decision time for quiet hours and caps
     * @param display shows the build and each scenario's progress
     * @param out     where each scenario's result line goes as soon as it is known (may be null)
     * @return the results
     * @throws IOException          if a store cannot be opened, read or written
     * @throws ExecutionException   if a campaign's stream failed
     * @throws TimeoutException     if the actor system does not terminate within 30 s
     * @throws InterruptedException if interrupted while waiting
     */
    public static BenchReport run(HeraldData data, BenchSpec spec, Clock clock, ProgressDisplay display, PrintWriter out)
            throws IOException, ExecutionException, TimeoutException, InterruptedException {
        AudienceSpec audienceSpec = AudienceSpec.defaults().withRecipients(spec.recipients());
        AtomicLong imported = new AtomicLong();
        try (ProgressDisplay.Phase p = display.start("building directory", "recipients", spec.recipients(), imported::get)) {
            SyntheticAudience.of(audienceSpec).populate(data, (phase, done, total) -> {
                if (phase.equals("import")) {
                    imported.set(done);
                }
            });
        }
        List<ScenarioResult> results = new ArrayList<>();
        try (CampaignRig rig = CampaignRig.open(data, spec.recipients(), clock)) {
            for (Scenario s : Scenario.values()) {
                if (!spec.scenarios().contains(s)) {
                    continue;
                }
                ScenarioResult r = switch (s) {
                    case ONE_BIG_CAMPAIGN -> OneBigCampaign.run(rig, display);
                    case OVERLAPPING_CAMPAIGNS -> OverlappingCampaigns.run(rig, spec.campaigns(), display);
                    case OPT_OUTS_MID_SEND -> OptOutsMidSend.run(rig, spec, display);
                };
                results.add(r);
                if (out != null) {
                    new BenchReport(spec.recipients(), spec.campaigns(), Machine.current(), List.of(r)).lines()
                            .stream().skip(1).forEach(out::println);
                    out.flush();
                }
            }
        }
        return new BenchReport(spec.recipients(), spec.campaigns(), Machine.current(), results);
    }
}
