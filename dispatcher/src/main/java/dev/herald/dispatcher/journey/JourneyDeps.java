package dev.herald.dispatcher.journey;

import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.SuppressionIndex;
import dev.herald.throttle.ZoneIndex;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

/**
 * What the journey engine works with: the stores it reads, what sends a step, and its clock.
 *
 * @param dir         {@code <data dir>/journeys} (its instance logs go to {@code instances/}, step runs to {@code runs/})
 * @param journeys    the definitions
 * @param events      the events log
 * @param directory   the recipients (zones for local times, fields for date entries and branches)
 * @param zones       the recipients' zone buckets
 * @param suppression opt-outs: an opt-out of a marketing step's scopes ends an instance at once
 * @param segments    segment name → its members
 * @param engagement  delivered / clicked / converted of a send step's campaign
 * @param sender      runs a send step's batch through the campaign pipeline
 * @param clock       the engine's clock (a test moves it)
 */
public record JourneyDeps(Path dir, JourneyStore journeys, Events events, RecipientDirectory directory, ZoneIndex zones,
                          SuppressionIndex suppression, Segments segments, dev.herald.dispatcher.funnel.Engagement engagement, StepSender sender,
                          Clock clock) {

    /** Segment members by name. */
    @FunctionalInterface
    public interface Segments {
        /** @return the segment's members, empty if there is no such segment */
        Optional<ImmutableRoaringBitmap> members(String name) throws IOException;
    }


    /** Runs send steps' batches. */
    public interface StepSender {
        /**
         * Runs (or resumes, after a crash) one batch of a send step through suppression, quiet
         * hours, caps, claim, render, rate limit and connector, on its own outcome ledger.
         *
         * @param run the batch
         * @return completed when its stream ends: the outcome of every id settled so far, and when
         *     its deferred ids are due
         */
        CompletionStage<StepRun.Result> run(StepRun run);

        /** Removes a finished batch's ledger. */
        void remove(StepRun run) throws IOException;

        /**
         * Asks the run under way of journey {@code journeyId} numbered {@code seq} to stop handing
         * messages over (some of its instances ended); its stream then completes, what it had not
         * handed over is pending again in its ledger. Nothing if it is not running.
         */
        default void stop(String journeyId, long seq) {
        }
    }
}
