package dev.herald.bench;

import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.dispatcher.connector.PeerEvents;
import dev.herald.dispatcher.connector.PeerEvents.DeliveryState;
import dev.herald.dispatcher.delivery.Deliveries;
import dev.herald.dispatcher.delivery.DeliveryLedger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What the first receipt of a campaign pays after a restart or an idle close: the time of
 * {@link DeliveryLedger#open} on a big {@code deliveries.log}. Not a JMH benchmark: one fixture
 * of {@code --recipients} recipients is written through the real {@link DeliveryLedger#record}
 * (fixed mix: 85 % single-part delivered, 5 % two-part delivered, 5 % undeliverable with an error
 * code, 5 % expired; message ids of 10 digits as an SMSC writes them), then the ledger is opened
 * {@code --opens} times (the file in the page cache, as after an idle close) and each open timed,
 * with the heap it holds. Every open must find the same counts as the writer, or the run fails.
 *
 * <p>With {@code --mode receipt}, the same log is campaign {@code bench}'s in a data directory and
 * what is timed is what a connector's thread pays: a {@link Deliveries} is opened {@code --opens}
 * times, and each time the first receipt of the campaign (a message accepted just before) is
 * timed: how long {@link Deliveries#receipt} took to return (the peer waits that long for its
 * answer), and how long until it was recorded (nothing held any more). Needs the Chronicle JVM
 * flags (the message-id map).
 *
 * <pre>{@code
 * flock /tmp/jmh.lock java -Xmx2g -cp bench/target/benchmarks.jar dev.herald.bench.DeliveryLedgerOpen --recipients 1000000
 * flock /tmp/jmh.lock java -Xmx2g -cp bench/target/benchmarks.jar dev.herald.bench.DeliveryLedgerOpen --recipients 10000000
 * FLAGS="$(unzip -p bench/target/benchmarks.jar herald-jvm.flags)"
 * flock /tmp/jmh.lock java -Xmx2g $FLAGS -cp bench/target/benchmarks.jar dev.herald.bench.DeliveryLedgerOpen --mode receipt --recipients 10000000
 * }</pre>
 */
public final class DeliveryLedgerOpen {

    private DeliveryLedgerOpen() {
    }

    public static void main(String[] args) throws Exception {
        int recipients = 1_000_000;
        int opens = 5;
        String mode = "open";
        Path parent = Path.of(System.getProperty("java.io.tmpdir"));
        if (args.length % 2 != 0) {
            throw new IllegalArgumentException("option without a value: " + args[args.length - 1]);
        }
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--recipients" -> recipients = Integer.parseInt(args[i + 1]);
                case "--opens" -> opens = Integer.parseInt(args[i + 1]);
                case "--dir" -> parent = Path.of(args[i + 1]);
                case "--mode" -> mode = args[i + 1];
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (--recipients, --opens, --mode open|receipt, --dir)");
            }
        }
        if (recipients < 1 || opens < 1) {
            throw new IllegalArgumentException("--recipients and --opens must be at least 1");
        }
        if (!mode.equals("open") && !mode.equals("receipt")) {
            throw new IllegalArgumentException("--mode is open or receipt, not " + mode);
        }
        Path dir = Files.createTempDirectory(parent, "herald-ledger-open-");
        try {
            if (mode.equals("open")) {
                run(dir.resolve(DeliveryLedger.FILE), recipients, opens);
            } else {
                firstReceipts(dir, recipients, opens);
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static void run(Path file, int recipients, int opens) throws IOException {
        long t0 = System.nanoTime();
        Map<String, Long> written = write(file, recipients);
        System.out.printf(Locale.ROOT, "%,d recipients written in %.1f s: %s, %,d bytes (%s)%n", recipients,
                (System.nanoTime() - t0) / 1e9, file, Files.size(file), written);
        double[] ms = new double[opens];
        for (int i = 0; i < opens; i++) {
            long heapBefore = heapUsed();
            long t = System.nanoTime();
            try (DeliveryLedger d = DeliveryLedger.open(file)) {
                ms[i] = (System.nanoTime() - t) / 1e6;
                long heap = heapUsed() - heapBefore;
                if (!d.counts().equals(written)) {
                    throw new IllegalStateException("open " + (i + 1) + " found " + d.counts() + ", written " + written);
                }
                System.out.printf(Locale.ROOT, "open %d: %,.0f ms, %,d lines, heap held %,d bytes%n", i + 1, ms[i], d.lines(), heap);
            }
        }
        Arrays.sort(ms);
        System.out.printf(Locale.ROOT, "DeliveryLedger.open of %,d recipients: min %,.0f ms, median %,.0f ms, max %,.0f ms%n",
                recipients, ms[0], ms[opens / 2], ms[opens - 1]);
    }

    /** {@code --mode receipt}: the first receipt of the campaign after each open of {@link Deliveries}. */
    static void firstReceipts(Path data, int recipients, int opens) throws IOException, InterruptedException {
        Path campaign = data.resolve("campaigns").resolve("bench");
        Files.createDirectories(campaign);
        long t0 = System.nanoTime();
        Map<String, Long> written = write(campaign.resolve(DeliveryLedger.FILE), recipients);
        System.out.printf(Locale.ROOT, "%,d recipients written in %.1f s, %,d bytes%n", recipients,
                (System.nanoTime() - t0) / 1e9, Files.size(campaign.resolve(DeliveryLedger.FILE)));
        double[] answered = new double[opens];
        double[] recorded = new double[opens];
        try (CampaignNumbers numbers = CampaignNumbers.open(data.resolve("campaign-numbers.log"))) {
            for (int i = 0; i < opens; i++) {
                try (Deliveries d = Deliveries.open(data, numbers, 1_000, Duration.ofSeconds(5), Duration.ofDays(7),
                        Clock.systemUTC())) {
                    String key = "first-" + i;
                    d.accepted("node", "bench", recipients + i, List.of(key));
                    long t = System.nanoTime();
                    Deliveries.Match m = d.receipt("node", new PeerEvents.Receipt(key, DeliveryState.DELIVERED, "000",
                            "id:" + key + " stat:DELIVRD err:000"));
                    answered[i] = (System.nanoTime() - t) / 1e6;
                    while (d.held() > 0) {
                        Thread.sleep(1);
                    }
                    recorded[i] = (System.nanoTime() - t) / 1e6;
                    long delivered = d.counts("bench").getOrDefault(DeliveryLedger.DELIVERED, 0L);
                    if (m == Deliveries.Match.UNMATCHED || delivered != written.get(DeliveryLedger.DELIVERED) + i + 1) {
                        throw new IllegalStateException("receipt " + m + ", delivered " + delivered);
                    }
                    System.out.printf(Locale.ROOT, "open %d: receipt() returned %s after %,.1f ms; recorded after %,.0f ms%n",
                            i + 1, m, answered[i], recorded[i]);
                }
            }
        }
        Arrays.sort(answered);
        Arrays.sort(recorded);
        System.out.printf(Locale.ROOT, "first receipt, %,d recipients in the log: answered in median %,.1f ms (max %,.1f), "
                + "recorded in median %,.0f ms (max %,.0f)%n", recipients, answered[opens / 2], answered[opens - 1],
                recorded[opens / 2], recorded[opens - 1]);
    }

    /** Writes the fixture through {@link DeliveryLedger#record}; @return the counts the writer saw */
    static Map<String, Long> write(Path file, int recipients) throws IOException {
        long id = 4_100_000_000L;
        try (DeliveryLedger d = DeliveryLedger.open(file)) {
            for (int r = 0; r < recipients; r++) {
                switch (r % 20) {
                    case 0 -> d.record(r, 1, 1, DeliveryState.UNDELIVERABLE, "00" + (r % 7), Long.toString(id++));
                    case 1 -> d.record(r, 1, 1, DeliveryState.EXPIRED, "000", Long.toString(id++));
                    case 2 -> {
                        d.record(r, 2, 2, DeliveryState.DELIVERED, "000", Long.toString(id++));
                        d.record(r, 1, 2, DeliveryState.DELIVERED, "000", Long.toString(id++));
                    }
                    default -> d.record(r, 1, 1, DeliveryState.DELIVERED, "000", Long.toString(id++));
                }
            }
            return d.counts();
        }
    }

    private static long heapUsed() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }
}
