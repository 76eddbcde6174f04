package dev.herald.dispatcher.unsubscribe;

import dev.herald.dispatcher.store.LineLog;
import dev.herald.throttle.CapAction;
import dev.herald.throttle.CapRule;
import dev.herald.throttle.CapScope;
import dev.herald.throttle.CapWindow;
import dev.herald.throttle.FrequencyCaps;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The recipients' frequency preferences ({@link Frequency}), enforced by two cap rules Herald
 * always adds: {@value #WEEKLY_RULE} (1 marketing message per calendar week in the recipient's
 * local time, for the recipients who chose weekly) and {@value #MONTHLY_RULE} (1 per calendar
 * month). Such a recipient's outcome for a second message is {@code capped:pref-weekly}.
 *
 * <pre>{@code
 * Preferences prefs = Preferences.open(dataDir.resolve("unsubscribe"));
 * SendLedger ledger = SendLedger.open(dir, prefs.withRules(FrequencyCaps.fromConfig(config)), options, prefs.segments(other));
 * prefs.set(42, Frequency.WEEKLY);   // durable on return
 * }</pre>
 *
 * <p><b>Storage.</b> {@code preferences.log}: one checksummed line {@code <id> <frequency>} per
 * change, fsynced before {@link #set} returns, replayed into two bitmaps at open.
 * <b>Thread-safety.</b> Writers are serialised; readers get immutable bitmaps published through a
 * volatile field, so the cap ledger reads them without locks.
 */
public final class Preferences implements AutoCloseable {

    /** The cap rule of recipients who chose weekly. */
    public static final String WEEKLY_RULE = "pref-weekly";
    /** The cap rule of recipients who chose monthly. */
    public static final String MONTHLY_RULE = "pref-monthly";
    /** The segment names of those rules: not valid stored segment names, so they cannot clash. */
    public static final String WEEKLY_SEGMENT = "@preference:weekly";
    public static final String MONTHLY_SEGMENT = "@preference:monthly";

    /** The rules Herald adds to the configured ones. */
    public static final List<CapRule> RULES = List.of(
            new CapRule(WEEKLY_RULE, 1, CapWindow.calendar(CapWindow.Period.WEEK), CapScope.MARKETING,
                    Optional.of(WEEKLY_SEGMENT), CapAction.DROP),
            new CapRule(MONTHLY_RULE, 1, CapWindow.calendar(CapWindow.Period.MONTH), CapScope.MARKETING,
                    Optional.of(MONTHLY_SEGMENT), CapAction.DROP));

    private record State(ImmutableRoaringBitmap weekly, ImmutableRoaringBitmap monthly) {
    }

    private final LineLog log;
    private volatile State state;

    private Preferences(LineLog log, State state) {
        this.log = log;
        this.state = state;
    }

    /**
     * @param dir {@code <data dir>/unsubscribe}
     * @return the preferences replayed from the log
     * @throws IOException if the log cannot be read; a {@link dev.herald.suppression.store.DamagedStoreException}
     *     naming the file and offset if a complete line of it is damaged (see {@link LineLog})
     */
    public static Preferences open(Path dir) throws IOException {
        LineLog log = LineLog.open(dir.resolve("preferences.log"));
        MutableRoaringBitmap weekly = new MutableRoaringBitmap();
        MutableRoaringBitmap monthly = new MutableRoaringBitmap();
        int line = 0;
        try {
            for (String r : log.records()) {
                line++;
                String[] parts = r.split(" ");
                Optional<Frequency> f = parts.length == 2 ? Frequency.parse(parts[1]) : Optional.empty();
                int id = parts.length == 2 ? parseId(parts[0]) : -1;
                if (f.isEmpty() || id < 0) {
                    throw new IOException("preferences.log line " + line + ": not '<id> <frequency>': " + r);
                }
                apply(weekly, monthly, id, f.get());
            }
        } catch (IOException e) {
            log.close();
            throw e;
        }
        return new Preferences(log, new State(weekly.toImmutableRoaringBitmap(), monthly.toImmutableRoaringBitmap()));
    }

    private static int parseId(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void apply(MutableRoaringBitmap weekly, MutableRoaringBitmap monthly, int id, Frequency f) {
        weekly.remove(id);
        monthly.remove(id);
        if (f == Frequency.WEEKLY) {
            weekly.add(id);
        } else if (f == Frequency.MONTHLY) {
            monthly.add(id);
        }
    }

    /** @return the configured caps plus {@link #RULES} */
    public static FrequencyCaps withRules(FrequencyCaps configured) {
        return configured.plus(RULES);
    }

    /**
     * @param others resolves any other segment name (null: unknown)
     * @return the cap ledger's segment resolver: the preference segments, then {@code others}
     */
    public Function<String, ImmutableRoaringBitmap> segments(Function<String, ImmutableRoaringBitmap> others) {
        return name -> switch (name) {
            case WEEKLY_SEGMENT -> state.weekly();
            case MONTHLY_SEGMENT -> state.monthly();
            default -> others.apply(name);
        };
    }

    /** @return recipient {@code id}'s choice ({@link Frequency#AS_SENT} if none was made) */
    public Frequency frequency(int id) {
        State s = state;
        return s.weekly().contains(id) ? Frequency.WEEKLY : s.monthly().contains(id) ? Frequency.MONTHLY : Frequency.AS_SENT;
    }

    /**
     * Records a choice durably (fsynced) before returning; the caps apply it from the next reservation.
     *
     * @throws IOException              if it cannot be made durable (nothing changed then)
     * @throws IllegalArgumentException if {@code id < 0}
     */
    public synchronized void set(int id, Frequency f) throws IOException {
        if (id < 0) {
            throw new IllegalArgumentException("recipient id must be >= 0, got " + id);
        }
        if (frequency(id) == f) {
            return;
        }
        log.append(id + " " + f.wire());
        MutableRoaringBitmap weekly = state.weekly().toMutableRoaringBitmap();
        MutableRoaringBitmap monthly = state.monthly().toMutableRoaringBitmap();
        apply(weekly, monthly, id, f);
        state = new State(weekly.toImmutableRoaringBitmap(), monthly.toImmutableRoaringBitmap());
    }

    /**
     * Rewrites {@code preferences.log} without the lines of the recipients {@code erased} holds;
     * everyone else's stay byte for byte ({@link dev.herald.dispatcher.store.LogRewrite}: atomic,
     * nothing written when no line is theirs). Run it only where no one appends to the file (the compaction).
     *
     * @param file {@code <data dir>/unsubscribe/preferences.log}
     * @throws dev.herald.suppression.store.DamagedStoreException naming the file and offset if it is damaged
     * @throws IOException if it cannot be read or written
     */
    public static dev.herald.dispatcher.store.LogRewrite.Result scrub(Path file, java.util.function.IntPredicate erased)
            throws IOException {
        return dev.herald.dispatcher.store.LogRewrite.rewrite(file, LineLog.FORMAT, (d, p, n) -> {
            byte[] b = new byte[n];
            d.get(p, b);
            String r = new String(b, java.nio.charset.StandardCharsets.US_ASCII);
            int sp = r.indexOf(' ');
            int id = sp > 0 ? parseId(r.substring(0, sp)) : -1;
            return id >= 0 && erased.test(id) ? dev.herald.dispatcher.store.LogRewrite.DROP
                    : dev.herald.dispatcher.store.LogRewrite.KEEP;
        });
    }

    /**
     * Forgets {@code id}'s preference now (back to {@link Frequency#AS_SENT}; its lines go at the
     * next compaction, {@link #scrub}).
     *
     * @throws IOException if it cannot be stored
     */
    public void erase(int id) throws IOException {
        if (frequency(id) != Frequency.AS_SENT) {
            set(id, Frequency.AS_SENT);
        }
    }

    @Override
    public void close() throws IOException {
        log.close();
    }
}
