package dev.herald.bench;

import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.PeerEvents;
import dev.herald.dispatcher.connector.SendResult;
import dev.herald.dispatcher.connector.smpp.MessageIds;
import dev.herald.dispatcher.connector.smpp.SmppConnector;
import dev.herald.dispatcher.connector.smpp.SmppSettings;
import dev.herald.dispatcher.delivery.Deliveries;
import dev.herald.dispatcher.render.Encoding;
import dev.herald.throttle.Priority;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Messages per second from {@link SmppConnector} to the test SMSC ({@code dispatcher/src/test/smsc/smsc.js},
 * node-smpp) on loopback, with the CPU each process used: issue 14's first figure.
 *
 * <pre>{@code
 * java -cp bench/target/benchmarks.jar dev.herald.bench.SmppThroughput --binds 4 --window 50 --messages 200000
 * java -cp bench/target/benchmarks.jar dev.herald.bench.SmppThroughput --binds 4 --window 50 --receipts
 * java $FLAGS -cp bench/target/benchmarks.jar dev.herald.bench.SmppThroughput --receipts --deliveries   # Chronicle flags
 * }</pre>
 *
 * <p>It starts the SMSC as a child process ({@code node smsc.js --port 0}, its log of taken
 * messages in a temporary directory, deleted at the end), binds {@code --binds} transceivers of
 * {@code --window} each, sends {@code --warmup} messages (not measured), then {@code --messages}
 * single-part GSM-7 messages keeping {@link SmppConnector#window()} sends in flight. It reads
 * {@code utime + stime} of both processes ({@code /proc/<pid>/stat}) before and after the
 * measured sends, and the context switches of their threads ({@code /proc/<pid>/task/<tid>/status}). With {@code --receipts} the connector asks for receipts ({@code registered_delivery 1})
 * and the measurement ends when the last receipt came, not the last answer; with
 * {@code --deliveries} each accepted id and receipt also goes through a real {@link Deliveries}
 * (message-id map and delivery ledger in the temporary directory), as in the service.
 *
 * <p>Options: {@code --smsc-dir} (default {@code dispatcher/src/test/smsc}; needs its
 * {@code node_modules}), {@code --receipt-delay-ms} (default 20). Any answer other than accepted
 * is counted and printed; the run fails (status 1) unless every message was accepted and, with
 * receipts, every receipt came.
 */
public final class SmppThroughput {

    private static final Pattern PORT = Pattern.compile("\"event\":\"listening\",\"port\":(\\d+)");
    private static final String TEXT = "Spring sale: 20% off everything until Sunday. Reply STOP to opt out.";

    private SmppThroughput() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = options(args);
        int binds = Integer.parseInt(o.getOrDefault("binds", "1"));
        int window = Integer.parseInt(o.getOrDefault("window", "50"));
        int messages = Integer.parseInt(o.getOrDefault("messages", "200000"));
        int warmup = Integer.parseInt(o.getOrDefault("warmup", "20000"));
        boolean receipts = o.containsKey("receipts");
        boolean deliveries = o.containsKey("deliveries");
        if (deliveries && !receipts) {
            throw new IllegalArgumentException("--deliveries needs --receipts");
        }
        Path smscDir = Path.of(o.getOrDefault("smsc-dir", "dispatcher/src/test/smsc")).toAbsolutePath();
        if (!Files.isDirectory(smscDir.resolve("node_modules/smpp"))) {
            throw new IllegalArgumentException(smscDir + "/node_modules/smpp is missing: npm ci --prefix " + smscDir);
        }
        Path tmp = Files.createTempDirectory("herald-smpp-bench-");
        Process node = new ProcessBuilder("node", smscDir.resolve("smsc.js").toString(), "--port", "0",
                "--log", tmp.resolve("taken.jsonl").toString(), "--receipt-delay-ms", o.getOrDefault("receipt-delay-ms", "20"))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        int port = listeningPort(node);
        LongAdder receiptsCame = new LongAdder();
        Deliveries d = null;
        CampaignNumbers numbers = null;
        if (deliveries) {
            numbers = CampaignNumbers.open(tmp.resolve("campaign-numbers.log"));
            Files.createDirectories(tmp.resolve("campaigns/bench"));
            d = Deliveries.open(tmp, numbers, 2_000_000, Duration.ofSeconds(5), Duration.ofDays(7), Clock.systemUTC());
        }
        Deliveries del = d;
        PeerEvents events = new PeerEvents() {
            @Override
            public void accepted(String connector, OutboundMessage m, int part, int parts, String key) throws IOException {
                if (del != null) {
                    del.accepted(connector, m.campaignId(), m.recipientId(), part, parts, key);
                }
            }

            @Override
            public void receipt(String connector, Receipt r) throws IOException {
                if (del != null) {
                    del.receipt(connector, r);
                }
                receiptsCame.increment();
            }

            @Override
            public void reply(String connector, Reply r) {
            }
        };
        SmppSettings settings = new SmppSettings("bench", "127.0.0.1", port, "herald", "secret", "",
                SmppSettings.BindMode.TRANSCEIVER, binds, window, 0, "", "", -1, -1, 1, 1, SmppSettings.LongMessages.UDH,
                receipts, Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(1),
                Duration.ofSeconds(60), MessageIds.Format.TEXT, MessageIds.Format.TEXT);
        SmppConnector c = SmppConnector.start(settings, null, events);
        int code;
        try {
            if (!c.awaitBound(20_000)) {
                throw new IllegalStateException("the connector did not bind within 20 s");
            }
            Map<String, LongAdder> answers = new ConcurrentHashMap<>();
            run(c, 0, warmup, answers);
            awaitReceipts(receipts, receiptsCame, warmup);
            long nodePid = node.pid();
            long selfPid = ProcessHandle.current().pid();
            long heraldBefore = cpuTicks(selfPid);
            long nodeBefore = cpuTicks(nodePid);
            long heraldSwitchesBefore = contextSwitches(selfPid);
            long nodeSwitchesBefore = contextSwitches(nodePid);
            long t0 = System.nanoTime();
            answers.clear();
            run(c, warmup, messages, answers);
            long tAnswered = System.nanoTime();
            boolean allReceipts = awaitReceipts(receipts, receiptsCame, warmup + (long) messages);
            long t1 = System.nanoTime();
            long heraldTicks = cpuTicks(selfPid) - heraldBefore;
            long nodeTicks = cpuTicks(nodePid) - nodeBefore;
            long heraldSwitches = contextSwitches(selfPid) - heraldSwitchesBefore;
            long nodeSwitches = contextSwitches(nodePid) - nodeSwitchesBefore;
            double seconds = (t1 - t0) / 1e9;
            double hz = 100.0; // USER_HZ on Linux
            long accepted = answers.getOrDefault("Accepted", new LongAdder()).sum();
            System.out.printf(Locale.ROOT, "binds=%d window=%d messages=%d receipts=%s deliveries=%s%n", binds, window,
                    messages, receipts, deliveries);
            System.out.printf(Locale.ROOT, "answers: %s%s%n", answers,
                    receipts ? ", receipts " + (receiptsCame.sum() - warmup) : "");
            System.out.printf(Locale.ROOT, "elapsed %.2f s (last answer at %.2f s): %,.0f messages/s%n", seconds,
                    (tAnswered - t0) / 1e9, messages / seconds);
            System.out.printf(Locale.ROOT, "CPU herald %.2f s (%.0f %% of one core, %.1f us/message), node %.2f s (%.0f %%, %.1f us/message)%n",
                    heraldTicks / hz, 100 * heraldTicks / hz / seconds, 1e6 * heraldTicks / hz / messages,
                    nodeTicks / hz, 100 * nodeTicks / hz / seconds, 1e6 * nodeTicks / hz / messages);
            System.out.printf(Locale.ROOT, "context switches per message (threads alive at the end): herald %.1f, node %.1f%n",
                    (double) heraldSwitches / messages, (double) nodeSwitches / messages);
            if (del != null) {
                System.out.printf(Locale.ROOT, "deliveries: matched %d, held then matched %d, unmatched %d, held now %d%n",
                        del.matched(), del.heldThenMatched(), del.unmatched(), del.held());
            }
            code = accepted == messages && allReceipts ? 0 : 1;
        } finally {
            c.close();
            node.getOutputStream().close();
            if (!node.waitFor(10, TimeUnit.SECONDS)) {
                node.destroyForcibly();
            }
            if (d != null) {
                d.close();
                numbers.close();
            }
            try (var files = Files.walk(tmp)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        System.exit(code);
    }

    /** Sends messages {@code from .. from+n-1}, keeping the connector's window full; waits for every answer. */
    private static void run(SmppConnector c, int from, int n, Map<String, LongAdder> answers) throws InterruptedException {
        Semaphore slots = new Semaphore(c.window());
        List<CompletableFuture<?>> tail = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            slots.acquire();
            String to = "+4474" + (10_000_000 + i);
            OutboundMessage m = new OutboundMessage("bench", i, to, "ACME", TEXT, Encoding.GSM_7, 1, Priority.MARKETING, "sms");
            CompletableFuture<SendResult> f = c.send(m).toCompletableFuture();
            f.whenComplete((r, e) -> {
                // the slot is freed after the connector counted the send as answered
                answers.computeIfAbsent(e != null ? e.getClass().getSimpleName() : r.getClass().getSimpleName(),
                        k -> new LongAdder()).increment();
                slots.release();
            });
        }
        slots.acquire(c.window());
        slots.release(c.window());
    }

    private static boolean awaitReceipts(boolean receipts, LongAdder came, long expected) throws InterruptedException {
        if (!receipts) {
            return true;
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (came.sum() < expected) {
            if (System.nanoTime() > end) {
                System.out.println("receipts: " + came.sum() + " of " + expected + " within 60 s after the last answer");
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }

    /** @return utime + stime of {@code pid}, in clock ticks */
    static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // after the command: state is field 3; utime and stime are fields 14 and 15
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** @return voluntary and involuntary context switches of the threads {@code pid} has now */
    static long contextSwitches(long pid) throws IOException {
        long n = 0;
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    for (String line : Files.readAllLines(t.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
                            n += Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
                        }
                    }
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return n;
    }

    private static int listeningPort(Process node) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
        String first = r.readLine();
        Matcher m = first == null ? null : PORT.matcher(first);
        if (m == null || !m.find()) {
            throw new IOException("the SMSC did not print its port first: " + first);
        }
        Thread drain = new Thread(() -> {
            try {
                String line;
                while ((line = r.readLine()) != null) {
                    if (!line.contains("\"bound\"") && !line.contains("\"unbound\"")) {
                        System.out.println("smsc: " + line);
                    }
                }
            } catch (IOException ignored) {
                // it ended
            }
        }, "smsc-stdout");
        drain.setDaemon(true);
        drain.start();
        return Integer.parseInt(m.group(1));
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> o = new java.util.HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + args[i]);
            }
            String k = args[i].substring(2);
            if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                o.put(k, args[++i]);
            } else {
                o.put(k, "");
            }
        }
        return o;
    }
}
