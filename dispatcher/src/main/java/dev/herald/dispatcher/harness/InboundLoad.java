package dev.herald.dispatcher.harness;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import dev.herald.dispatcher.api.InboundRoutes;

/**
 * An open-loop load of signed STOP replies against a running {@code herald serve}: request
 * {@code i} is due at {@code start + i / rate} and its latency runs from when it was <em>due</em>
 * to the end of its answer, so a slow server cannot slow the load down and hide its own queueing
 * (no coordinated omission). Requests go over {@link #CONNECTIONS} keep-alive HTTP/1.1 connections,
 * one request at a time on each (as a provider's webhook sender would); a request due while all
 * are busy waits for one, and that wait counts in its latency. Each STOP comes from a number of its
 * own, so each is a new durable opt-out.
 *
 * <p>One thread and non-blocking sockets: the load generator takes little CPU of its own (it
 * shares the machine with the server on a loopback benchmark).
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

    /** Keep-alive connections, each with at most one request in flight. */
    public static final int CONNECTIONS = 64;

    /**
     * @param sent     requests measured (after the warm-up)
     * @param stats    latency from due time to the end of the answer
     * @param seconds  measured duration
     * @param statuses answers by HTTP status (-1: no answer: the connection failed, or the request could not be sent)
     * @param waited   measured requests that found every connection busy when due
     */
    public record Result(int sent, LatencyStats stats, double seconds, Map<Integer, Integer> statuses, int waited) {
        /** @return measured requests per second */
        public double rate() {
            return sent / seconds;
        }
    }

    private final InetSocketAddress address;
    private final String host;
    private final byte[] secret;
    private final String to;
    private final double rate;
    private final Duration duration;
    private final Duration warmup;
    private final long offset;
    /** Request {@code n}'s bytes; null: a signed STOP from a new number. */
    private final java.util.function.LongFunction<byte[]> requests;

    /**
     * Any requests, open loop: request {@code n} is {@code requests.apply(n)}, whole (headers and body).
     *
     * @param base     the server, {@code http://host:port}
     * @param requests request n's bytes (HTTP/1.1, keep-alive)
     */
    public InboundLoad(URI base, java.util.function.LongFunction<byte[]> requests, double rate, Duration duration,
                       Duration warmup) {
        this(base, new byte[0], "", rate, duration, warmup, 0, requests);
    }

    public InboundLoad(URI base, byte[] secret, String to, double rate, Duration duration, Duration warmup, long offset) {
        this(base, secret, to, rate, duration, warmup, offset, null);
    }

    private InboundLoad(URI base, byte[] secret, String to, double rate, Duration duration, Duration warmup, long offset,
                        java.util.function.LongFunction<byte[]> requests) {
        if (!(rate > 0 && rate <= 100_000)) {
            throw new IllegalArgumentException("rate must be 1-100000 requests per second, got " + rate);
        }
        if (offset < 0 || offset > 50_000_000) {
            throw new IllegalArgumentException("offset must be 0-50000000, got " + offset);
        }
        if (!"http".equals(base.getScheme()) || base.getHost() == null) {
            throw new IllegalArgumentException("url must be http://host[:port], got " + base);
        }
        this.address = new InetSocketAddress(base.getHost(), base.getPort() < 0 ? 80 : base.getPort());
        this.host = base.getHost() + (base.getPort() < 0 ? "" : ":" + base.getPort());
        this.secret = secret.clone();
        this.to = to;
        this.rate = rate;
        this.duration = duration;
        this.warmup = warmup;
        this.offset = offset;
        this.requests = requests;
    }

    /** @return {@code host:port} as a request's {@code Host} header gives it */
    public String hostHeader() {
        return host;
    }

    /** One connection: idle, or waiting for the answer to request {@code index}. */
    private static final class Conn {
        final SocketChannel ch;
        final SelectionKey key;
        ByteBuffer out;
        final ByteBuffer in = ByteBuffer.allocate(64 * 1024);
        long index = -1;
        long due;

        Conn(SocketChannel ch, SelectionKey key) {
            this.ch = ch;
            this.key = key;
        }
    }

    /** Runs the warm-up, then the measured load; returns when every request was answered (or 30 s after the last). */
    public Result run() throws IOException {
        long total = (long) Math.ceil(rate * (warmup.toMillis() + duration.toMillis()) / 1000.0);
        long warm = (long) Math.ceil(rate * warmup.toMillis() / 1000.0);
        long[] latency = new long[(int) (total - warm)];
        Map<Integer, Integer> statuses = new TreeMap<>();
        int waited = 0;
        double interval = 1e9 / rate;
        try (Selector selector = Selector.open()) {
            ArrayDeque<Conn> idle = new ArrayDeque<>();
            for (int c = 0; c < CONNECTIONS; c++) {
                SocketChannel ch = SocketChannel.open(address);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ch.configureBlocking(false);
                Conn keyed = new Conn(ch, ch.register(selector, 0));
                keyed.key.attach(keyed);
                idle.add(keyed);
            }
            long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
            long next = 0;
            long answered = 0;
            long lastDue = start + (long) ((total - 1) * interval);
            while (answered < total) {
                long now = System.nanoTime();
                if (now - lastDue > TimeUnit.SECONDS.toNanos(30)) {
                    break; // the rest never came back
                }
                while (next < total && start + (long) (next * interval) <= now && !idle.isEmpty()) {
                    long due = start + (long) (next * interval);
                    if (now - due > 1_000_000 && next >= warm) {
                        waited++;
                    }
                    Conn c = idle.poll();
                    c.index = next;
                    c.due = due;
                    c.out = ByteBuffer.wrap(request(offset + next));
                    next++;
                    try {
                        c.ch.write(c.out);
                        c.key.interestOps(c.out.hasRemaining() ? SelectionKey.OP_WRITE | SelectionKey.OP_READ : SelectionKey.OP_READ);
                    } catch (IOException e) {
                        answered++; // the connection broke (the server went away): no answer, and no more use of it
                        if (c.index >= warm) {
                            statuses.merge(-1, 1, Integer::sum);
                            latency[(int) (c.index - warm)] = System.nanoTime() - c.due;
                        }
                        c.key.cancel();
                        c.ch.close();
                    }
                }
                long wait = next < total && !idle.isEmpty() ? start + (long) (next * interval) - System.nanoTime() : 1_000_000;
                if (wait > 0) {
                    selector.select(Math.max(1, wait / 1_000_000));
                } else {
                    selector.selectNow();
                }
                for (SelectionKey k : selector.selectedKeys()) {
                    Conn c = (Conn) k.attachment();
                    int n = 0;
                    try {
                        if (k.isValid() && k.isWritable() && c.out != null && c.out.hasRemaining()) {
                            c.ch.write(c.out);
                            if (!c.out.hasRemaining()) {
                                k.interestOps(SelectionKey.OP_READ);
                            }
                        }
                        if (k.isValid() && k.isReadable()) {
                            n = c.ch.read(c.in);
                        }
                    } catch (IOException e) {
                        n = -1; // reset by the server: this request has no answer
                    }
                    if (n < 0 && c.index < 0) {
                        k.cancel(); // an idle connection the server closed: not a request
                        c.ch.close();
                        continue;
                    }
                    if (n != 0 || (k.isValid() && k.isReadable())) {
                        int status = n < 0 ? -1 : complete(c.in);
                        if (status != 0) {
                            long took = System.nanoTime() - c.due;
                            if (c.index >= warm) {
                                latency[(int) (c.index - warm)] = took;
                                statuses.merge(status, 1, Integer::sum);
                            }
                            answered++;
                            c.index = -1;
                            c.in.clear();
                            if (n < 0) {
                                k.cancel();
                                c.ch.close();
                            } else {
                                k.interestOps(0);
                                idle.add(c);
                            }
                        }
                    }
                }
                selector.selectedKeys().clear();
            }
            for (SelectionKey k : selector.keys()) {
                k.channel().close();
            }
        }
        int unanswered = latency.length - statuses.values().stream().mapToInt(Integer::intValue).sum();
        if (unanswered > 0) {
            statuses.merge(-1, unanswered, Integer::sum); // never sent or never answered (the server went away)
        }
        return new Result(latency.length, LatencyStats.of(latency), duration.toMillis() / 1000.0, statuses, waited);
    }

    private byte[] request(long n) {
        if (requests != null) {
            return requests.apply(n);
        }
        byte[] body = ("{\"from\":\"+4474" + String.format("%08d", n) + "\",\"to\":\"" + to
                + "\",\"text\":\"STOP\",\"id\":\"load-" + n + "\"}").getBytes(StandardCharsets.UTF_8);
        String head = "POST /v1/inbound/sms HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\n"
                + InboundRoutes.SIGNATURE_HEADER + ": " + InboundRoutes.signature(secret, body) + "\r\nContent-Length: "
                + body.length + "\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[h.length + body.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(body, 0, all, h.length, body.length);
        return all;
    }

    /** @return the status once {@code in} holds a whole answer (headers and Content-Length body), else 0 */
    private static int complete(ByteBuffer in) {
        byte[] a = in.array();
        int len = in.position();
        int end = -1;
        for (int i = 3; i < len; i++) {
            if (a[i] == '\n' && a[i - 1] == '\r' && a[i - 2] == '\n' && a[i - 3] == '\r') {
                end = i + 1;
                break;
            }
        }
        if (end < 0) {
            return 0;
        }
        String head = new String(a, 0, end, StandardCharsets.US_ASCII);
        int cl = 0;
        for (String line : head.split("\r\n")) {
            if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                cl = Integer.parseInt(line.substring(15).strip());
            }
        }
        if (len < end + cl) {
            return 0;
        }
        return Integer.parseInt(head.substring(9, 12));
    }
}
