package dev.herald.suppression;

import java.time.Clock;
import java.time.Duration;

/**
 * Settings of a {@link SuppressionIndex}. Start from {@link #defaults()} and change what you need:
 * {@code IndexOptions.defaults().withMemoryMapped(false)}.
 *
 * @param memoryMapped map base files (true, default) or copy them onto the heap
 * @param retention how long consent evidence is kept once a base image covers it
 *     (default 1,100 days: at least 3 years)
 * @param maxSegmentBytes size at which the log moves to a new segment file (default 64 MiB)
 * @param autoCompactChanges compact in the background once this many ids differ from the base
 *     (default 500,000; 0 turns automatic compaction off)
 * @param clock time source for records without a time of their own
 */
public record IndexOptions(boolean memoryMapped, Duration retention, long maxSegmentBytes, long autoCompactChanges,
                           Clock clock) {

    /** The shortest retention accepted: three years of 365 days. */
    public static final Duration MIN_RETENTION = Duration.ofDays(3 * 365);

    /** @throws IllegalArgumentException if retention is under three years or a size is not positive */
    public IndexOptions {
        if (retention == null || retention.compareTo(MIN_RETENTION) < 0) {
            throw new IllegalArgumentException("consent retention must be at least 3 years (1095 days), got "
                    + (retention == null ? "none" : retention.toDays() + " days"));
        }
        if (maxSegmentBytes < 4096) {
            throw new IllegalArgumentException("maxSegmentBytes must be at least 4096, got " + maxSegmentBytes);
        }
        if (autoCompactChanges < 0) {
            throw new IllegalArgumentException("autoCompactChanges must be >= 0, got " + autoCompactChanges);
        }
        if (clock == null) {
            clock = Clock.systemUTC();
        }
    }

    public static IndexOptions defaults() {
        return new IndexOptions(true, Duration.ofDays(1100), 64L << 20, 500_000, Clock.systemUTC());
    }

    public IndexOptions withMemoryMapped(boolean m) {
        return new IndexOptions(m, retention, maxSegmentBytes, autoCompactChanges, clock);
    }

    public IndexOptions withRetention(Duration r) {
        return new IndexOptions(memoryMapped, r, maxSegmentBytes, autoCompactChanges, clock);
    }

    public IndexOptions withMaxSegmentBytes(long b) {
        return new IndexOptions(memoryMapped, retention, b, autoCompactChanges, clock);
    }

    public IndexOptions withAutoCompactChanges(long n) {
        return new IndexOptions(memoryMapped, retention, maxSegmentBytes, n, clock);
    }

    public IndexOptions withClock(Clock c) {
        return new IndexOptions(memoryMapped, retention, maxSegmentBytes, autoCompactChanges, c);
    }
}
