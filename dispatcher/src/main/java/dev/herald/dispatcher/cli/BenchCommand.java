package dev.herald.dispatcher.cli;

import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.demo.ProgressDisplay;
import dev.herald.dispatcher.demo.SyntheticAudience;
import dev.herald.dispatcher.harness.BenchReport;
import dev.herald.dispatcher.harness.BenchRun;
import dev.herald.dispatcher.harness.BenchSpec;
import dev.herald.dispatcher.harness.Scenario;

import java.nio.file.Path;
import java.time.Clock;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code herald bench}: the end-to-end harness; runs the {@link Scenario}s on a synthetic audience
 * and prints (and optionally writes as JSON) throughput, outcomes, peak heap, opt-out latency and
 * the invariant checks.
 */
@Command(name = "bench", description = {
        "The end-to-end harness. Builds (or reuses) the synthetic directory of N recipients of 'herald demo', then runs:",
        "  one-big-campaign       one marketing campaign to all N (as the demo);",
        "  overlapping-campaigns  K campaigns started at once, each to all N, sharing the cap of 1 a local day; "
                + "capViolations counts recipients the accepted log shows with a second message (must be 0);",
        "  opt-outs-mid-send      one campaign through a rate-limited connector while recipients opt out (global) "
                + "at a steady rate; reports opt-out-to-enforcement latency (p50/p99/max) and violations: messages "
                + "handed to the connector after their opt-out was acknowledged (must be 0).",
        "Prints throughput (recipient decisions/s), outcomes and peak heap per scenario. Each scenario works in "
                + "<data-dir>/bench-work/<scenario>, deleted afterwards; the opt-outs are undone (opted back in). "
                + "Use a data directory of its own."})
final class BenchCommand extends DataCommand {

    @Option(names = "--recipients", paramLabel = "N", defaultValue = "" + BenchSpec.DEFAULT_RECIPIENTS,
            description = "Recipients in the synthetic audience and every campaign (default: ${DEFAULT-VALUE}).")
    int recipients;

    @Option(names = "--campaigns", paramLabel = "K", defaultValue = "" + BenchSpec.DEFAULT_CAMPAIGNS,
            description = "Campaigns started at once in overlapping-campaigns, 1-" + BenchSpec.MAX_CAMPAIGNS
                    + " (default: ${DEFAULT-VALUE}).")
    int campaigns;

    @Option(names = "--scenario", paramLabel = "NAME", split = ",",
            description = "Run only these scenarios (one-big-campaign, overlapping-campaigns, opt-outs-mid-send; "
                    + "comma-separated or repeated). Default: all.")
    List<String> scenarios;

    @Option(names = "--send-rate", paramLabel = "PER_SECOND",
            description = "Messages/s the connector takes in opt-outs-mid-send (default: N/8 within 1,000-100,000).")
    Double sendRate;

    @Option(names = "--opt-out-rate", paramLabel = "PER_SECOND", defaultValue = "" + BenchSpec.DEFAULT_OPT_OUTS_PER_SECOND,
            description = "Target opt-outs per second in opt-outs-mid-send (default: ${DEFAULT-VALUE}).")
    double optOutRate;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON to FILE.")
    Path json;

    @Override
    boolean createsData() {
        return true;
    }

    private BenchSpec benchSpec() {
        Set<Scenario> chosen = EnumSet.allOf(Scenario.class);
        if (scenarios != null && !scenarios.isEmpty()) {
            chosen = EnumSet.noneOf(Scenario.class);
            for (String name : scenarios) {
                chosen.add(Scenario.byName(name.strip()));
            }
        }
        if (sendRate != null && !(sendRate > 0)) {
            throw new IllegalArgumentException("--send-rate must be > 0 messages/s, got " + sendRate);
        }
        if (!(optOutRate > 0)) {
            throw new IllegalArgumentException("--opt-out-rate must be > 0 per second, got " + optOutRate);
        }
        return BenchSpec.defaults().withRecipients(recipients).withCampaigns(campaigns).withScenarios(chosen)
                .withSendRate(sendRate == null ? 0 : sendRate).withOptOutsPerSecond(optOutRate);
    }

    @Override
    HeraldData data() {
        benchSpec(); // bad values are bad input (exit 2) before anything is opened or created
        if (defaultRegion != null || capacity != null) {
            return super.data();
        }
        HeraldCommand root = (HeraldCommand) spec.root().userObject();
        return SyntheticAudience.openData(root.dataDir, recipients);
    }

    @Override
    int run(HeraldData data) throws Exception {
        BenchSpec bench = benchSpec();
        ProgressDisplay display = new ProgressDisplay(out(), System.console() != null);
        out().printf("herald bench: %,d recipients in %s, %d overlapping campaigns, scenarios %s%n", bench.recipients(),
                data.root(), bench.campaigns(), bench.scenarios().stream().sorted().map(Scenario::label).toList());
        out().flush();
        BenchReport report = BenchRun.run(data, bench, Clock.systemUTC(), display, out());
        out().println(report.lines().get(0));
        if (json != null) {
            report.writeJson(json);
            out().println("results written to " + json);
        }
        return 0;
    }
}
