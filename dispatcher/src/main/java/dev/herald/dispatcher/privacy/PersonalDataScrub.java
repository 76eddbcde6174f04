package dev.herald.dispatcher.privacy;

import dev.herald.dispatcher.inbound.ReviewQueue;
import dev.herald.dispatcher.journey.Events;
import dev.herald.dispatcher.links.ClickLedger;
import dev.herald.dispatcher.message.MessageLog;
import dev.herald.dispatcher.store.LogRewrite;
import dev.herald.dispatcher.unsubscribe.Preferences;
import dev.herald.dispatcher.unsubscribe.ReasonLog;
import dev.herald.suppression.DataCipher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.IntPredicate;
import java.util.stream.Stream;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

/**
 * The part of an erasure that rewrites files: every log of the data directory that holds erased
 * recipients' records is rewritten without them (or without their personal values), run by
 * {@code herald suppression compact} for every id of {@link Erasures}. Idempotent: a file that
 * holds nothing of them is not written, so running it again costs a read of each log.
 *
 * <pre>{@code
 * try (Erasures e = Erasures.open(dataDir)) {
 *     PersonalDataScrub.Report r = PersonalDataScrub.run(dataDir, e.erasedIds(), directory.cipher(MessageLog.PURPOSE));
 *     r.problems().forEach(System.err::println);      // damaged files, named; scrubbed next time
 * }
 * }</pre>
 *
 * <p>What it rewrites, found by name anywhere under the data directory (campaigns and journey step
 * runs alike) except the recipient directory and the suppression index, which keep their own:
 * <ul>
 *   <li>{@code messages.log}: the erased recipients' messages (their fields; their texts are rebuilt from them) are dropped;
 *       a sealed group that holds one of theirs is opened and the others' messages sealed anew (so a
 *       log written with a master key needs the directory's cipher: without it, it is named in the problems);
 *   <li>{@code clicks.log}: their clicks (times, user agents, address hashes) are dropped — click counts drop by them;
 *   <li>{@code unsubscribe/reasons.jsonl}: their number and free text become null, the reason is kept (counts unchanged;
 *       sealed values need no key: they are replaced, not read);
 *   <li>{@code unsubscribe/preferences.log}: their lines are dropped;
 *   <li>{@code inbound/review-queue.log}: their number and words become null, the item and its decision are kept;
 *   <li>{@code journeys/events.log}: their events' properties are blanked in place (same length, so the
 *       offsets the RFM follower and the journeys keep stay valid).
 * </ul>
 * Each file is rewritten atomically ({@link LogRewrite}); files an interrupted rewrite left aside are
 * deleted. A damaged file is left as it is and named in {@link Report#problems()}; the others are
 * scrubbed, and the next run tries it again.
 *
 * <p>Run it only while no process serves the data directory (the compaction holds its lock).
 * Stateless.
 */
public final class PersonalDataScrub {

    /** Directories (relative to the data directory) whose stores keep their own erasure. */
    private static final Set<String> SKIPPED = Set.of("directory", "suppression", "send-ledger", "bench-work");

    /**
     * @param files    logs read
     * @param written  logs rewritten
     * @param dropped  records dropped
     * @param changed  records rewritten without the personal values
     * @param leftover aside files of interrupted rewrites deleted
     * @param problems one line per file that could not be scrubbed: its path and what is wrong
     */
    public record Report(int files, int written, long dropped, long changed, int leftover, List<String> problems) {
    }

    private PersonalDataScrub() {
    }

    /** One kind of log: how to scrub a file of it. */
    @FunctionalInterface
    private interface Scrubber {
        LogRewrite.Result scrub(Path file, IntPredicate erased) throws IOException;
    }

    /**
     * Scrubs every log of a data directory without a master key: see {@link #run(Path, ImmutableRoaringBitmap, DataCipher)}.
     *
     * @throws IOException if the data directory cannot be listed
     */
    public static Report run(Path dataDir, ImmutableRoaringBitmap erased) throws IOException {
        return run(dataDir, erased, null);
    }

    /**
     * Scrubs every log of {@code dataDir} of the recipients in {@code erased}.
     *
     * @param messages the recipient directory's cipher for {@link MessageLog#PURPOSE} (opens and reseals the
     *                 message logs' sealed groups), or null for none
     * @throws IOException if the data directory cannot be listed
     */
    public static Report run(Path dataDir, ImmutableRoaringBitmap erased, DataCipher messages) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dataDir)) {
            files = walk.filter(p -> !skipped(dataDir, p) && Files.isRegularFile(p)).sorted().toList();
        }
        int read = 0;
        int written = 0;
        long dropped = 0;
        long changed = 0;
        int leftover = 0;
        List<String> problems = new ArrayList<>();
        IntPredicate isErased = erased::contains;
        for (Path f : files) { // first: what rewrites interrupted by a crash left aside
            if (f.getFileName().toString().endsWith(LogRewrite.TMP_SUFFIX) && Files.deleteIfExists(f)) {
                leftover++;
            }
        }
        for (Path f : files) {
            Scrubber s = scrubberFor(dataDir, f, messages);
            if (s == null || erased.isEmpty()) {
                continue;
            }
            read++;
            try {
                LogRewrite.Result r = s.scrub(f, isErased);
                if (r.rewritten()) {
                    written++;
                    dropped += r.dropped();
                    changed += r.changed();
                }
            } catch (IOException | RuntimeException e) {
                problems.add(dataDir.relativize(f) + ": not scrubbed (" + e.getMessage() + ")");
            }
        }
        return new Report(read, written, dropped, changed, leftover, List.copyOf(problems));
    }

    private static boolean skipped(Path dataDir, Path p) {
        Path rel = dataDir.relativize(p);
        return rel.getNameCount() > 0 && SKIPPED.contains(rel.getName(0).toString());
    }

    private static Scrubber scrubberFor(Path dataDir, Path f, DataCipher messages) {
        String name = f.getFileName().toString();
        Path rel = dataDir.relativize(f);
        if (name.equals(MessageLog.FILE)) {
            return (file, erased) -> MessageLog.scrub(file, erased, messages);
        }
        if (name.equals(ClickLedger.FILE)) {
            return ClickLedger::scrub;
        }
        if (rel.equals(Path.of("unsubscribe", "reasons.jsonl"))) {
            return ReasonLog::scrub;
        }
        if (rel.equals(Path.of("unsubscribe", "preferences.log"))) {
            return Preferences::scrub;
        }
        if (rel.equals(Path.of("inbound", ReviewQueue.FILE))) {
            return ReviewQueue::scrub;
        }
        if (rel.equals(Path.of(Events.DIR, Events.FILE))) {
            return Events::scrub;
        }
        return null;
    }
}
