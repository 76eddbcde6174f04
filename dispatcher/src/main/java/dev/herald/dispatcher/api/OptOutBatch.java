package dev.herald.dispatcher.api;

import dev.herald.suppression.ConsentChange;
import dev.herald.suppression.ConsentEvidence;
import dev.herald.suppression.ConsentRecord;
import dev.herald.suppression.ConsentSource;
import dev.herald.suppression.PhoneNumbers;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionIndex;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import org.roaringbitmap.RoaringBitmap;

/**
 * The opt-outs of one API request, written to the suppression index in groups: {@link #BATCH}
 * changes per {@link SuppressionIndex#applyAsync} call and at most {@link #IN_FLIGHT} groups
 * waiting for their fsync, so a large upload shares fsyncs and its memory stays bounded.
 *
 * <pre>{@code
 * OptOutBatch b = new OptOutBatch(index, directory, "line");
 * b.optOut(line, numbers.normalize(raw), scope, evidence);   // or b.reject(line, raw, reason)
 * Map<String, Object> answer = b.finish();                    // every opt-out is durable now
 * }</pre>
 *
 * <p>Numbers unknown to the directory are registered first (as {@code herald suppression add}
 * does), so an opt-out received before the number is imported still applies.
 *
 * <p>Not thread-safe: one per request, used by one thread.
 */
final class OptOutBatch {
    /** Changes per index call. */
    static final int BATCH = 10_000;
    /** Groups waiting for their fsync at once. */
    static final int IN_FLIGHT = 4;
    /** Errors listed in the answer; the rest are only counted. */
    static final int MAX_ERRORS = 100;

    private final SuppressionIndex index;
    private final RecipientDirectory directory;
    private final String positionName;
    /** Ids opted out by this request so far, per scope: "already suppressed" is exact within a request. */
    private final Map<Scope, RoaringBitmap> seen = new HashMap<>();
    private final ArrayDeque<CompletableFuture<List<ConsentRecord>>> inFlight = new ArrayDeque<>();
    private final List<Map<String, Object>> errors = new ArrayList<>();
    private List<ConsentChange> pending = new ArrayList<>();
    private long suppressed;
    private long already;
    private long rejected;

    /**
     * @param positionName how errors name the position of a phone: {@code index} (JSON array)
     *                     or {@code line} (CSV)
     */
    OptOutBatch(SuppressionIndex index, RecipientDirectory directory, String positionName) {
        this.index = index;
        this.directory = directory;
        this.positionName = positionName;
    }

    /** The evidence of a change made through the API: source {@code api}, the reason (if any) as its text. */
    static ConsentEvidence evidence(String reason) {
        return ConsentEvidence.of(ConsentSource.API).rawText(reason == null || reason.isBlank() ? null : reason);
    }

    /** Counts and lists (up to {@link #MAX_ERRORS}) a refused phone; {@code phone} is masked in the answer. */
    void reject(long position, String phone, String reason) {
        rejected++;
        if (errors.size() < MAX_ERRORS) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put(positionName, position);
            e.put("phone", PhoneMask.mask(phone));
            e.put("reason", reason);
            errors.add(e);
        }
    }

    /**
     * Registers the number if it is new and queues its opt-out; writes a group when it is full.
     *
     * @throws UncheckedIOException if an earlier group could not be made durable
     */
    void optOut(PhoneNumbers.Normalized number, Scope scope, ConsentEvidence evidence) {
        OptionalInt known = directory.idOfKey(number.key());
        int id = known.isPresent() ? known.getAsInt() : directory.register(number.e164(), null, null, Map.of()).id();
        RoaringBitmap mine = seen.computeIfAbsent(scope, s -> new RoaringBitmap());
        if (!mine.checkedAdd(id)) {
            already++; // the same number twice in one request: one change is enough
            return;
        }
        if (index.snapshot().isSuppressed(id, scope)) {
            already++; // still written: the ledger keeps every opt-out the recipient made
        } else {
            suppressed++;
        }
        pending.add(ConsentChange.optOut(id, number.e164(), scope, evidence));
        if (pending.size() >= BATCH) {
            flush();
        }
    }

    private void flush() {
        if (pending.isEmpty()) {
            return;
        }
        inFlight.add(index.applyAsync(pending));
        pending = new ArrayList<>();
        while (inFlight.size() > IN_FLIGHT) {
            await(inFlight.poll());
        }
    }

    private static void await(CompletableFuture<List<ConsentRecord>> f) {
        try {
            f.join();
        } catch (CompletionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw new UncheckedIOException("suppression changes could not be made durable: " + io.getMessage(), io);
            }
            throw e;
        }
    }

    /** @return the number of phones accepted so far (new or already suppressed) */
    long accepted() {
        return suppressed + already;
    }

    long rejected() {
        return rejected;
    }

    /** The first listed errors, for a message. */
    List<Map<String, Object>> errors() {
        return errors;
    }

    /**
     * Writes what is queued and waits until every opt-out of the request is durable.
     *
     * @return the answer body {@code {"suppressed", "alreadySuppressed", "rejected", "errors"}}
     * @throws UncheckedIOException if a group could not be made durable
     */
    Map<String, Object> finish() {
        flush();
        while (!inFlight.isEmpty()) {
            await(inFlight.poll());
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("suppressed", suppressed);
        body.put("alreadySuppressed", already);
        body.put("rejected", rejected);
        body.put("errors", errors);
        return body;
    }

    /**
     * Waits for the groups already handed to the index, without writing more: used when the
     * request fails half-way, so that no write is still running when the error is answered.
     */
    void abandon() {
        pending = new ArrayList<>();
        while (!inFlight.isEmpty()) {
            try {
                inFlight.poll().join();
            } catch (CompletionException ignored) {
                // the request fails anyway; the first failure is the one reported
            }
        }
    }

    /** @return true if no phone was accepted (nothing queued or written) */
    boolean isEmpty() {
        return accepted() == 0;
    }
}
