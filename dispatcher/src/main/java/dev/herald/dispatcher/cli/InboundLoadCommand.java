package dev.herald.dispatcher.cli;

import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;

import dev.herald.dispatcher.harness.InboundLoad;
import dev.herald.dispatcher.inbound.InboundSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code herald inbound-load}: signed STOP replies at a fixed rate against a running server; prints latency percentiles. */
@Command(name = "inbound-load", description = {
        "Sends signed STOP replies to POST /v1/inbound/sms of a running 'herald serve' at a fixed rate (open loop: "
                + "latency counts from when each request was due, so a slow server cannot hide its queueing), over 64 "
                + "keep-alive connections, and prints the answer latency p50/p99/max and the answers by status.",
        "Each STOP comes from a number of its own (+4474 followed by 8 digits from --offset), so each is a new durable "
                + "opt-out. The secret comes from HERALD_INBOUND_SECRET."})
final class InboundLoadCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--url", paramLabel = "URL", defaultValue = "http://127.0.0.1:8080",
            description = "The server (default: ${DEFAULT-VALUE}).")
    URI url;

    @Option(names = "--rate", paramLabel = "PER_SECOND", defaultValue = "2000", description = "Requests per second (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "30", description = "Measured seconds (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--warmup", paramLabel = "S", defaultValue = "10",
            description = "Seconds of load before measuring (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--to", paramLabel = "NUMBER", defaultValue = "60600",
            description = "The sender number the replies go to (default: ${DEFAULT-VALUE}, the demo sender).")
    String to;

    @Option(names = "--offset", paramLabel = "N", defaultValue = "0",
            description = "First number's offset; use a new one per run on the same data (default: ${DEFAULT-VALUE}).")
    long offset;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String secret = System.getenv(InboundSettings.SECRET_ENV);
        if (secret == null || secret.isEmpty()) {
            err.println("error: set " + InboundSettings.SECRET_ENV + " to the server's inbound secret");
            return HeraldCommand.BAD_INPUT;
        }
        if (seconds < 1 || seconds > 3600 || warmup < 0 || warmup > 3600) {
            err.println("error: --seconds must be 1-3600 and --warmup 0-3600");
            return HeraldCommand.BAD_INPUT;
        }
        InboundLoad load;
        try {
            load = new InboundLoad(url, secret.getBytes(StandardCharsets.UTF_8), to, rate, Duration.ofSeconds(seconds),
                    Duration.ofSeconds(warmup), offset);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return HeraldCommand.BAD_INPUT;
        }
        out.printf("inbound load: %.0f req/s for %d s (after %d s warm-up) against %s%n", rate, seconds, warmup, url);
        out.flush();
        InboundLoad.Result r = load.run();
        out.printf("requests %d (%.0f/s)  answers %s  found all %d connections busy %d%n", r.sent(), r.rate(), r.statuses(),
                InboundLoad.CONNECTIONS, r.waited());
        out.printf("latency  p50 %.2f ms  p99 %.2f ms  max %.2f ms%n", r.stats().p50Ms(), r.stats().p99Ms(), r.stats().maxMs());
        return r.statuses().keySet().stream().allMatch(s -> s == 200) ? 0 : HeraldCommand.DATA_ERROR;
    }
}
