package dev.herald.dispatcher.journey;

import dev.herald.dispatcher.journey.JourneyEngine.Open;
import dev.herald.dispatcher.journey.JourneyLog.Rec;
import dev.herald.dispatcher.journey.JourneyStore.Journey;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.roaringbitmap.buffer.MutableRoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journeys the engine runs, each with its plans, state and open instance log: opened (and
 * replayed) when first seen, followed to new versions and statuses, written to, compacted, and
 * stopped until a restart when their log is damaged or cannot be written — one journey at a time,
 * the others go on.
 *
 * <p>Not thread-safe: used by the {@link JourneyEngine}'s owner.
 */
final class OpenJourneys {

    private static final Logger LOG = LoggerFactory.getLogger(OpenJourneys.class);

    private final JourneyDeps deps;
    /** journey id → the journey, in the store's order. */
    final Map<String, Open> open = new LinkedHashMap<>();
    /** journey id → why it is not run. */
    final Map<String, String> broken = new LinkedHashMap<>();
    private Exception failure;

    OpenJourneys(JourneyDeps deps) {
        this.deps = deps;
    }

    /** Picks up journeys created, changed (new versions, status) since. */
    void refresh(long seenEnd) {
        for (Journey j : deps.journeys().list()) {
            if (broken.containsKey(j.id())) {
                continue;
            }
            Open o = open.get(j.id());
            if (o != null && o.journey.equals(j)) {
                continue;
            }
            Map<Integer, JourneyPlan> plans = new HashMap<>();
            for (JourneyStore.Version v : j.versions()) {
                plans.put(v.version(), JourneyPlan.of(j.id(), v.version(), v.definition()));
            }
            java.util.function.IntFunction<JourneyPlan> byVersion = v -> {
                JourneyPlan p = plans.get(v);
                if (p == null) {
                    throw new IllegalStateException("journey " + j.id() + " has no version " + v);
                }
                return p;
            };
            if (o != null) {
                o.state.plans = byVersion;
                Open updated = new Open(j, plans, o.state, o.log);
                updated.segmentCheckedAt = o.segmentCheckedAt;
                updated.compactAt = o.compactAt;
                updated.optOutSeq = o.optOutSeq;
                open.put(j.id(), updated);
                continue;
            }
            JourneyState state = new JourneyState(j.id(), byVersion);
            try {
                boolean fresh = !Files.exists(logFile(j.id()));
                JourneyLog log = JourneyLog.open(logFile(j.id()), state::apply);
                Open added = new Open(j, plans, state, log);
                added.compactAt = Math.max(compactMin, COMPACT_GROWTH * log.size());
                if (fresh && seenEnd > 0) {
                    // a new journey reads the events stored since the engine last looked (and, of those,
                    // only the ones stored after it was created enter it), not the whole log
                    Rec.Cursor c = new Rec.Cursor(deps.clock().millis(), seenEnd);
                    state.apply(c);
                    log.append(List.of(c));
                }
                open.put(j.id(), added);
            } catch (IOException | RuntimeException ex) {
                LOG.error("journey {} is not run: its instance log cannot be read: {}", j.id(), ex.getMessage());
                broken.put(j.id(), "its instance log cannot be read: " + relative(String.valueOf(ex.getMessage())));
            }
        }
    }

    /** @return {@code message} with files named relative to the data directory (API answers show no server paths) */
    String relative(String message) {
        Path data = deps.dir().toAbsolutePath().getParent();
        return data == null ? message : message.replace(data + java.io.File.separator, "");
    }

    /**
     * Removes the ledgers of runs the logs say are done (a crash between a run's {@code RunDone} and
     * the removal of its ledger left them): a run directory whose number is below its journey's next
     * run and which the journey does not hold.
     */
    void removeFinishedRuns() {
        Path runs = deps.dir().resolve(JourneyEngine.RUNS);
        for (Open o : open.values()) {
            Path dir = runs.resolve(o.journey.id());
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (java.nio.file.DirectoryStream<Path> kids = Files.newDirectoryStream(dir)) {
                for (Path k : kids) {
                    long seq;
                    try {
                        seq = Long.parseLong(k.getFileName().toString());
                    } catch (NumberFormatException ex) {
                        continue;
                    }
                    if (seq < o.state.nextRun && !o.state.runs.containsKey(seq)) {
                        JourneyPlan any = o.plans.values().iterator().next();
                        deps.sender().remove(new StepRun(o.journey.id(), seq, any, 0, new MutableRoaringBitmap(),
                                new MutableRoaringBitmap(), k));
                        LOG.info("journey {}: removed the ledger of finished run {}", o.journey.id(), seq);
                    }
                }
            } catch (IOException | RuntimeException ex) {
                LOG.warn("journey {}: finished runs' ledgers could not be removed: {}", o.journey.id(), ex.toString());
            }
        }
    }

    Path logFile(String journeyId) {
        return deps.dir().resolve(JourneyEngine.INSTANCES).resolve(journeyId + ".log");
    }

    /** A log is compacted when it is this many times the size it had after its last compaction (or opening)... */
    static final int COMPACT_GROWTH = 4;
    /** ...and at least this big. */
    static final long COMPACT_MIN = 64L << 20;
    private long compactMin = COMPACT_MIN;

    /** For tests: compact logs from {@code bytes} on. */
    void compactFrom(long bytes) {
        compactMin = bytes;
        open.values().forEach(o -> o.compactAt = Math.min(o.compactAt, bytes));
    }

    /**
     * Rewrites a journey's log as one image of its state (the log otherwise grows with every change
     * for as long as the journey lives): written beside it, fsynced, renamed over it.
     */
    void compact(Open o) throws IOException {
        long now = deps.clock().millis();
        Path file = o.log.file();
        o.log.close();
        long size;
        try {
            size = JourneyLog.compact(file, now, o.state::image);
        } finally {
            o.log = JourneyLog.open(file, r -> { });
        }
        o.compactAt = Math.max(compactMin, COMPACT_GROWTH * size);
        LOG.info("journey {}: instance log compacted to {} bytes ({} waiting)", o.journey.id(), size, o.state.waiting());
    }

    /**
     * Appends a journey's changes. If that fails the journey stops (its state is ahead of its log)
     * until a restart — the others go on; the failure is kept in {@code failures}.
     *
     * @return whether they were written
     */
    boolean write(Open o, List<Rec> records) {
        if (open.get(o.journey.id()) != o) {
            return false; // stopped meanwhile
        }
        try {
            o.log.append(records);
        } catch (IOException | RuntimeException e) {
            stop(o, "its instance log could not be written: " + e.getMessage(), e);
            return false;
        }
        if (!records.isEmpty()) {
            try {
                if (o.log.size() > o.compactAt) {
                    compact(o);
                }
            } catch (IOException | RuntimeException e) {
                // the log is whole (the image went to a file beside it): try again when it has doubled
                o.compactAt *= 2;
                LOG.warn("journey {}: compacting its instance log failed, it goes on growing: {}", o.journey.id(), e.toString());
            }
        }
        return true;
    }

    /** Stops running a journey until a restart (which replays its log): reported as broken with {@code why}. */
    void stop(Open o, String why, Exception cause) {
        LOG.error("journey {} stops until a restart: {}", o.journey.id(), why);
        broken.put(o.journey.id(), relative(why));
        open.remove(o.journey.id());
        try {
            o.log.close();
        } catch (IOException ignored) {
            // already failing
        }
        if (failure == null) {
            failure = cause;
        }
    }

    /**
     * @return what made a journey stop since the last time this was asked (that journey is in
     *     {@link #broken}; the others went on), and forgets it
     */
    Optional<Exception> takeFailure() {
        Optional<Exception> f = Optional.ofNullable(failure);
        failure = null;
        return f;
    }
}
