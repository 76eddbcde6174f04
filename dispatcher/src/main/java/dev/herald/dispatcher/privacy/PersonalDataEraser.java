package dev.herald.dispatcher.privacy;

import dev.herald.dispatcher.funnel.TouchStore;
import dev.herald.dispatcher.inbound.ReviewQueue;
import dev.herald.dispatcher.unsubscribe.Preferences;
import dev.herald.dispatcher.unsubscribe.ReasonLog;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The dispatcher's side of erasing a person ({@code DELETE /v1/recipients/{phone}},
 * {@code herald directory erase PHONE}), called after the recipient directory erased the record
 * and answered its id and the number's keyed hash.
 *
 * <pre>{@code
 * RecipientDirectory.Erased e = directory.erase(phone);                      // id + keyed hash
 * PersonalDataEraser.Result r = eraser.erase(e.id(), e.phoneHash(), phone, Instant.now(), keyId);
 * }</pre>
 *
 * <p><b>Now.</b> The erasure is recorded first ({@link Erasures}, fsynced), so whatever follows is
 * finished by the next compaction even after a crash. Then what is cheap goes at once: the
 * recipient's touches (last delivery and click, {@code funnel/touches.dat}), their frequency
 * preference, the number and words of their replies held for review (memory and file) and the
 * number and free text of their unsubscribe reasons (file). <b>At the next compaction</b>
 * ({@code herald suppression compact}, {@link PersonalDataScrub}) the campaigns' message logs,
 * click logs, the preferences log and the events' properties are rewritten without them.
 *
 * <p>Every store is optional (null: not held by this caller, e.g. a command that opens only some).
 * Thread-safety: as the stores it is given; an erasure of the same id twice is harmless.
 */
public final class PersonalDataEraser {

    private final Erasures erasures;
    private final TouchStore touches;
    private final Preferences preferences;
    private final ReviewQueue reviewQueue;
    private final ReasonLog reasons;

    /**
     * What {@link #erase} did now.
     *
     * @param erasure what was recorded
     * @param now     what was removed at once, one line per store (e.g. {@code "funnel/touches.dat: entry removed"})
     */
    public record Result(Erasures.Erasure erasure, List<String> now) {
    }

    /**
     * @param erasures    the erasure log (required)
     * @param touches     the touches, or null
     * @param preferences the frequency preferences, or null
     * @param reviewQueue the review queue, or null
     * @param reasons     the unsubscribe reasons, or null
     */
    public PersonalDataEraser(Erasures erasures, TouchStore touches, Preferences preferences, ReviewQueue reviewQueue,
                              ReasonLog reasons) {
        this.erasures = Objects.requireNonNull(erasures, "erasures");
        this.touches = touches;
        this.preferences = preferences;
        this.reviewQueue = reviewQueue;
        this.reasons = reasons;
    }

    /**
     * Records the erasure of {@code id} and removes at once what can be (see the class comment).
     *
     * @param id        the recipient id the directory answered
     * @param phoneHash the keyed hash of the number the directory answered
     * @param at        when
     * @param by        the API key's id, or {@code cli}
     * @throws IllegalArgumentException if the id is negative or {@code by} malformed (nothing recorded)
     * @throws IOException if the erasure cannot be recorded (nothing done), or a store cannot be
     *     changed (the erasure is recorded: the next compaction finishes it)
     */
    public Result erase(int id, long phoneHash, Instant at, String by) throws IOException {
        Erasures.Erasure e = erasures.record(id, phoneHash, at, by);
        return new Result(e, eraseNow(id));
    }

    /**
     * Removes at once what can be removed of {@code id} (without recording: for an erasure recorded
     * before, e.g. again after a failure).
     *
     * @return one line per store changed
     * @throws IOException if a store cannot be changed
     */
    public List<String> eraseNow(int id) throws IOException {
        if (id < 0) {
            throw new IllegalArgumentException("recipient id must be >= 0, got " + id);
        }
        List<String> done = new ArrayList<>();
        if (touches != null && touches.forget(id)) {
            done.add(Path.of(TouchStore.DIR, TouchStore.FILE) + ": entry removed");
        }
        if (preferences != null && preferences.frequency(id) != dev.herald.dispatcher.unsubscribe.Frequency.AS_SENT) {
            preferences.erase(id);
            done.add("unsubscribe/preferences.log: preference reset (its lines go at the next compaction)");
        }
        if (reviewQueue != null) {
            long held = reviewQueue.erase(id);
            if (held > 0) {
                done.add("inbound/" + ReviewQueue.FILE + ": number and words of " + held + " held repl"
                        + (held == 1 ? "y" : "ies") + " erased");
            }
        }
        if (reasons != null) {
            long given = reasons.erase(id);
            if (given > 0) {
                done.add("unsubscribe/reasons.jsonl: number and free text of " + given + " reason(s) erased");
            }
        }
        return List.copyOf(done);
    }
}
