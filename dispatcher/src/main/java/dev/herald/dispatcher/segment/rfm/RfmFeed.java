package dev.herald.dispatcher.segment.rfm;

import dev.herald.dispatcher.funnel.Conversion;
import dev.herald.dispatcher.funnel.Conversions;
import dev.herald.dispatcher.journey.Events;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Currency;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies what RFM needs into the {@link RfmLog}, incrementally: every conversion is a purchase
 * (recipient, when it occurred, its value in the currency's minor units) and every event is activity
 * (recipient, when it occurred); a recipient's first activity or purchase is their sign-up. Each
 * copy starts where the log's last frame of that kind says the source was copied up to, so a crash
 * between a conversion being stored and being copied loses nothing and copies nothing twice; a data
 * directory that had conversions and events before RFM existed is copied on the first catch-up.
 *
 * <pre>{@code
 * RfmFeed feed = new RfmFeed(log, conversions, events);
 * feed.catchUp();     // after each stored batch (the routes nudge it), and before each recompute
 * }</pre>
 *
 * <p>Values: minor units by the currency's ISO 4217 decimal places ({@code 19.90 EUR} is 1990,
 * {@code 500 JPY} is 500); values in different currencies are added as minor units, unconverted
 * (a brand selling in several currencies should weigh monetary scores knowing that).
 *
 * <p>Thread-safety: {@link #catchUp} is synchronized (one copy at a time).
 */
public final class RfmFeed {

    private static final Logger LOG = LoggerFactory.getLogger(RfmFeed.class);

    private final RfmLog log;
    private final Conversions conversions;
    private final Events events;
    private final int[] ids = new int[RfmLog.MAX_RECORDS];
    private final long[] times = new long[RfmLog.MAX_RECORDS];
    private final long[] values = new long[RfmLog.MAX_RECORDS];
    private int n;

    /**
     * @param log         where purchases and activity are copied to
     * @param conversions the purchases' source (null: none)
     * @param events      the activity's source (null: none)
     */
    public RfmFeed(RfmLog log, Conversions conversions, Events events) {
        this.log = log;
        this.conversions = conversions;
        this.events = events;
    }

    /**
     * Copies the conversions and events stored since the last copy.
     *
     * @return the records copied
     * @throws IOException if a source cannot be read or the log written (what was copied before stays)
     */
    public synchronized long catchUp() throws IOException {
        long copied = 0;
        if (conversions != null) {
            long from = log.purchasesFrom();
            if (from > conversions.end()) {
                LOG.error("{} says the conversions were copied up to offset {}, but {} has only {} bytes: not copying",
                        log.file(), from, conversions.file(), conversions.end());
            } else if (from < conversions.end()) {
                n = 0;
                long[] count = {0};
                long upTo = conversions.scan(from, (offset, c) -> {
                    if (n == RfmLog.MAX_RECORDS) {
                        flush(RfmLog.PURCHASES, offset);
                    }
                    ids[n] = c.recipient();
                    times[n] = c.occurredAtMillis();
                    values[n++] = minorUnits(c);
                    count[0]++;
                });
                flush(RfmLog.PURCHASES, upTo);
                copied += count[0];
            }
        }
        if (events != null) {
            long from = log.activityFrom();
            if (from > events.end()) {
                LOG.error("{} says the events were copied up to offset {}, but {} has only {} bytes: not copying",
                        log.file(), from, events.file(), events.end());
            } else if (from < events.end()) {
                n = 0;
                long[] count = {0};
                long upTo = events.scan(from, (offset, e) -> {
                    if (n == RfmLog.MAX_RECORDS) {
                        flush(RfmLog.ACTIVITY, offset);
                    }
                    ids[n] = e.recipient();
                    times[n++] = e.atMillis();
                    count[0]++;
                });
                flush(RfmLog.ACTIVITY, upTo);
                copied += count[0];
            }
        }
        return copied;
    }

    /** Writes the records gathered as one frame, with the source offset after the last of them. */
    private void flush(byte kind, long sourceOffset) throws IOException {
        log.append(kind, sourceOffset, ids, times, values, n);
        n = 0;
    }

    /** @return the conversion's value in its currency's minor units (2 decimal places for an unknown code) */
    static long minorUnits(Conversion c) {
        int digits;
        try {
            digits = Currency.getInstance(c.currency()).getDefaultFractionDigits();
        } catch (IllegalArgumentException unknown) {
            digits = 2;
        }
        BigDecimal v = c.value().movePointRight(Math.max(0, digits)).setScale(0, RoundingMode.HALF_UP);
        return v.unscaledValue().bitLength() < 63 ? v.longValueExact() : Long.MAX_VALUE; // below 1e15 with up to 4 places: may pass 2^63
    }
}
