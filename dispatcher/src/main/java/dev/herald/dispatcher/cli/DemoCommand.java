package dev.herald.dispatcher.cli;

import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.demo.AudienceSpec;
import dev.herald.dispatcher.demo.DemoRun;
import dev.herald.dispatcher.demo.DemoSummary;
import dev.herald.dispatcher.demo.ProgressDisplay;
import dev.herald.dispatcher.demo.SyntheticAudience;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code herald demo}: builds a synthetic audience and runs one campaign to it through the whole
 * graph to the simulated connector, then prints (and optionally writes as JSON) a summary.
 */
@Command(name = "demo", description = {
        "Builds a synthetic directory of N recipients over real countries and time zones (about 10%% opted out), "
                + "then runs one marketing campaign to all of them through the whole graph to the simulated connector "
                + "(no latency, unlimited rate) and prints counts per outcome, times, recipients/s and peak heap.",
        "Rules: the shipped 'default' quiet-hours policy at the current time (recipients in closed hours are "
                + "deferred) and a cap of 1 marketing message per recipient per local calendar day ('capped:daily'). "
                + "The cap ledger is kept, so a second run on the same day finds those already sent to capped.",
        "Reuses the directory in --data-dir if there is one (a new one is sized for N unless --capacity is given); "
                + "every run is a new campaign demo-<UTC time>. Writes <data-dir>/send-ledger, "
                + "<data-dir>/campaigns/<id> and <data-dir>/connector/simulated-accepted.tsv."})
final class DemoCommand extends DataCommand {

    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS").withZone(ZoneOffset.UTC);

    @Option(names = "--recipients", paramLabel = "N", defaultValue = "" + AudienceSpec.DEFAULT_RECIPIENTS,
            description = "Recipients in the synthetic audience and the campaign (default: ${DEFAULT-VALUE}).")
    int recipients;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the summary as JSON to FILE.")
    Path json;

    @Override
    boolean createsData() {
        return true;
    }

    @Override
    HeraldData data() {
        if (recipients < 1) {
            throw new IllegalArgumentException("--recipients must be at least 1, got " + recipients);
        }
        if (defaultRegion != null || capacity != null) {
            return super.data();
        }
        HeraldCommand root = (HeraldCommand) spec.root().userObject();
        return SyntheticAudience.openData(root.dataDir, recipients);
    }

    @Override
    int run(HeraldData data) throws Exception {
        Clock clock = Clock.systemUTC();
        String campaignId = "demo-" + ID_TIME.format(Instant.now(clock));
        ProgressDisplay display = new ProgressDisplay(out(), System.console() != null);
        out().printf("herald demo: %,d recipients in %s, campaign %s%n", recipients, data.root(), campaignId);
        out().flush();
        DemoSummary summary = DemoRun.run(data, recipients, campaignId, clock, display);
        summary.lines().forEach(out()::println);
        if (json != null) {
            summary.writeJson(json);
            out().println("summary written to " + json);
        }
        return 0;
    }
}
