package dev.herald.dispatcher.inbound;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

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
 * LastSends last = LastSends.open(dataDir.resolve("last-sends"), directoryCapacity);
 * Connector observed = last.observe(connector);     // campaigns send through it
 * last.of(recipientId);                             // Optional[Mark[campaign=spring, sender=acme, at=...]]
 * }</pre>
 *
 * <p><b>Storage.</b> {@code marks.bin}: 8 bytes per recipient id (campaign number + 1, epoch
 * second), memory-mapped, written on every accepted marketing message (no fsync: a killed
 * process keeps it, power loss may lose the newest marks, and then an opt-out is just not
 * attributed). {@code campaigns.tsv}: campaign number, id and sender, one line each, appended
 * and fsynced before the first mark that uses the number. Ids at or above the capacity are not
 * tracked. One recipient keeps one mark: a message from another sender replaces it.
 *
 * <p>Thread-safe: marks are single aligned 8-byte writes, the campaign table is guarded.
 */
public final class LastSends implements AutoCloseable {

    /** The last marketing message a recipient was sent. */
    public record Mark(String campaignId, String sender, Instant at) {
    }

    private record Campaign(String id, String sender) {
    }

    private final FileChannel marksChannel;
    private final MappedByteBuffer marks;
    private final int capacity;
    private final Path table;
    private final Map<String, Integer> numbers = new ConcurrentHashMap<>();
    private final List<Campaign> campaigns = new ArrayList<>(); // guarded by this

    private LastSends(FileChannel marksChannel, MappedByteBuffer marks, int capacity, Path table) {
        this.marksChannel = marksChannel;
        this.marks = marks;
        this.capacity = capacity;
        this.table = table;
    }

    /**
     * Opens (creating if absent) the marks in {@code dir}.
     *
     * @param capacity recipient ids tracked: {@code [0, capacity)}
     * @throws IOException if the files cannot be created or read, or the table is damaged
     */
    public static LastSends open(Path dir, int capacity) throws IOException {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
        }
        Files.createDirectories(dir);
        Path table = dir.resolve("campaigns.tsv");
        FileChannel ch = FileChannel.open(dir.resolve("marks.bin"), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            long size = Math.max(ch.size(), (long) capacity * 8);
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_WRITE, 0, size);
            map.order(ByteOrder.LITTLE_ENDIAN);
            LastSends s = new LastSends(ch, map, (int) Math.min(Integer.MAX_VALUE, size / 8), table);
            if (Files.exists(table)) {
                byte[] bytes = Files.readAllBytes(table);
                int end = bytes.length;
                while (end > 0 && bytes[end - 1] != '\n') {
                    end--; // a torn last line: its number was never used (the line is fsynced before use)
                }
                if (end < bytes.length) {
                    try (FileChannel t = FileChannel.open(table, StandardOpenOption.WRITE)) {
                        t.truncate(end);
                        t.force(true);
                    }
                }
                String[] lines = new String(bytes, 0, end, StandardCharsets.UTF_8).split("\n");
                for (int line = 1; line <= lines.length && end > 0; line++) {
                    String[] f = lines[line - 1].split("\t", -1);
                    if (f.length != 3 || !f[0].equals(Integer.toString(s.campaigns.size()))) {
                        throw new IOException(table + " line " + line + " is damaged: '" + lines[line - 1] + "'");
                    }
                    s.campaigns.add(new Campaign(f[1], f[2]));
                    s.numbers.put(f[1], s.campaigns.size() - 1);
                }
            }
            return s;
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
                        mark(m.recipientId(), m.campaignId(), m.from(), Instant.now());
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
     * @throws java.io.UncheckedIOException if a new campaign cannot be made durable in the table
     */
    public void mark(int recipientId, String campaignId, String sender, Instant at) {
        if (recipientId < 0 || recipientId >= capacity) {
            return;
        }
        int n = number(campaignId, sender);
        long v = ((long) (n + 1) << 32) | (at.getEpochSecond() & 0xFFFF_FFFFL);
        marks.putLong(recipientId * 8, v);
    }

    /** @return the recipient's last marketing send, if tracked */
    public Optional<Mark> of(int recipientId) {
        if (recipientId < 0 || recipientId >= capacity) {
            return Optional.empty();
        }
        long v = marks.getLong(recipientId * 8);
        int n = (int) (v >>> 32) - 1;
        if (n < 0) {
            return Optional.empty();
        }
        Campaign c;
        synchronized (this) {
            if (n >= campaigns.size()) {
                return Optional.empty(); // its table line was torn: never durable
            }
            c = campaigns.get(n);
        }
        return Optional.of(new Mark(c.id(), c.sender(), Instant.ofEpochSecond(v & 0xFFFF_FFFFL)));
    }

    private int number(String campaignId, String sender) {
        Integer n = numbers.get(campaignId);
        if (n != null) {
            return n;
        }
        synchronized (this) {
            n = numbers.get(campaignId);
            if (n != null) {
                return n;
            }
            int next = campaigns.size();
            String line = next + "\t" + campaignId + "\t" + sender + "\n";
            try (FileChannel ch = FileChannel.open(table, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND)) {
                ch.write(StandardCharsets.UTF_8.encode(line));
                ch.force(true);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot record campaign " + campaignId + " in " + table, e);
            }
            campaigns.add(new Campaign(campaignId, sender));
            numbers.put(campaignId, next);
            return next;
        }
    }

    @Override
    public void close() throws IOException {
        marks.force();
        marksChannel.close();
    }
}
