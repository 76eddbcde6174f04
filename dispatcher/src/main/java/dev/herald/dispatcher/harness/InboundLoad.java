package dev.herald.dispatcher.harness;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import dev.herald.dispatcher.api.InboundRoutes;

/**
 * An open-loop load of signed STOP replies against a running {@code herald serve}: request
 * {@code i} is due at {@code start + i / rate}, sent whether or not earlier ones were answered, and
 * its latency runs from when it was <em>due</em> to its answer (a slow server is not allowed to
 * slow the load down and hide its own queueing: no coordinated omission). At most
 * {@link #CONNECTIONS} requests are in flight (as many connections as a provider would open); a
 * request due while all are busy waits for one, and that wait counts in its latency. Each STOP
 * comes from a number of its own, so each is a new durable opt-out.
 *
 * <pre>{@code
 * InboundLoad.Result r = new InboundLoad(URI.create("http://127.0.0.1:8080"), secret, "60600", 2_000,
 *         Duration.ofSeconds(30), Duration.ofSeconds(10), 0).run();
 * r.stats().p99Ms();
 * }</pre>
 *
 * <p>Numbers are UK mobiles {@code +4474xxxxxxxx} from {@code offset} on: use a new offset (or a
 * new data directory) for each run, else the STOPs find their numbers already opted out.
 */
public final class InboundLoad {

    /** Most requests in flight at once. */
    public static final int CONNECTIONS = 64;

    /**
     * @param sent       requests measured (after the warm-up)
     * @param stats      latency from due time to answer
     * @param seconds    measured duration
     * @param statuses   answers by HTTP status (errors as -1)
     * @param lateStarts requests sent more than 1 ms after they were due (the load generator's own lag)
     */
    public record Result(int sent, LatencyStats stats, double seconds, Map<Integer, Integer> statuses, int lateStarts) {
        /** @return measured requests per second */
        public double rate() {
            return sent / seconds;
        }
    }

    private final URI url;
    private final byte[] secret;
    private final String to;
    private final double rate;
    private final Duration duration;
    private final Duration warmup;
    private final long offset;

    public InboundLoad(URI base, byte[] secret, String to, double rate, Duration duration, Duration warmup, long offset) {
        if (!(rate > 0 && rate <= 100_000)) {
            throw new IllegalArgumentException("rate must be 1-100000 requests per second, got " + rate);
        }
        if (offset < 0 || offset > 50_000_000) {
            throw new IllegalArgumentException("offset must be 0-50000000, got " + offset);
        }
        this.url = base.resolve("/v1/inbound/sms");
        this.secret = secret.clone();
        this.to = to;
        this.rate = rate;
        this.duration = duration;
        this.warmup = warmup;
        this.offset = offset;
    }

    /** Runs the warm-up, then the measured load; returns when every request was answered (or timed out). */
    public Result run() throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newFixedThreadPool(4)).connectTimeout(Duration.ofSeconds(5)).build();
        long total = (long) Math.ceil(rate * (warmup.toMillis() + duration.toMillis()) / 1000.0);
        long warm = (long) Math.ceil(rate * warmup.toMillis() / 1000.0);
        long[] latency = new long[(int) (total - warm)];
        Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        int late = 0;
        java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(CONNECTIONS);
        List<CompletableFuture<?>> pending = new ArrayList<>();
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
        double interval = 1e9 / rate;
        for (long i = 0; i < total; i++) {
            long due = start + (long) (i * interval);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            } else if (wait < -1_000_000 && i >= warm) {
                late++;
            }
            String body = "{\"from\":\"+4474" + String.format("%08d", offset + i) + "\",\"to\":\"" + to
                    + "\",\"text\":\"STOP\",\"id\":\"load-" + (offset + i) + "\"}";
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            HttpRequest req = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json")
                    .header(InboundRoutes.SIGNATURE_HEADER, InboundRoutes.signature(secret, bytes))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build();
            inFlight.acquire();
            boolean measured = i >= warm;
            int slot = (int) (i - warm);
            CompletableFuture<?> f = http.sendAsync(req, HttpResponse.BodyHandlers.discarding()).handle((r, e) -> {
                long took = System.nanoTime() - due;
                inFlight.release();
                if (measured) {
                    latency[slot] = took;
                    statuses.merge(e != null ? -1 : r.statusCode(), 1, Integer::sum);
                }
                return null;
            });
            pending.add(f);
            if (pending.size() > 50_000) {
                pending.removeIf(CompletableFuture::isDone);
            }
        }
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).orTimeout(60, TimeUnit.SECONDS)
                .exceptionally(e -> null).join();
        double seconds = duration.toMillis() / 1000.0;
        return new Result(latency.length, LatencyStats.of(latency), seconds, new TreeMap<>(statuses), late);
    }
}
