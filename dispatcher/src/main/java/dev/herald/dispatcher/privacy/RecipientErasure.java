package dev.herald.dispatcher.privacy;

import dev.herald.suppression.ConsentEvidence;
import dev.herald.suppression.ConsentRecord;
import dev.herald.suppression.ConsentSource;
import dev.herald.suppression.Erasure;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionIndex;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Erasing a person ({@code DELETE /v1/recipients/{phone}}, {@code herald directory erase PHONE}):
 * the order of the steps across the stores, in one place.
 *
 * <ol>
 *   <li>the recipient directory replaces the record by an erased marker and answers the id and
 *       the number's keyed hash (the id stays findable by the hash only);</li>
 *   <li>the consent ledger records the erasure (fsynced): the number as its hash, no text; its
 *       earlier records of the id lose number and words at the next compaction;</li>
 *   <li>the {@link PersonalDataEraser} records it in {@code privacy/erasures.log} and removes at
 *       once what it can; the rest of the person's messages, clicks, words and event properties
 *       go at the next compaction ({@link PersonalDataScrub}).</li>
 * </ol>
 *
 * <pre>{@code
 * Optional<RecipientErasure.Outcome> o = erasure.erase("+447400123456", key.id(), ConsentSource.API);
 * }</pre>
 *
 * <p>What stays: the id's suppressions (so a later upload of the number, which finds the same id
 * by its hash, is still suppressed) and the ledger's evidence of when and how it opted out.
 * A crash between the steps is finished by erasing again: every step is idempotent (the directory
 * answers the same id and hash for an erased number).
 *
 * <p>Thread-safety: as the stores; blocking (fsyncs, small rewrites): call it off the request threads.
 */
public final class RecipientErasure {

    private final RecipientDirectory directory;
    private final SuppressionIndex index;
    private final PersonalDataEraser eraser;
    private final Clock clock;

    /**
     * What an erasure did.
     *
     * @param recipientId the erased recipient's id (kept, with its suppressions)
     * @param phoneHash   the number's keyed hash as the ledger stores it ({@code hash:<16 hex>})
     * @param ledgerSeq   the consent ledger's sequence number of the erasure record
     * @param at          when
     * @param suppressed  the scopes the id stays suppressed in (a later upload of the number is too)
     * @param now         what was removed at once, besides the directory record, one line per store
     */
    public record Outcome(int recipientId, String phoneHash, long ledgerSeq, Instant at, List<String> suppressed,
                          List<String> now) {
    }

    /**
     * @param directory the recipient directory
     * @param index     the suppression index (its consent ledger)
     * @param eraser    the dispatcher's stores
     * @param clock     the time recorded
     */
    public RecipientErasure(RecipientDirectory directory, SuppressionIndex index, PersonalDataEraser eraser, Clock clock) {
        this.directory = Objects.requireNonNull(directory, "directory");
        this.index = Objects.requireNonNull(index, "index");
        this.eraser = Objects.requireNonNull(eraser, "eraser");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Erases the person with this number.
     *
     * @param phone  the number (E.164, or national with the directory's default region)
     * @param by     who asked: the API key's id, or {@code cli}
     * @param source how it was asked ({@link ConsentSource#API}, or {@link ConsentSource#OPERATOR} from the command line)
     * @return what was done, or empty if the directory does not know the number (nothing done)
     * @throws dev.herald.suppression.InvalidPhoneNumberException if the number is not valid
     * @throws IOException if the ledger or the erasure log cannot be written (erase again to finish)
     */
    public Optional<Outcome> erase(String phone, String by, ConsentSource source) throws IOException {
        directory.phoneNumbers().normalize(phone.strip()); // an invalid number is bad input, not "unknown"
        Optional<Erasure> erased = directory.erase(phone.strip());
        if (erased.isEmpty()) {
            return Optional.empty();
        }
        Erasure e = erased.get();
        Instant at = clock.instant();
        long seq = index.recordErasure(e.id(), e.phoneHash(), new ConsentEvidence(source, null, null, null, at, null));
        PersonalDataEraser.Result r = eraser.erase(e.id(), e.phoneHash(), at, by);
        List<String> scopes = index.snapshot().scopesOf(e.id()).stream().map(Scope::toString).sorted().toList();
        return Optional.of(new Outcome(e.id(), ConsentRecord.hashedPhone(e.phoneHash()), seq, at, scopes, r.now()));
    }
}
