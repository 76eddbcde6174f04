package dev.herald.dispatcher.journey;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.FramedLog;
import dev.herald.suppression.store.LogFormat;
import dev.herald.suppression.store.VerifyResult;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The journeys' definitions, every version kept, and their status, in one log
 * ({@code <data dir>/journeys/definitions.log}: checksummed JSON lines, each fsynced before the
 * call returns; a torn last line is dropped and reported, a damaged one refuses the file naming
 * it), replayed at open.
 *
 * <pre>{@code
 * JourneyStore store = JourneyStore.open(dataDir.resolve("journeys"), Clock.systemUTC());
 * JourneyStore.Journey j = store.create(definition);    // version 1, active
 * store.update(j.id(), changed);                        // version 2: new instances use it, running ones finish on theirs
 * store.status(j.id(), Status.PAUSED);
 * }</pre>
 *
 * <p>Thread-safe (synchronized).
 */
public final class JourneyStore implements AutoCloseable {

    /** The log's file name. */
    public static final String FILE = "definitions.log";
    static final LogFormat FORMAT = LogFormat.jsonLines(512 * 1024);
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule())
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false); // the frame's own checksum member
    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    /** A journey's status. */
    public enum Status {
        /** Recipients enter it. */
        ACTIVE,
        /** Nobody enters and no step moves until it is resumed. */
        PAUSED,
        /** Ended for good: nobody enters; running instances end. */
        ARCHIVED;

        /** @return the lower-case name the API uses */
        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One version of a journey.
     *
     * @param version    1, 2, …
     * @param createdAt  when it was stored
     * @param definition what it says
     */
    public record Version(int version, Instant createdAt, JourneyDefinition definition) {
    }

    /**
     * A journey.
     *
     * @param id        its id
     * @param status    its status
     * @param versions  every version, oldest first (the last is the current one)
     * @param updatedAt its last change
     */
    public record Journey(String id, Status status, List<Version> versions, Instant updatedAt) {
        /** @return the current version */
        public Version current() {
            return versions.get(versions.size() - 1);
        }
    }

    private final FramedLog log;
    private final Clock clock;
    private final Map<String, Journey> journeys = new LinkedHashMap<>();

    private JourneyStore(Path file, Clock clock) throws IOException {
        this.clock = clock;
        this.log = FramedLog.open(file, FORMAT, (data, at, p, n) -> {
            byte[] object = new byte[n + 1];
            data.get(p, object, 0, n);
            object[n] = '}';
            try {
                apply(JSON.readValue(object, Entry.class));
            } catch (IOException | IllegalArgumentException e) {
                throw new DamagedStoreException(file, at, "not a journey record: " + e.getMessage());
            }
        });
    }

    /** One line of the log: a definition ({@code define}) or a status change ({@code status}). */
    record Entry(String op, String id, Integer version, Instant at, String status, JourneyDefinition definition) {
    }

    /**
     * @param dir   {@code <data dir>/journeys} (made if absent)
     * @param clock the time of changes
     * @return the store, replayed
     * @throws IOException naming the file if it cannot be read or is damaged
     */
    public static JourneyStore open(Path dir, Clock clock) throws IOException {
        Files.createDirectories(dir);
        return new JourneyStore(dir.resolve(FILE), clock);
    }

    /** @return what a read-only check of the log finds (for {@code herald data check}) */
    public static VerifyResult verify(Path file) throws IOException {
        return FramedLog.verify(file, FORMAT, (data, at, p, n) -> {
            byte[] object = new byte[n + 1];
            data.get(p, object, 0, n);
            object[n] = '}';
            try {
                Entry e = JSON.readValue(object, Entry.class);
                if (e.op() == null || e.id() == null) {
                    throw new IllegalArgumentException("no op or id");
                }
            } catch (IOException | IllegalArgumentException e) {
                throw new DamagedStoreException(file, at, "not a journey record: " + e.getMessage());
            }
        });
    }

    private void apply(Entry e) {
        switch (e.op() == null ? "" : e.op()) {
            case "define" -> {
                Journey old = journeys.get(e.id());
                List<Version> versions = old == null ? new ArrayList<>() : new ArrayList<>(old.versions());
                if (e.version() == null || e.version() != versions.size() + 1 || e.definition() == null || e.at() == null) {
                    throw new IllegalArgumentException("journey " + e.id() + ": version " + e.version() + " out of order");
                }
                versions.add(new Version(e.version(), e.at(), e.definition()));
                journeys.put(e.id(), new Journey(e.id(), old == null ? Status.ACTIVE : old.status(), List.copyOf(versions),
                        e.at()));
            }
            case "status" -> {
                Journey old = journeys.get(e.id());
                if (old == null || e.status() == null || e.at() == null) {
                    throw new IllegalArgumentException("status of an unknown journey " + e.id());
                }
                journeys.put(e.id(), new Journey(e.id(), Status.valueOf(e.status().toUpperCase(java.util.Locale.ROOT)),
                        old.versions(), e.at()));
            }
            default -> throw new IllegalArgumentException("unknown op " + e.op());
        }
    }

    private void append(Entry e) throws IOException {
        byte[] line = JSON.writeValueAsBytes(e);
        log.append(line, true);
        apply(e);
    }

    /**
     * Stores a new journey, version 1, active.
     *
     * @param d a validated definition
     * @return the journey
     * @throws IOException if it cannot be made durable (nothing stored)
     */
    public synchronized Journey create(JourneyDefinition d) throws IOException {
        Instant now = clock.instant();
        String id;
        do {
            id = "j-" + ID_TIME.format(now) + "-" + String.format("%08x", ThreadLocalRandom.current().nextInt());
        } while (journeys.containsKey(id));
        append(new Entry("define", id, 1, now, null, d));
        return journeys.get(id);
    }

    /**
     * A journey created once under {@code id} (an id the caller derived from an idempotency key):
     * stored as version 1, active, unless a journey of that id already exists, which is returned
     * unchanged (a retried create finds what its first try made).
     *
     * @param id a journey id: {@code j-} and 1-62 characters of A-Z a-z 0-9 _ -
     * @param d  a validated definition
     * @return the journey, and whether this call stored it
     * @throws IllegalArgumentException if {@code id} is not a journey id
     * @throws IOException if it cannot be made durable (nothing stored)
     */
    public synchronized Created createOnce(String id, JourneyDefinition d) throws IOException {
        if (id == null || !id.matches("j-[A-Za-z0-9_-]{1,62}")) {
            throw new IllegalArgumentException("a journey id is j- and 1-62 characters of A-Z a-z 0-9 _ -, got "
                    + (id == null ? "nothing" : "'" + id + "'"));
        }
        Journey old = journeys.get(id);
        if (old != null) {
            return new Created(old, false);
        }
        append(new Entry("define", id, 1, clock.instant(), null, d));
        return new Created(journeys.get(id), true);
    }

    /**
     * What {@link #createOnce} did.
     *
     * @param journey the journey
     * @param fresh   whether this call stored it (false: it already existed)
     */
    public record Created(Journey journey, boolean fresh) {
    }

    /**
     * Stores a new version of a journey.
     *
     * @return the journey, its current version the new one
     * @throws IllegalStateException if it is archived
     * @throws java.util.NoSuchElementException if there is no such journey
     * @throws IOException if it cannot be made durable (nothing stored)
     */
    public synchronized Journey update(String id, JourneyDefinition d) throws IOException {
        Journey j = get(id).orElseThrow(() -> new java.util.NoSuchElementException("no journey '" + id + "'"));
        if (j.status() == Status.ARCHIVED) {
            throw new IllegalStateException("journey " + id + " is archived: it takes no new version");
        }
        append(new Entry("define", id, j.versions().size() + 1, clock.instant(), null, d));
        return journeys.get(id);
    }

    /**
     * Changes a journey's status: active ↔ paused, either → archived (for good).
     *
     * @return the journey
     * @throws IllegalStateException naming the status it is in, if the change is not allowed
     * @throws java.util.NoSuchElementException if there is no such journey
     * @throws IOException if it cannot be made durable (nothing changed)
     */
    public synchronized Journey status(String id, Status next) throws IOException {
        Journey j = get(id).orElseThrow(() -> new java.util.NoSuchElementException("no journey '" + id + "'"));
        boolean allowed = switch (next) {
            case PAUSED -> j.status() == Status.ACTIVE;
            case ACTIVE -> j.status() == Status.PAUSED;
            case ARCHIVED -> j.status() != Status.ARCHIVED;
        };
        if (!allowed) {
            throw new IllegalStateException("journey " + id + " is " + j.status().wire() + ": it cannot become "
                    + next.wire());
        }
        append(new Entry("status", id, null, clock.instant(), next.wire(), null));
        return journeys.get(id);
    }

    /** @return the journey, if stored */
    public synchronized Optional<Journey> get(String id) {
        return Optional.ofNullable(journeys.get(id));
    }

    /** @return every journey, oldest first */
    public synchronized List<Journey> list() {
        return List.copyOf(journeys.values());
    }

    /** @return the log's file */
    public Path file() {
        return log.file();
    }

    @Override
    public synchronized void close() throws IOException {
        log.close();
    }
}
