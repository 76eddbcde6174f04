package dev.herald.dispatcher.inbound;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
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
 * <p><b>Storage.</b> {@code marks.bin} ({@link LastSendsFile}): 16 bytes per recipient id, two
 * marks of 8 (the campaign's {@link CampaignNumbers} number, epoch second, a check byte): the
 * newest, and the one before it from another sender, after a checksummed header. Every byte is
 * checked at open: a damaged file refuses the store naming the file and offset; a file of the
 * previous format is migrated. Memory-mapped, written on every accepted marketing message (no fsync: a killed process
 * keeps it, power loss may lose the newest marks, and then an opt-out is just not attributed). Ids
 * at or above the capacity are not tracked. Two sends to one recipient at the same instant from
 * two campaigns may keep only one of them (best effort: attribution only). A campaign's sender is
 * the one its messages carried, or (for marks written before a restart) what {@code senderOf} says.
 *
 * <p>Thread-safe: marks are single aligned 8-byte writes.
 */
public final class LastSends implements AutoCloseable {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LastSends.class);

    /** The last marketing message a recipient was sent; {@code sender} in lower case, as profiles and scopes have it. */
    public record Mark(String campaignId, String sender, Instant at) {
    }

    private static final String FILE = "marks.bin";

    private final MappedByteBuffer marks;
    private final int capacity;
    private final CampaignNumbers numbers;
    private final Function<String, Optional<String>> senderOf;
    private final Map<String, String> senders = new ConcurrentHashMap<>();

    private LastSends(MappedByteBuffer marks, int capacity, CampaignNumbers numbers,
                      Function<String, Optional<String>> senderOf) {
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
     * @throws dev.herald.suppression.DamagedFileException if {@code marks.bin} is damaged (named,
     *                     with the offset; left untouched)
     * @throws IOException if the file cannot be created, migrated or mapped
     */
    public static LastSends open(Path dir, int capacity, CampaignNumbers numbers, Function<String, Optional<String>> senderOf)
            throws IOException {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
        }
        Files.createDirectories(dir);
        int tracked = Math.min(capacity, (Integer.MAX_VALUE - LastSendsFile.HEADER) / LastSendsFile.RECORD);
        MappedByteBuffer map = LastSendsFile.open(dir.resolve(FILE), tracked);
        int records = (map.capacity() - LastSendsFile.HEADER) / LastSendsFile.RECORD;
        return new LastSends(map, records, numbers, senderOf);
    }

    /**
     * Checks {@code <dir>/marks.bin} without changing anything (for {@code herald data check}).
     *
     * @return the damage, or empty if it is sound, absent, or of the previous format (migrated at the next open)
     * @throws IOException if it cannot be read
     */
    public static Optional<dev.herald.suppression.DamagedFileException> verify(Path dir) throws IOException {
        return LastSendsFile.verify(dir.resolve(FILE));
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
     * {@code sender}) at {@code at}. It becomes the newest mark; the previous newest stays as the
     * second when it came from another sender (so a STOP to that sender is still attributed).
     *
     * @throws java.io.UncheckedIOException if the campaign's new number cannot be made durable
     */
    public void mark(int recipientId, String campaignId, String sender, Instant at) {
        if (recipientId < 0 || recipientId >= capacity) {
            return;
        }
        String s = normalizedSender(sender);
        senders.putIfAbsent(campaignId, s);
        int n = numbers.numberOf(campaignId);
        if (n > LastSendsFile.MAX_NUMBER) {
            return; // past 16,777,215 campaigns: not tracked (attribution only)
        }
        int at0 = LastSendsFile.offset(recipientId, 0);
        long newest = marks.getLong(at0);
        int newestNumber = LastSendsFile.number(newest);
        if (newestNumber != 0 && !s.equals(senderOfNumber(newestNumber))) {
            marks.putLong(at0 + 8, newest); // another sender's: kept as the second mark
        }
        marks.putLong(at0, LastSendsFile.encode(n, at.getEpochSecond()));
    }

    /** @return the recipient's last marketing send, if tracked */
    public Optional<Mark> of(int recipientId) {
        List<Mark> r = recent(recipientId);
        return r.isEmpty() ? Optional.empty() : Optional.of(r.get(0));
    }

    /**
     * @return the recipient's last marketing send and, if it came from another sender, the one
     *     before it; newest first, empty if not tracked (marks of campaigns no longer stored are left out)
     */
    public List<Mark> recent(int recipientId) {
        if (recipientId < 0 || recipientId >= capacity) {
            return List.of();
        }
        List<Mark> out = new ArrayList<>(2);
        for (int k = 0; k < 2; k++) {
            long v = marks.getLong(LastSendsFile.offset(recipientId, k));
            int n = LastSendsFile.number(v);
            String sender = senderOfNumber(n);
            if (sender != null) {
                out.add(new Mark(numbers.campaignOf(n).orElseThrow(), sender, Instant.ofEpochSecond(LastSendsFile.second(v))));
            }
        }
        return out;
    }

    /** The sender of the campaign numbered {@code n}; null for none, or a campaign no longer stored. */
    private String senderOfNumber(int n) {
        Optional<String> campaign = n == 0 ? Optional.empty() : numbers.campaignOf(n);
        if (campaign.isEmpty()) {
            return null;
        }
        String id = campaign.get();
        String sender = senders.get(id);
        if (sender == null) {
            sender = senderOf.apply(id).map(LastSends::normalizedSender).orElse(null);
            if (sender != null) {
                senders.put(id, sender);
            }
        }
        return sender;
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
    }
}
