package dev.herald.dispatcher.funnel;

import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.dispatcher.links.Clicks;
import dev.herald.suppression.CorruptIndexException;
import dev.herald.suppression.internal.ChronicleSupport;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@link Touches} kept in a Chronicle Map, keyed by recipient id: {@code <data dir>/funnel/touches.dat}.
 *
 * <pre>{@code
 * TouchStore touches = TouchStore.open(dataDir.resolve("funnel"), 10_000_000);
 * touches.delivered(42, 7, receiptMillis);
 * touches.lastDelivered(42);                                  // Optional[Touch[campaignNumber=7, atMillis=...]]
 * Clicks.DeliveredAt at = TouchStore.deliveredAt(touches, numbers);   // for the clicks' timing
 * }</pre>
 *
 * <p><b>Storage.</b> One entry per recipient touched, a 24-byte value: the last delivery's
 * campaign number and epoch ms, the last human click's (campaign number 0: none yet). The map is
 * memory-mapped: a touch is in the file when its call returns, so a killed process loses nothing
 * (a power loss may lose the last seconds: then a conversion is attributed from an older touch, or
 * not at all). It is sized for {@code capacity} recipients ({@code herald.funnel.touches-capacity};
 * the space is allocated up front, about 45 bytes a recipient) and grows to {@value #MAX_BLOAT}
 * times that. A marker file reveals an unclean shutdown, after which Chronicle's recovery clears
 * the segment locks a killed process held; the sizing is read from the file's own header, so a
 * changed capacity applies to a new file only. A file whose header is not a Chronicle Map's is
 * refused, naming it, and left untouched.
 *
 * <p><b>Rules.</b> A touch later than the recipient's last of its kind replaces it; one at the same
 * time or older (a receipt arriving late) changes nothing. Each update is atomic under the entry's
 * segment lock, so a delivery and a click recorded at once by two threads are both kept.
 *
 * <p>Thread-safe.
 */
public final class TouchStore implements Touches, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TouchStore.class);
    /** The store's directory in the data directory. */
    public static final String DIR = "funnel";
    /** The map's file in its directory. */
    public static final String FILE = "touches.dat";
    private static final String MARKER = "touches.open";
    /** How far past its capacity the map may grow (Chronicle's max bloat factor). */
    static final double MAX_BLOAT = 10.0;
    private static final int VALUE_BYTES = 24;
    private static final int DELIVERED_AT = 0;
    private static final int CLICKED_AT = 12;

    private final Path dir;
    private final ChronicleMap<Integer, byte[]> map;

    private TouchStore(Path dir, ChronicleMap<Integer, byte[]> map) {
        this.dir = dir;
        this.map = map;
    }

    /**
     * Opens (creating if absent) the touches in {@code dir}; after an unclean shutdown, recovers them.
     *
     * @param dir      the directory ({@code <data dir>/funnel})
     * @param capacity recipients it is sized for, ≥ 1 (at least 1,000 are allocated)
     * @return the store
     * @throws IllegalArgumentException if {@code capacity < 1}
     * @throws CorruptIndexException    naming the file if it is not a Chronicle Map's (left untouched)
     * @throws IOException              naming the file if it cannot be created, mapped or recovered
     */
    public static TouchStore open(Path dir, long capacity) throws IOException {
        if (capacity < 1) {
            throw new IllegalArgumentException("herald.funnel.touches-capacity must be >= 1, got " + capacity);
        }
        ChronicleSupport.init();
        Files.createDirectories(dir);
        Path file = dir.resolve(FILE);
        Path marker = dir.resolve(MARKER);
        boolean exists = Files.exists(file) && Files.size(file) > 0;
        if (exists) {
            checkHeader(file); // a zeroed header would make Chronicle wait for ever for its "creator"
        }
        ChronicleMapBuilder<Integer, byte[]> builder = ChronicleMap.of(Integer.class, byte[].class)
                .name("herald-touches")
                .entries(Math.max(1_000, capacity))
                .constantValueSizeBySample(new byte[VALUE_BYTES])
                .maxBloatFactor(MAX_BLOAT)
                .putReturnsNull(true)
                .removeReturnsNull(true)
                .skipCloseOnExitHook(true); // closed in order by the service, not under it at exit
        ChronicleMap<Integer, byte[]> map;
        try {
            if (exists && Files.exists(marker)) {
                LOG.warn("touches {} were not closed cleanly; recovering them", file);
                // false: the sizing is read from the file's header, not this builder (the capacity may have changed)
                map = builder.recoverPersistedTo(file.toFile(), false);
            } else {
                map = builder.createPersistedTo(file.toFile());
            }
        } catch (IOException | RuntimeException e) {
            throw new IOException(file + ": the touches cannot be opened: " + e.getMessage(), e);
        }
        Files.writeString(marker, "open\n");
        return new TouchStore(dir, map);
    }

    /**
     * Checks {@code <dir>/touches.dat} without changing anything (for {@code herald data check}):
     * its header must be a Chronicle Map's.
     *
     * @param dir the directory ({@code <data dir>/funnel})
     * @return the damage, or empty if the file is sound or absent
     * @throws IOException if it cannot be read
     */
    public static Optional<IOException> verify(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        if (!Files.exists(file) || Files.size(file) == 0) {
            return Optional.empty();
        }
        try {
            checkHeader(file);
            return Optional.empty();
        } catch (CorruptIndexException e) {
            return Optional.of(e);
        }
    }

    private static void checkHeader(Path file) throws IOException {
        try {
            ChronicleSupport.checkHeader(file.toFile());
        } catch (CorruptIndexException e) {
            throw new CorruptIndexException(file, "not a Chronicle Map file, or its header is damaged; it was left"
                    + " untouched: restore it from a backup, or move it away (the recipients' last touches are lost:"
                    + " conversions are attributed again from the next deliveries and clicks)");
        }
    }

    /**
     * When a recipient's message of a campaign was delivered, from these touches: the click's
     * campaign must be the recipient's last delivery (an earlier campaign's delivery time is not
     * kept; -1 then).
     *
     * @param touches the touches
     * @param numbers the campaign numbers (only read: a campaign without a number was delivered to nobody)
     * @return the clicks' {@link Clicks.DeliveredAt}
     */
    public static Clicks.DeliveredAt deliveredAt(Touches touches, CampaignNumbers numbers) {
        return (campaignId, recipient) -> {
            Optional<Integer> n = numbers.existing(campaignId);
            if (n.isEmpty()) {
                return -1;
            }
            return touches.lastDelivered(recipient).filter(t -> t.campaignNumber() == n.get()).map(Touch::atMillis)
                    .orElse(-1L);
        };
    }

    /**
     * @throws IllegalArgumentException if {@code recipient < 0}, the campaign number is not in
     *                                  [1, {@value CampaignNumbers#MAX}] or {@code atMillis < 0}
     */
    @Override
    public void delivered(int recipient, int campaignNumber, long atMillis) {
        touch(recipient, campaignNumber, atMillis, DELIVERED_AT);
    }

    /**
     * @throws IllegalArgumentException if {@code recipient < 0}, the campaign number is not in
     *                                  [1, {@value CampaignNumbers#MAX}] or {@code atMillis < 0}
     */
    @Override
    public void clicked(int recipient, int campaignNumber, long atMillis) {
        touch(recipient, campaignNumber, atMillis, CLICKED_AT);
    }

    @Override
    public Optional<Touch> lastDelivered(int recipient) {
        return read(recipient, DELIVERED_AT);
    }

    @Override
    public Optional<Touch> lastClicked(int recipient) {
        return read(recipient, CLICKED_AT);
    }

    /**
     * Forgets {@code recipient}'s touches (an erasure): conversions are not attributed to them any more.
     *
     * @return whether there were any
     */
    public boolean forget(int recipient) {
        return map.remove(recipient) != null;
    }

    /** @return recipients with any touch */
    public long size() {
        return map.longSize();
    }

    private void touch(int recipient, int campaignNumber, long atMillis, int offset) {
        if (recipient < 0 || campaignNumber < 1 || campaignNumber > CampaignNumbers.MAX || atMillis < 0) {
            throw new IllegalArgumentException("touch: recipient >= 0, campaign number in [1, " + CampaignNumbers.MAX
                    + "], time >= 0, got " + recipient + ", " + campaignNumber + ", " + atMillis);
        }
        try (ExternalMapQueryContext<Integer, byte[], ?> c = map.queryContext(recipient)) {
            c.writeLock().lock();
            MapEntry<Integer, byte[]> entry = c.entry();
            byte[] value = entry == null ? new byte[VALUE_BYTES] : entry.value().get();
            ByteBuffer b = ByteBuffer.wrap(value);
            if (b.getInt(offset) != 0 && b.getLong(offset + 4) >= atMillis) {
                return; // as late or later already: a late receipt changes nothing
            }
            b.putInt(offset, campaignNumber).putLong(offset + 4, atMillis);
            if (entry == null) {
                c.insert(c.absentEntry(), c.wrapValueAsData(value));
            } else {
                c.replaceValue(entry, c.wrapValueAsData(value));
            }
        }
    }

    private Optional<Touch> read(int recipient, int offset) {
        byte[] value = map.get(recipient);
        if (value == null) {
            return Optional.empty();
        }
        ByteBuffer b = ByteBuffer.wrap(value);
        int n = b.getInt(offset);
        return n == 0 ? Optional.empty() : Optional.of(new Touch(n, b.getLong(offset + 4)));
    }

    @Override
    public void close() throws IOException {
        map.close();
        Files.deleteIfExists(dir.resolve(MARKER));
    }
}
