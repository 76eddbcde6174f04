package dev.herald.dispatcher.inbound;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers the inbound requests taken within the replay window, so that a captured, validly
 * signed request sent again is refused. A request is known by its provider message id or, without
 * one, by its exact body (SHA-256).
 *
 * <pre>{@code
 * ReplayGuard guard = new ReplayGuard(Duration.ofMinutes(10), Clock.systemUTC());
 * if (!guard.claim(nonce)) { ... 409 replayed ... }
 * guard.forget(nonce);   // the request failed before it was taken: a retry must be possible
 * }</pre>
 *
 * <p>Memory: 64-bit keys in one set per minute, whole minutes dropped once older than the window
 * (at 2,000 requests per second and a 10-minute window: 1.2 million keys). A key collision (odds
 * about n²/2⁶⁵) would refuse one request as a replay. Per process: a restart forgets, so requests
 * with a timestamp are also bounded by the window itself. Thread-safe.
 */
public final class ReplayGuard {

    private static final long BUCKET_MILLIS = 60_000;

    private final long windowMillis;
    private final Clock clock;
    private final ConcurrentHashMap<Long, Set<Long>> buckets = new ConcurrentHashMap<>();

    public ReplayGuard(Duration window, Clock clock) {
        this.windowMillis = window.toMillis();
        this.clock = clock;
    }

    /** @return the key of a request: its message id when given, else its body */
    public static long nonce(String messageId, byte[] body) {
        byte[] digest = sha256(messageId != null && !messageId.isBlank()
                ? ("id:" + messageId.strip()).getBytes(StandardCharsets.UTF_8) : body);
        return ByteBuffer.wrap(digest).getLong();
    }

    /** @return true if {@code nonce} was not taken within the window (it is now), false for a replay */
    public boolean claim(long nonce) {
        long now = clock.millis();
        long current = now / BUCKET_MILLIS;
        long oldest = (now - windowMillis) / BUCKET_MILLIS;
        buckets.keySet().removeIf(b -> b < oldest);
        for (Set<Long> seen : buckets.values()) {
            if (seen.contains(nonce)) {
                return false;
            }
        }
        // Two racing claims of one nonce: the set's add decides; a claim straddling a minute boundary
        // re-checks the other buckets after its own add.
        if (!buckets.computeIfAbsent(current, b -> ConcurrentHashMap.newKeySet()).add(nonce)) {
            return false;
        }
        for (var e : buckets.entrySet()) {
            if (e.getKey() != current && e.getValue().contains(nonce)) {
                buckets.get(current).remove(nonce);
                return false;
            }
        }
        return true;
    }

    /** Forgets a claim whose request was not taken after all. */
    public void forget(long nonce) {
        buckets.values().forEach(s -> s.remove(nonce));
    }

    /** @return keys remembered now (for tests and metrics) */
    public int size() {
        return buckets.values().stream().mapToInt(Set::size).sum();
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
