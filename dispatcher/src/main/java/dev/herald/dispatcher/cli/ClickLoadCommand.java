package dev.herald.dispatcher.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.dispatcher.harness.InboundLoad;
import dev.herald.dispatcher.links.LinkTokens;

import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code herald click-load}: tracked-link clicks at a fixed rate against a running server; prints latency percentiles. */
@Command(name = "click-load", description = {
        "Follows tracked links (GET /l/{token}) of a campaign of a running 'herald serve' at a fixed rate (open loop, as "
                + "inbound-load: latency counts from when each request was due), over 64 keep-alive connections, with a "
                + "phone browser's user agent, and prints the answer latency p50/p99/max and the answers by status (302 "
                + "expected).",
        "The tokens are made with the server's link key, read from --data-dir (links/secret.key, or herald.links.secret) "
                + "and its campaign numbers: run it on the server's machine. Recipient ids cycle over 0..--recipients-1.",
        "The clicks are real to the server: they go into the campaign's funnel (even for ids not in its audience, which "
                + "no real link names). Run it on a scratch data directory or a campaign kept for load tests."})
final class ClickLoadCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--url", paramLabel = "URL", defaultValue = "http://127.0.0.1:8080",
            description = "The server (default: ${DEFAULT-VALUE}).")
    URI url;

    @Option(names = "--campaign", paramLabel = "ID", required = true, description = "A campaign with tracked links.")
    String campaign;

    @Option(names = "--recipients", paramLabel = "N", defaultValue = "1000",
            description = "Recipient ids clicked, 0..N-1 in turn (default: ${DEFAULT-VALUE}).")
    int recipients;

    @Option(names = "--rate", paramLabel = "PER_SECOND", defaultValue = "2000", description = "Clicks per second (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "30", description = "Measured seconds (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--warmup", paramLabel = "S", defaultValue = "10",
            description = "Seconds of load before measuring (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Override
    public Integer call() throws Exception {
        HeraldCommand root = (HeraldCommand) spec.root().userObject();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (seconds < 1 || seconds > 3600 || warmup < 0 || warmup > 3600 || recipients < 1) {
            err.println("error: --seconds must be 1-3600, --warmup 0-3600 and --recipients >= 1");
            return HeraldCommand.BAD_INPUT;
        }
        if (!Files.exists(root.dataDir.resolve("campaign-numbers.log"))) {
            err.println("error: " + root.dataDir + " has no campaign-numbers.log: not a server's data directory");
            return HeraldCommand.BAD_INPUT;
        }
        Config config = ConfigFactory.load();
        String[] tokens;
        try (CampaignNumbers numbers = CampaignNumbers.open(root.dataDir.resolve("campaign-numbers.log"))) {
            if (numbers.existing(campaign).isEmpty()) {
                err.println("error: campaign " + campaign + " has no number: it has not sent a tracked link");
                return HeraldCommand.BAD_INPUT;
            }
            LinkTokens links = LinkTokens.open(root.dataDir.resolve("links"), config, numbers);
            tokens = new String[recipients];
            for (int i = 0; i < recipients; i++) {
                tokens[i] = links.token(campaign, i, 0);
            }
        }
        String agent = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0"
                + " Mobile Safari/537.36";
        String host = url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort());
        InboundLoad load;
        try {
            load = new InboundLoad(url, n -> ("GET /l/" + tokens[(int) (n % tokens.length)] + " HTTP/1.1\r\nHost: " + host
                    + "\r\nUser-Agent: " + agent + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII),
                    rate, Duration.ofSeconds(seconds), Duration.ofSeconds(warmup));
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return HeraldCommand.BAD_INPUT;
        }
        out.printf("click load: %.0f clicks/s for %d s (after %d s warm-up) against %s, campaign %s%n", rate, seconds,
                warmup, url, campaign);
        out.flush();
        InboundLoad.Result r = load.run();
        out.printf("requests %d (%.0f/s)  answers %s  found all %d connections busy %d%n", r.sent(), r.rate(), r.statuses(),
                InboundLoad.CONNECTIONS, r.waited());
        out.printf("latency  p50 %.2f ms  p99 %.2f ms  max %.2f ms%n", r.stats().p50Ms(), r.stats().p99Ms(), r.stats().maxMs());
        return r.statuses().keySet().stream().allMatch(s -> s == 302) ? 0 : HeraldCommand.DATA_ERROR;
    }
}
