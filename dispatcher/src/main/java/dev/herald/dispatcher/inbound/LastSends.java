package dev.herald.dispatcher.inbound;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.connector.ForwardingConnector;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.SendResult;
import dev.herald.throttle.Priority;

/**
 * Each recipient's last marketing message the connector accepted: which campaign (and so which
 * sender) and when. An opt-out is attributed with it to the campaign it answered (the consent
 * ledger keeps campaign and send time as evidence), so that opt-out reports show which sends make
 * people leave.
 *
 * <pre>{@code
 * LastSends last = LastSends.open(dataDir.resolve("last-sends"), directoryCapacity, numbers, senderOf);
 * Connector observed = last.observe(connector);     // campaigns send through it
 * last.of(recipientId);                             // Optional[Mark[campaignId=spring, sender=acme, at=...]]
 * }</pre>
 *
 * <p><b>Storage.</b> {@code marks.bin}: 8 bytes per recipient id (the campaign's
 * {@link CampaignNumbers} number, epoch second), memory-mapped, written on every accepted marketing
 * message (no fsync: a killed process keeps it, power loss may lose the newest marks, and then an
 * opt-out is just not attributed). Ids at or above the capacity are not tracked. One recipient
 * keeps one mark: a message from another sender replaces it. A campaign's sender is the one its
 * messages carried, or (for marks written before a restart) what {@code senderOf} says.
 *
 * <p>Thread-safe: marks are single aligned 8-byte writes.
 */
public final class LastSends implements AutoCloseable {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LastSends.class);

    /** The last marketing message a recipient was sent; {@code sender} in lower case, as profiles and scopes have it. */
    public record Mark(String campaignId, String sender, Instant at) {
    }

    private final FileChannel marksChannel;
    private final MappedByteBuffer marks;
    private final int capacity;
    private final CampaignNumbers numbers;
    private final Function<String, Optional<String>> senderOf;
    private final Map<String, String> senders = new ConcurrentHashMap<>();

    private LastSends(FileChannel marksChannel, MappedByteBuffer marks, int capacity, CampaignNumbers numbers,
                      Function<String, Optional<String>> senderOf) {
        this.marksChannel = marksChannel;
        this.marks = marks;
        this.capacity = capacity;
        this.numbers = numbers;
        this.senderOf = senderOf;
    }

    /**
     * Opens (creating if absent) the marks in {@code dir}.
     *
     * @param capacity recipient ids tracked: {@code [0, capacity)}
     * @param numbers  the campaign numbers (shared, not closed here)
     * @param senderOf a campaign's sender id, for marks written before this process started
     * @throws IOException if the file cannot be created or mapped
     */
    public static LastSends open(Path dir, int capacity, CampaignNumbers numbers, Function<String, Optional<String>> senderOf)
            throws IOException {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
        }
        Files.createDirectories(dir);
        FileChannel ch = FileChannel.open(dir.resolve("marks.bin"), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            long size = Math.max(ch.size(), (long) capacity * 8);
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_WRITE, 0, size);
            map.order(ByteOrder.LITTLE_ENDIAN);
            return new LastSends(ch, map, (int) Math.min(Integer.MAX_VALUE, size / 8), numbers, senderOf);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * @param delegate the connector campaigns send through
     * @return a connector that marks each accepted marketing message, and otherwise forwards
     */
    public Connector observe(Connector delegate) {
        return new ForwardingConnector(delegate) {
            @Override
            public CompletionStage<SendResult> send(OutboundMessage m) {
                CompletionStage<SendResult> answer = delegate().send(m);
                if (m.priority() != Priority.MARKETING) {
                    return answer;
                }
                return answer.thenApply(r -> {
                    if (r instanceof SendResult.Accepted) {
                        try {
                            mark(m.recipientId(), m.campaignId(), m.from(), Instant.now());
                        } catch (RuntimeException e) {
                            // bookkeeping for attribution only: the send itself was accepted and stays so
                            LOG.warn("last-send mark of campaign {} not recorded: {}", m.campaignId(), e.toString());
                        }
                    }
                    return r;
                });
            }
        };
    }

    /**
     * Records that {@code recipientId} was sent a marketing message of {@code campaignId} (sender
     * {@code sender}) at {@code at}.
     *
     * @throws java.io.UncheckedIOException if the campaign's new number cannot be made durable
     */
    public void mark(int recipientId, String campaignId, String sender, Instant at) {
        if (recipientId < 0 || recipientId >= capacity) {
            return;
        }
        senders.putIfAbsent(campaignId, normalizedSender(sender));
        int n = numbers.numberOf(campaignId);
        marks.putLong(recipientId * 8, ((long) n << 32) | (at.getEpochSecond() & 0xFFFF_FFFFL));
    }

    /** @return the recipient's last marketing send, if tracked */
    public Optional<Mark> of(int recipientId) {
        if (recipientId < 0 || recipientId >= capacity) {
            return Optional.empty();
        }
        long v = marks.getLong(recipientId * 8);
        int n = (int) (v >>> 32);
        Optional<String> campaign = n == 0 ? Optional.empty() : numbers.campaignOf(n);
        if (campaign.isEmpty()) {
            return Optional.empty();
        }
        String id = campaign.get();
        String sender = senders.get(id);
        if (sender == null) {
            sender = senderOf.apply(id).map(LastSends::normalizedSender).orElse(null);
            if (sender == null) {
                return Optional.empty(); // the campaign is gone: nothing to attribute to
            }
            senders.put(id, sender);
        }
        return Optional.of(new Mark(id, sender, Instant.ofEpochSecond(v & 0xFFFF_FFFFL)));
    }

    /** A sender id as scopes and profiles write it (lower case); as given if it is no valid id. */
    private static String normalizedSender(String sender) {
        try {
            return dev.herald.suppression.Scope.sender(sender).name();
        } catch (IllegalArgumentException e) {
            return sender;
        }
    }

    @Override
    public void close() throws IOException {
        marks.force();
        marksChannel.close();
    }
}
