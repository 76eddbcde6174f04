package dev.herald.dispatcher.links;

import dev.herald.dispatcher.links.ClickRules.ClickClass;
import dev.herald.suppression.store.FramedLog;
import dev.herald.suppression.store.LogFormat;
import dev.herald.suppression.store.VerifyResult;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/**
 * One campaign's clicks on its tracked links: a bitmap of the recipients who clicked, per class
 * and per link, with totals and the delay from delivery to a recipient's first human click,
 * replayed from {@code campaigns/<id>/clicks.log}.
 *
 * <pre>{@code
 * ClickLedger c = ClickLedger.open(dir.resolve("clicks.log"));
 * c.append(new ClickLedger.Click(7, 0, ClickClass.HUMAN, now, false, 40_000, "9f2c…", "Mozilla/5.0 …"));
 * c.sync();                          // the group commit
 * c.unique(ClickClass.HUMAN);        // recipients who clicked, as a person
 * }</pre>
 *
 * <p><b>Storage.</b> One line per click,
 * {@code <recipient> <link> <class> <epoch ms> <HEAD 1|0> <ms since delivery or -1> <address hash> <user agent>},
 * framed and checksummed by the store rule ({@link FramedLog}: a torn last line is dropped and
 * reported, a damaged one refuses the file naming it). {@link #append} writes without fsync;
 * {@link #sync} makes everything appended durable at once.
 *
 * <p>Thread-safe (synchronized).
 */
public final class ClickLedger implements AutoCloseable {

    /** The log's file name in a campaign's directory. */
    public static final String FILE = "clicks.log";
    static final LogFormat FORMAT = LogFormat.lines(1024);
    /** The longest user agent kept, in characters. */
    static final int MAX_AGENT = 256;
    /** The longest address hash kept, in characters ({@link LinkTokens#addressHash} makes 16). */
    static final int MAX_HASH = 64;

    /**
     * One click.
     *
     * @param recipient       the recipient's id
     * @param link            the link's index
     * @param clickClass      how it was classed
     * @param atMillis        when, epoch milliseconds
     * @param head            whether it was a {@code HEAD} request
     * @param sinceDeliveryMs milliseconds since the message was delivered, or -1 if not known
     * @param addressHash     a keyed hash of the client's address (hex), or "-": 1 to {@value #MAX_HASH}
     *                        printable ASCII characters, no spaces
     * @param userAgent       its user agent (control characters replaced, cut to {@value #MAX_AGENT})
     */
    public record Click(int recipient, int link, ClickClass clickClass, long atMillis, boolean head, long sinceDeliveryMs,
                        String addressHash, String userAgent) {

        /** @throws IllegalArgumentException if a field is out of range */
        public Click {
            if (recipient < 0 || link < 0 || link >= LinkTokens.MAX_LINKS || clickClass == null || !hashLike(addressHash)) {
                throw new IllegalArgumentException("click: recipient >= 0, link in [0, " + LinkTokens.MAX_LINKS
                        + "), a class and an address hash of 1 to " + MAX_HASH + " printable ASCII characters without"
                        + " spaces, got " + recipient + ", " + link + ", " + clickClass + ", '" + addressHash + "'");
            }
            userAgent = clean(userAgent);
        }

        String line() {
            return recipient + " " + link + " " + clickClass.label() + " " + atMillis + " " + (head ? 1 : 0) + " "
                    + sinceDeliveryMs + " " + addressHash + " " + userAgent;
        }

        static Click parse(String line) {
            String[] f = line.split(" ", 8);
            if (f.length < 7) {
                throw new IllegalArgumentException("a click line has 8 fields, got " + f.length + ": " + line);
            }
            try {
                return new Click(Integer.parseInt(f[0]), Integer.parseInt(f[1]),
                        ClickClass.valueOf(f[2].toUpperCase(java.util.Locale.ROOT)), Long.parseLong(f[3]),
                        parseFlag(f[4]), Long.parseLong(f[5]), f[6], f.length == 8 ? f[7] : "");
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unreadable click line '" + line + "': " + e.getMessage());
            }
        }

        private static boolean parseFlag(String s) {
            return switch (s) {
                case "1" -> true;
                case "0" -> false;
                default -> throw new IllegalArgumentException("HEAD flag must be 0 or 1, got " + s);
            };
        }

        /** One field of its line, whatever it holds: a tab, a line feed or a long text would break or overflow the frame. */
        private static boolean hashLike(String h) {
            if (h == null || h.isEmpty() || h.length() > MAX_HASH) {
                return false;
            }
            for (int i = 0; i < h.length(); i++) {
                if (h.charAt(i) <= ' ' || h.charAt(i) > '~') {
                    return false;
                }
            }
            return true;
        }

        private static String clean(String ua) {
            if (ua == null) {
                return "";
            }
            StringBuilder b = new StringBuilder(Math.min(ua.length(), MAX_AGENT));
            for (int i = 0; i < ua.length() && b.length() < MAX_AGENT; i++) {
                char c = ua.charAt(i);
                b.append(Character.isISOControl(c) || Character.isSurrogate(c) ? '?' : c);
            }
            return b.toString().strip();
        }
    }

    private final FramedLog log;
    private final Map<ClickClass, MutableRoaringBitmap> unique = new EnumMap<>(ClickClass.class);
    private final Map<ClickClass, long[]> totals = new EnumMap<>(ClickClass.class);
    /** Per link: recipients who clicked it as a person. */
    private final MutableRoaringBitmap[] humanByLink = new MutableRoaringBitmap[LinkTokens.MAX_LINKS];
    /** Per link: clicks of each class. */
    private final long[][] byLink = new long[LinkTokens.MAX_LINKS][ClickClass.values().length];
    private final DelayHistogram deliveryToClick = new DelayHistogram();
    private long lines;

    private ClickLedger(Path file) throws IOException {
        for (ClickClass c : ClickClass.values()) {
            unique.put(c, new MutableRoaringBitmap());
            totals.put(c, new long[1]);
        }
        for (int i = 0; i < humanByLink.length; i++) {
            humanByLink[i] = new MutableRoaringBitmap();
        }
        this.log = FramedLog.open(file, FORMAT, (data, at, p, n) -> {
            byte[] b = new byte[n];
            data.get(p, b);
            try {
                apply(Click.parse(new String(b, StandardCharsets.UTF_8)));
            } catch (IllegalArgumentException e) {
                throw new dev.herald.suppression.store.DamagedStoreException(file, at, e.getMessage());
            }
            lines++;
        });
    }

    /**
     * Opens (creating if absent) a campaign's click log and replays it.
     *
     * @param file {@code campaigns/<id>/clicks.log}
     * @return the ledger
     * @throws IOException naming the file if it cannot be read or is damaged
     */
    public static ClickLedger open(Path file) throws IOException {
        return new ClickLedger(file);
    }

    /** @return what a read-only check of the file finds (for {@code herald data check}): frames and each line's fields */
    public static VerifyResult verify(Path file) throws IOException {
        return FramedLog.verify(file, FORMAT, (data, at, p, n) -> {
            byte[] b = new byte[n];
            data.get(p, b);
            try {
                Click.parse(new String(b, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw new dev.herald.suppression.store.DamagedStoreException(file, at, e.getMessage());
            }
        });
    }

    /**
     * Rewrites a click log without the clicks of the recipients {@code erased} holds (their times,
     * user agents and address hashes); everyone else's lines stay byte for byte
     * ({@link dev.herald.dispatcher.store.LogRewrite}: atomic, nothing written when no click is
     * theirs). The campaign's click counts drop by their clicks. Run it only where no one appends to
     * the log (the compaction).
     *
     * @throws dev.herald.suppression.store.DamagedStoreException naming the file and offset if it is damaged (left as it is)
     * @throws IOException if it cannot be read or written
     */
    public static dev.herald.dispatcher.store.LogRewrite.Result scrub(Path file, java.util.function.IntPredicate erased)
            throws IOException {
        return dev.herald.dispatcher.store.LogRewrite.rewrite(file, FORMAT, (d, p, n) -> {
            long r = 0;
            int i = p;
            for (; i < p + n && i - p < 10 && d.get(i) >= '0' && d.get(i) <= '9'; i++) {
                r = r * 10 + (d.get(i) - '0');
            }
            return i > p && i < p + n && d.get(i) == ' ' && r <= Integer.MAX_VALUE && erased.test((int) r) ? dev.herald.dispatcher.store.LogRewrite.DROP
                    : dev.herald.dispatcher.store.LogRewrite.KEEP;
        });
    }

    /**
     * Appends a click (without fsync: {@link #sync} makes it durable) and counts it.
     *
     * @throws IOException if the line cannot be written (nothing counted)
     */
    public synchronized void append(Click c) throws IOException {
        log.append(c.line().getBytes(StandardCharsets.UTF_8), false);
        apply(c);
        lines++;
    }

    /** Makes every appended click durable (one fsync). */
    public synchronized void sync() throws IOException {
        log.sync();
    }

    private void apply(Click c) {
        boolean first = !unique.get(c.clickClass()).contains(c.recipient());
        unique.get(c.clickClass()).add(c.recipient());
        totals.get(c.clickClass())[0]++;
        byLink[c.link()][c.clickClass().ordinal()]++;
        if (c.clickClass() == ClickClass.HUMAN) {
            humanByLink[c.link()].add(c.recipient());
            if (first && c.sinceDeliveryMs() >= 0) {
                deliveryToClick.add(c.sinceDeliveryMs() / 1_000);
            }
        }
    }

    /** @return the recipients with at least one click of {@code c} (a copy) */
    public synchronized ImmutableRoaringBitmap unique(ClickClass c) {
        return unique.get(c).clone();
    }

    /** @return how many clicks of {@code c} there were (a recipient's repeated clicks each count) */
    public synchronized long total(ClickClass c) {
        return totals.get(c)[0];
    }

    /** @return the recipients who clicked link {@code link} as a person (a copy) */
    public synchronized ImmutableRoaringBitmap humanOn(int link) {
        return humanByLink[link].clone();
    }

    /** @return clicks on link {@code link} of class {@code c} */
    public synchronized long total(int link, ClickClass c) {
        return byLink[link][c.ordinal()];
    }

    /** @return a copy of the delays from delivery to each recipient's first human click */
    public synchronized DelayHistogram deliveryToClick() {
        DelayHistogram h = new DelayHistogram();
        h.addAll(deliveryToClick);
        return h;
    }

    /**
     * What a report needs, read at once.
     *
     * @param unique          recipients with a click of each class
     * @param totals          clicks of each class
     * @param links           per link (by index, up to the highest link clicked): recipients who
     *                        clicked it as a person, and its clicks of each class
     * @param deliveryToClick delays from delivery to each recipient's first human click
     * @param humans          the recipients who clicked as a person (for bitmap algebra with the other steps)
     */
    public record Summary(Map<ClickClass, Long> unique, Map<ClickClass, Long> totals, java.util.List<LinkStats> links,
                          DelayHistogram deliveryToClick, ImmutableRoaringBitmap humans) {

        /** @return the summary of a campaign without a click */
        public static Summary empty() {
            Map<ClickClass, Long> zeros = new EnumMap<>(ClickClass.class);
            for (ClickClass c : ClickClass.values()) {
                zeros.put(c, 0L);
            }
            return new Summary(zeros, zeros, java.util.List.of(), new DelayHistogram(), new MutableRoaringBitmap());
        }
    }

    /**
     * One link's clicks.
     *
     * @param humans recipients who clicked it as a person
     * @param totals its clicks of each class
     */
    public record LinkStats(long humans, Map<ClickClass, Long> totals) {
    }

    /** @return the ledger's counts, one consistent reading */
    public synchronized Summary summary() {
        Map<ClickClass, Long> u = new EnumMap<>(ClickClass.class);
        Map<ClickClass, Long> t = new EnumMap<>(ClickClass.class);
        for (ClickClass c : ClickClass.values()) {
            u.put(c, unique.get(c).getLongCardinality());
            t.put(c, totals.get(c)[0]);
        }
        int last = -1;
        for (int i = 0; i < byLink.length; i++) {
            for (long n : byLink[i]) {
                if (n > 0) {
                    last = i;
                }
            }
        }
        java.util.List<LinkStats> links = new java.util.ArrayList<>();
        for (int i = 0; i <= last; i++) {
            Map<ClickClass, Long> lt = new EnumMap<>(ClickClass.class);
            for (ClickClass c : ClickClass.values()) {
                lt.put(c, byLink[i][c.ordinal()]);
            }
            links.add(new LinkStats(humanByLink[i].getLongCardinality(), lt));
        }
        return new Summary(u, t, links, deliveryToClick(), unique.get(ClickClass.HUMAN).clone());
    }

    /**
     * A recipient's clicks, read from the log (a scan of the file: for one recipient's view, not for reports).
     *
     * @param file      the campaign's {@code clicks.log}
     * @param recipient the recipient
     * @return its clicks, oldest first; empty if the file does not exist
     * @throws IOException if the file cannot be read
     */
    public static java.util.List<Click> clicksOf(Path file, int recipient) throws IOException {
        java.util.List<Click> out = new java.util.ArrayList<>();
        if (!java.nio.file.Files.exists(file)) {
            return out;
        }
        String prefix = recipient + " ";
        FramedLog.verify(file, FORMAT, (data, at, p, n) -> {
            byte[] b = new byte[n];
            data.get(p, b);
            String line = new String(b, StandardCharsets.UTF_8);
            if (line.startsWith(prefix)) {
                try {
                    out.add(Click.parse(line));
                } catch (IllegalArgumentException e) {
                    // a damaged line: the ledger refuses the file when opened; a view shows what it can
                }
            }
        });
        return out;
    }

    /** @return lines in the log (replayed and appended) */
    public synchronized long lines() {
        return lines;
    }

    @Override
    public synchronized void close() throws IOException {
        log.close();
    }
}
