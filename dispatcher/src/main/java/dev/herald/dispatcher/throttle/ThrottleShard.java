package dev.herald.dispatcher.throttle;

import dev.herald.throttle.CapContext;
import dev.herald.throttle.ReservationBatch;
import dev.herald.throttle.SendLedger;

import java.time.Instant;
import java.util.Objects;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.pattern.StatusReply;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

/**
 * The single writer of the frequency-cap decisions for the recipient ids {@code [from, to)}:
 * every check-and-reserve, confirm and release of those ids goes through this actor, one chunk
 * per message, so two campaigns running at once are serialised per recipient and can never push
 * one over a cap (DESIGN.md invariant 3).
 *
 * <pre>{@code
 * ActorRef<ThrottleShard.Command> shard = ctx.spawn(ThrottleShard.create(ledger, 0, 1L << 20), "throttle-shard-0");
 * shard.tell(new ThrottleShard.Reserve(chunk, capContext, Instant.now(), replyTo)); // StatusReply<Reserved>
 * }</pre>
 *
 * <p><b>Protocol.</b> Every command is answered with a {@link StatusReply}: success carries
 * {@link Reserved} (for {@link Reserve}) or {@link Updated} (for {@link Confirm} and
 * {@link Release}); an error carries the exception. Confirm and release are acknowledged so that
 * a caller that must know (the outcome ledger) can wait; a caller that need not may ignore the
 * answer. Use {@code AskPattern.askWithStatus}, or {@link ThrottleShards}, which does.
 *
 * <p><b>Bad input and failures.</b> Ids outside the shard's range are refused with an
 * {@link IllegalArgumentException} naming the range; nothing is reserved. A failure of the ledger
 * (an unreadable segment, a closed ledger, a bad stamp) is logged and answered with the
 * exception, and the shard goes on with the next message: its only state is the ledger, whose
 * per-recipient decisions are atomic, so there is nothing to repair. A failure in the middle of
 * a chunk (the ledger closed under it) can leave part of the chunk reserved without the caller
 * knowing: that errs on the side of the cap, never over it, and the reservations leave the
 * window like any send. Anything that still escapes a handler restarts the actor (logged),
 * never stops it: a stopped shard would turn every later campaign's asks into timeouts.
 *
 * <p><b>Thread-safety.</b> An actor: its messages are processed one at a time. The ledger is
 * shared with the other shards; the invariant "single writer per recipient" holds as long as
 * every shard of a ledger owns a disjoint range, which {@link ThrottleShards} guarantees.
 */
public final class ThrottleShard extends AbstractBehavior<ThrottleShard.Command> {

    /** A message to a shard. */
    public sealed interface Command permits Reserve, Confirm, Release, Stop {
    }

    /** Stops the shard after the messages before it; the ledger stays open (its owner closes it). */
    public enum Stop implements Command { INSTANCE }

    /**
     * Check-and-reserve for a chunk of recipients, all in the shard's range and in {@code ctx}'s zone.
     *
     * @param ids     recipient ids, within {@code [from, to)} of the shard; read-only while in flight
     * @param ctx     the send
     * @param now     the send instant (the ledger truncates it to the second)
     * @param replyTo gets {@link Reserved}, or an error naming what was wrong
     * @throws NullPointerException if a field is null
     */
    public record Reserve(ImmutableRoaringBitmap ids, CapContext ctx, Instant now,
                          ActorRef<StatusReply<Reserved>> replyTo) implements Command {
        public Reserve {
            Objects.requireNonNull(ids, "ids");
            Objects.requireNonNull(ctx, "ctx");
            Objects.requireNonNull(now, "now");
            Objects.requireNonNull(replyTo, "replyTo");
        }
    }

    /**
     * Marks reservations handed over to the connector (they keep counting).
     *
     * @param ids     recipients of the shard's range reserved with {@code stamp}
     * @param stamp   {@link ReservationBatch#stamp()}
     * @param replyTo gets {@link Updated} with how many reservations were confirmed, or an error
     * @throws NullPointerException if a field is null
     */
    public record Confirm(ImmutableRoaringBitmap ids, long stamp, ActorRef<StatusReply<Updated>> replyTo) implements Command {
        public Confirm {
            Objects.requireNonNull(ids, "ids");
            Objects.requireNonNull(replyTo, "replyTo");
        }
    }

    /**
     * Forgets reservations whose send failed before the connector accepted it.
     *
     * @param ids     recipients of the shard's range reserved with {@code stamp}
     * @param stamp   {@link ReservationBatch#stamp()}
     * @param replyTo gets {@link Updated} with how many reservations were released, or an error
     * @throws NullPointerException if a field is null
     */
    public record Release(ImmutableRoaringBitmap ids, long stamp, ActorRef<StatusReply<Updated>> replyTo) implements Command {
        public Release {
            Objects.requireNonNull(ids, "ids");
            Objects.requireNonNull(replyTo, "replyTo");
        }
    }

    /**
     * The answer to {@link Reserve}.
     *
     * @param batch every id of the chunk as reserved, capped per rule or deferred; the receiver owns it
     */
    public record Reserved(ReservationBatch batch) {
    }

    /**
     * The answer to {@link Confirm} or {@link Release}.
     *
     * @param found how many of the ids held a reservation with the stamp (still reserved, for a release)
     */
    public record Updated(int found) {
    }

    private final SendLedger ledger;
    private final long from;
    private final long to;

    private ThrottleShard(ActorContext<Command> context, SendLedger ledger, long from, long to) {
        super(context);
        this.ledger = ledger;
        this.from = from;
        this.to = to;
    }

    /**
     * @param ledger the ledger shared by all shards; the caller owns it and closes it after the shards stop
     * @param from   first id of the range, ≥ 0
     * @param to     end of the range (exclusive), in {@code (from, 2^31]}
     * @return the shard's behaviour, supervised to restart (logged) on an unexpected failure
     * @throws IllegalArgumentException if the range is empty or outside {@code [0, 2^31]}
     * @throws NullPointerException     if {@code ledger} is null
     */
    public static Behavior<Command> create(SendLedger ledger, long from, long to) {
        Objects.requireNonNull(ledger, "ledger");
        if (from < 0 || to <= from || to > 1L << 31) {
            throw new IllegalArgumentException("throttle shard range must be non-empty within [0, 2^31], got [" + from + ", " + to + ")");
        }
        Behavior<Command> shard = Behaviors.setup(ctx -> new ThrottleShard(ctx, ledger, from, to));
        return Behaviors.supervise(shard).onFailure(Exception.class, SupervisorStrategy.restart().withLoggingEnabled(true));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Reserve.class, this::onReserve)
                .onMessage(Confirm.class, this::onConfirm)
                .onMessage(Release.class, this::onRelease)
                .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
                .build();
    }

    private Behavior<Command> onReserve(Reserve m) {
        StatusReply<Reserved> reply;
        String outside = outsideRange(m.ids());
        if (outside != null) {
            reply = StatusReply.error(new IllegalArgumentException(outside));
        } else {
            try {
                reply = StatusReply.success(new Reserved(ledger.reserve(m.ids(), m.ctx(), m.now())));
            } catch (RuntimeException e) {
                reply = StatusReply.error(failed("reserve", m.ids(), e));
            }
        }
        m.replyTo().tell(reply);
        return this;
    }

    private Behavior<Command> onConfirm(Confirm m) {
        m.replyTo().tell(update("confirm", m.ids(), m.stamp(), true));
        return this;
    }

    private Behavior<Command> onRelease(Release m) {
        m.replyTo().tell(update("release", m.ids(), m.stamp(), false));
        return this;
    }

    private StatusReply<Updated> update(String what, ImmutableRoaringBitmap ids, long stamp, boolean confirm) {
        String outside = outsideRange(ids);
        if (outside != null) {
            return StatusReply.error(new IllegalArgumentException(outside));
        }
        try {
            return StatusReply.success(new Updated(confirm ? ledger.confirm(ids, stamp) : ledger.release(ids, stamp)));
        } catch (RuntimeException e) {
            return StatusReply.error(failed(what, ids, e));
        }
    }

    /** @return why {@code ids} do not belong to this shard, or null if they all do */
    private String outsideRange(ImmutableRoaringBitmap ids) {
        if (ids.isEmpty()) {
            return null;
        }
        long first = Integer.toUnsignedLong(ids.first());
        long last = Integer.toUnsignedLong(ids.last());
        if (first >= from && last < to) {
            return null;
        }
        return "throttle shard [" + from + ", " + to + ") got ids outside its range (first " + first + ", last " + last + ")";
    }

    private RuntimeException failed(String what, ImmutableRoaringBitmap ids, RuntimeException e) {
        getContext().getLog().warn("throttle shard [{}, {}): {} of {} ids failed; shard goes on", from, to, what,
                ids.getLongCardinality(), e);
        return e;
    }
}
