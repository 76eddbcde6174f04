package dev.herald.dispatcher.inbound;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import dev.herald.dispatcher.store.LineLog;

/**
 * Replies held for an operator's decision: those holding an intent phrase ({@link IntentPhrases})
 * sent to a sender whose {@code intent-action} is {@code review}. An operator opts the recipient out
 * or dismisses the reply ({@code GET /v1/inbound/review}, {@code POST /v1/inbound/review/{id}/opt-out|dismiss}).
 *
 * <pre>{@code
 * ReviewQueue q = ReviewQueue.open(dataDir.resolve("inbound"));
 * Item held = q.hold(now, "+14155550123", 7, "60600", "acme", "sms", "please stop texting me", match, "sender:acme");
 * q.decide(held.id(), Status.DISMISSED, now, "key-1", null);
 * }</pre>
 *
 * <p><b>Durable.</b> Kept in {@code review-queue.log} ({@link LineLog}: one checksummed JSON event per
 * line, fsynced before a method returns): a {@code held} event per reply, a {@code decided} event
 * per decision. Replayed at open.
 *
 * <p><b>Decisions.</b> An item is decided once: the same decision again returns the item as it
 * is (idempotent); the other decision afterwards is refused ({@link Conflict}).
 *
 * <p>Thread-safety: thread-safe (one lock); one process owns the file.
 */
public final class ReviewQueue implements AutoCloseable {

    /** The log's file name inside the directory given to {@link #open}. */
    public static final String FILE = "review-queue.log";

    /** Where an item stands. */
    public enum Status {
        /** Waiting for an operator. */
        PENDING,
        /** An operator opted the recipient out. */
        OPTED_OUT,
        /** An operator decided the reply is no opt-out. */
        DISMISSED;

        /** @return {@code pending}, {@code opted-out} or {@code dismissed} */
        @com.fasterxml.jackson.annotation.JsonValue
        public String wire() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /** @return the status named {@code wire} @throws IllegalArgumentException naming it if unknown */
        @com.fasterxml.jackson.annotation.JsonCreator
        public static Status fromWire(String wire) {
            for (Status s : values()) {
                if (s.wire().equals(wire)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("unknown review status '" + wire + "': expected pending, opted-out or dismissed");
        }
    }

    /**
     * One held reply.
     *
     * @param id          its id in the queue, {@code 1}, {@code 2}, ...
     * @param receivedAt  when the reply arrived
     * @param phone       the recipient's number, E.164
     * @param recipientId the recipient's id in the directory
     * @param to          the number or short code the reply was sent to
     * @param sender      the sender that number belongs to, or null (a number no sender lists)
     * @param channel     the channel the reply came through
     * @param text        the recipient's words
     * @param language    the language of the phrase found
     * @param phrase      the phrase found (normalised)
     * @param scope       the scope an opt-out of it changes, e.g. {@code sender:acme}
     * @param status      where it stands
     * @param decidedAt   when it was decided, or null
     * @param decidedBy   the API key that decided it, or null
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Item(long id, Instant receivedAt, String phone, int recipientId, String to, String sender, String channel,
                       String text, String language, String phrase, String scope, Status status, Instant decidedAt,
                       String decidedBy) {

        /** @return this item without the recipient's number and words (an erasure) */
        Item erased() {
            return new Item(id, receivedAt, null, recipientId, to, sender, channel, null, language, phrase, scope, status,
                    decidedAt, decidedBy);
        }

        Item decided(Status s, Instant at, String by) {
            return new Item(id, receivedAt, phone, recipientId, to, sender, channel, text, language, phrase, scope, s, at, by);
        }
    }

    /** A decision the item's earlier, other decision does not allow. */
    public static final class Conflict extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        Conflict(String message) {
            super(message);
        }
    }

    /** One line of the log. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    private record Event(String op, Item item, Long id, Status status, Instant at, String by) {
    }

    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).disable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Replaced (under this) only by {@link #erase}, which rewrites the file. */
    private LineLog log;
    private final Path file;
    private final Map<Long, Item> items = new LinkedHashMap<>();
    private long lastId;

    private ReviewQueue(Path file, LineLog log) throws IOException {
        this.file = file;
        this.log = log;
        int line = 0;
        for (String r : log.records()) {
            line++;
            Event e;
            try {
                e = JSON.readValue(r, Event.class);
            } catch (IOException | RuntimeException bad) {
                throw new IOException(log + " record " + line + ": not a review queue event: " + bad.getMessage(), bad);
            }
            if ("held".equals(e.op()) && e.item() != null) {
                items.put(e.item().id(), e.item());
                lastId = Math.max(lastId, e.item().id());
            } else if ("decided".equals(e.op()) && e.id() != null && items.containsKey(e.id()) && e.status() != null) {
                items.put(e.id(), items.get(e.id()).decided(e.status(), e.at(), e.by()));
            } else {
                throw new IOException(log + " record " + line + ": not a review queue event: " + r);
            }
        }
    }

    /**
     * Opens (creating if absent) the queue kept in {@code dir}/{@value #FILE}.
     *
     * @throws IOException if it cannot be read, or is damaged (naming the file and record)
     */
    public static ReviewQueue open(Path dir) throws IOException {
        Files.createDirectories(dir);
        LineLog log = LineLog.open(dir.resolve(FILE));
        try {
            return new ReviewQueue(dir.resolve(FILE), log);
        } catch (IOException | RuntimeException e) {
            log.close();
            throw e;
        }
    }

    /**
     * Holds a reply (durably, before it returns).
     *
     * @return the new pending item
     * @throws IOException if it cannot be stored
     */
    public synchronized Item hold(Instant at, String phone, int recipientId, String to, String sender, String channel,
                                  String text, IntentPhrases.Match match, String scope) throws IOException {
        Item item = new Item(lastId + 1, at, phone, recipientId, to, sender, channel, text, match.language(), match.phrase(),
                scope, Status.PENDING, null, null);
        log.append(JSON.writeValueAsString(new Event("held", item, null, null, null, null)));
        lastId = item.id();
        items.put(item.id(), item);
        return item;
    }

    /** @return the item with id {@code id} (any text: an id that is not a number is no item) */
    public synchronized Optional<Item> get(String id) {
        try {
            return Optional.ofNullable(items.get(Long.parseLong(id)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** @return the items with {@code status} (every item when null), oldest first */
    public synchronized List<Item> list(Status status) {
        List<Item> out = new ArrayList<>();
        for (Item i : items.values()) {
            if (status == null || i.status() == status) {
                out.add(i);
            }
        }
        return out;
    }

    /**
     * Records a decision (durably, before it returns).
     *
     * @param decision {@link Status#OPTED_OUT} or {@link Status#DISMISSED}
     * @return the item as decided; unchanged if it already had this decision
     * @throws java.util.NoSuchElementException if there is no item {@code id}
     * @throws Conflict                         if it has the other decision already
     * @throws IOException                      if the decision cannot be stored
     */
    public synchronized Item decide(long id, Status decision, Instant at, String by) throws IOException {
        if (decision == Status.PENDING) {
            throw new IllegalArgumentException("a decision is opted-out or dismissed");
        }
        Item i = items.get(id);
        if (i == null) {
            throw new java.util.NoSuchElementException("no review item " + id);
        }
        if (i.status() == decision) {
            return i;
        }
        if (i.status() != Status.PENDING) {
            throw new Conflict("review item " + id + " is " + i.status().wire() + " already (" + i.decidedAt() + " by "
                    + i.decidedBy() + ")");
        }
        log.append(JSON.writeValueAsString(new Event("decided", null, id, decision, at, by)));
        Item d = i.decided(decision, at, by);
        items.put(id, d);
        return d;
    }

    /**
     * Rewrites the queue's log so that the replies of the recipients {@code erased} holds keep no
     * number and no words ({@code phone} and {@code text} null); their ids, times, scope and decisions
     * stay (the queue's ids are never reused), everyone else's lines stay byte for byte
     * ({@link dev.herald.dispatcher.store.LogRewrite}: atomic, nothing written when nothing changes).
     * Run it only where no one appends to the file (the compaction), or through {@link #erase}.
     *
     * @param file {@code <data dir>/inbound/review-queue.log}
     * @throws dev.herald.suppression.store.DamagedStoreException naming the file and offset if it is damaged
     * @throws IOException if it cannot be read or written, or a line is not a review queue event
     */
    public static dev.herald.dispatcher.store.LogRewrite.Result scrub(Path file, java.util.function.IntPredicate erased)
            throws IOException {
        return dev.herald.dispatcher.store.LogRewrite.rewrite(file, LineLog.FORMAT, (d, p, n) -> {
            byte[] b = new byte[n];
            d.get(p, b);
            Event e;
            try {
                e = JSON.readValue(b, Event.class);
            } catch (IOException | RuntimeException bad) {
                throw new IOException(file + ": not a review queue event: " + bad.getMessage(), bad);
            }
            if (!"held".equals(e.op()) || e.item() == null || !erased.test(e.item().recipientId())
                    || (e.item().phone() == null && e.item().text() == null)) {
                return dev.herald.dispatcher.store.LogRewrite.KEEP;
            }
            return JSON.writeValueAsBytes(new Event("held", e.item().erased(), null, null, null, null));
        });
    }

    /**
     * Erases the number and words of {@code recipientId}'s held replies now, in memory and in the
     * file ({@link #scrub} on the open log, reopened after).
     *
     * @return how many held replies of theirs the file had (0: nothing was changed)
     * @throws IOException if the file cannot be rewritten or reopened
     */
    public synchronized long erase(int recipientId) throws IOException {
        items.replaceAll((id, i) -> i.recipientId() == recipientId ? i.erased() : i);
        log.close();
        try {
            return scrub(file, id -> id == recipientId).changed();
        } finally {
            log = LineLog.open(file);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        log.close();
    }
}
