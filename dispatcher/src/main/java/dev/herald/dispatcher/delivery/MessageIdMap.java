package dev.herald.dispatcher.delivery;

import dev.herald.suppression.internal.ChronicleSupport;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Which recipient each message id an SMSC gave belongs to, durable across restarts and
 * {@code kill -9}: {@code (connector, message id key)} → {@code (campaign number, recipient, part,
 * parts, accepted at)}. Receipts find their recipient here ({@link Deliveries}).
 *
 * <pre>{@code
 * MessageIdMap ids = MessageIdMap.open(dataDir.resolve("receipts"), 2_000_000);
 * ids.put("acme-smsc", "41459", new MessageIdMap.Target(3, 7, 1, 2, nowSeconds));
 * ids.get("acme-smsc", "41459");       // Optional[Target[campaign=3, recipient=7, part=1, parts=2, ...]]
 * ids.reported("acme-smsc", "41459", nowSeconds);   // its final receipt came: swept an hour later
 * }</pre>
 *
 * <p><b>Storage.</b> A Chronicle Map persisted to {@code message-ids.dat} (memory-mapped: a put is
 * in the file when it returns, so a killed process loses nothing; a power loss may lose the last
 * seconds), keyed by {@code <connector>/<key>} with a 16-byte value. It is sized for
 * {@code capacity} entries and grows to 10 times that. A marker file reveals an unclean shutdown,
 * after which Chronicle's recovery clears the segment locks a killed process held. An entry is
 * marked when its final receipt came, and {@link #sweep} removes it some time after that (a
 * receipt the SMSC sends again still matches meanwhile), or once it is older than the receipt wait.
 *
 * <p>Thread-safe.
 */
public final class MessageIdMap implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MessageIdMap.class);
    /** The map's file in its directory. */
    public static final String FILE = "message-ids.dat";
    private static final String MARKER = "message-ids.open";
    /** Average key length sized for: a connector name, a slash and an SMSC id. */
    static final int AVERAGE_KEY_BYTES = 24;
    /** How far past its capacity the map may grow (Chronicle's max bloat factor). */
    static final double MAX_BLOAT = 10.0;

    /**
     * Where a message id leads.
     *
     * @param campaign        the campaign's number ({@code CampaignNumbers})
     * @param recipient       the recipient's id
     * @param part            the part, 1..parts
     * @param parts           the message's parts, 1..255
     * @param acceptedAtEpochSeconds when the SMSC accepted it; once {@code reported}, when its final
     *                               receipt came (kept to the second; entries written before
     *                               seconds were kept read as the start of their minute)
     * @param reported        whether its final receipt came (the id stays a while, so that the same
     *                        receipt sent again — the SMSC never saw our acknowledgement — still matches)
     */
    public record Target(int campaign, int recipient, int part, int parts, long acceptedAtEpochSeconds, boolean reported) {
        /** @throws IllegalArgumentException if a number is out of range */
        public Target {
            if (campaign < 1 || recipient < 0 || parts < 1 || parts > 255 || part < 1 || part > parts) {
                throw new IllegalArgumentException("message id target out of range: campaign " + campaign + ", recipient "
                        + recipient + ", part " + part + "/" + parts);
            }
        }

        /** A target whose final receipt has not come. */
        public Target(int campaign, int recipient, int part, int parts, long acceptedAtEpochSeconds) {
            this(campaign, recipient, part, parts, acceptedAtEpochSeconds, false);
        }

        /**
         * 16 bytes: campaign, recipient, part, parts, a short of flags (bit 0: reported; bits 1-6:
         * the second within the minute, 0 in entries written before it was kept), the minute.
         */
        byte[] encode() {
            long at = Math.max(0, acceptedAtEpochSeconds);
            int flags = (reported ? 1 : 0) | (int) (at % 60) << 1;
            return ByteBuffer.allocate(16).putInt(campaign).putInt(recipient).put((byte) part).put((byte) parts)
                    .putShort((short) flags)
                    .putInt((int) Math.min(Integer.MAX_VALUE, at / 60)).array();
        }

        static Target decode(byte[] b) {
            ByteBuffer v = ByteBuffer.wrap(b);
            int campaign = v.getInt();
            int recipient = v.getInt();
            int part = v.get() & 0xFF;
            int parts = v.get() & 0xFF;
            int flags = v.getShort();
            boolean reported = (flags & 1) != 0;
            int second = Math.min(59, (flags >>> 1) & 0x3F);
            long minutes = v.getInt() & 0xFFFFFFFFL;
            return new Target(campaign, recipient, part, parts, minutes * 60 + second, reported);
        }
    }

    private final Path dir;
    private final ChronicleMap<CharSequence, byte[]> map;
    private final AtomicLong puts = new AtomicLong();

    private MessageIdMap(Path dir, ChronicleMap<CharSequence, byte[]> map) {
        this.dir = dir;
        this.map = map;
    }

    /**
     * Opens (creating if absent) the map in {@code dir}; after an unclean shutdown, recovers it.
     *
     * @param dir      the directory ({@code <data>/receipts})
     * @param capacity entries it is sized for (disk is allocated up front: about 60 bytes an entry)
     * @return the map
     * @throws IOException naming the file if it cannot be created, mapped or recovered
     */
    public static MessageIdMap open(Path dir, long capacity) throws IOException {
        ChronicleSupport.init();
        Files.createDirectories(dir);
        Path file = dir.resolve(FILE);
        Path marker = dir.resolve(MARKER);
        boolean recover = Files.exists(marker) && Files.exists(file) && Files.size(file) > 0;
        ChronicleMapBuilder<CharSequence, byte[]> builder = ChronicleMap.of(CharSequence.class, byte[].class)
                .name("herald-message-ids")
                .entries(Math.max(1_000, capacity))
                .averageKeySize(AVERAGE_KEY_BYTES)
                .constantValueSizeBySample(new byte[16])
                .maxBloatFactor(MAX_BLOAT)
                .putReturnsNull(true)
                .removeReturnsNull(true)
                .skipCloseOnExitHook(true);
        ChronicleMap<CharSequence, byte[]> map;
        try {
            if (recover) {
                LOG.warn("message-id map {} was not closed cleanly; recovering it", file);
                map = builder.recoverPersistedTo(file.toFile(), true);
            } else {
                map = builder.createPersistedTo(file.toFile());
            }
        } catch (IOException | RuntimeException e) {
            throw new IOException(file + ": the message-id map cannot be opened: " + e.getMessage(), e);
        }
        Files.writeString(marker, "open\n");
        return new MessageIdMap(dir, map);
    }

    /**
     * @param connector the connector's name
     * @param key       the message id's key ({@code MessageIds.key})
     * @param target    where it leads
     */
    public void put(String connector, String key, Target target) {
        map.put(connector + "/" + key, target.encode());
        puts.incrementAndGet();
    }

    /** @return where {@code key} of {@code connector} leads, if it is known */
    public Optional<Target> get(String connector, String key) {
        byte[] v = map.get(connector + "/" + key);
        return v == null ? Optional.empty() : Optional.of(Target.decode(v));
    }

    /** Forgets {@code key} of {@code connector}. */
    public void remove(String connector, String key) {
        map.remove(connector + "/" + key);
    }

    /**
     * Marks {@code key} of {@code connector} as reported (its final receipt came) at
     * {@code nowEpochSeconds}: it stays until {@link #sweep} finds it reported longer ago than the
     * grace it is given.
     */
    public void reported(String connector, String key, long nowEpochSeconds) {
        String k = connector + "/" + key;
        byte[] v = map.get(k);
        if (v != null) {
            Target t = Target.decode(v);
            map.put(k, new Target(t.campaign(), t.recipient(), t.part(), t.parts(), nowEpochSeconds, true).encode());
        }
    }

    /** @return entries in the map */
    public long size() {
        return map.longSize();
    }

    /** @return bytes the map's file takes on disk (allocated, not only written) */
    public long fileBytes() throws IOException {
        return Files.size(dir.resolve(FILE));
    }

    /**
     * Removes every entry accepted before {@code unreportedBefore} (its receipt is not coming) and
     * every entry reported before {@code reportedBefore} (a repeat of its receipt is not coming either).
     *
     * @return how many were removed
     */
    public long sweep(long unreportedBefore, long reportedBefore) {
        long[] removed = {0};
        map.forEachEntry(e -> {
            Target t = Target.decode(e.value().get());
            if (t.acceptedAtEpochSeconds() < (t.reported() ? reportedBefore : unreportedBefore)) {
                e.context().remove(e);
                removed[0]++;
            }
        });
        return removed[0];
    }

    @Override
    public void close() throws IOException {
        map.close();
        Files.deleteIfExists(dir.resolve(MARKER));
    }
}
