package dev.herald.dispatcher.journey;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The actor that owns the {@link JourneyEngine}: it applies stored events when told, ticks on a
 * timer (due steps, entries, opt-outs), starts the send steps' runs and takes their results, and
 * answers reports — one message at a time, so the engine's state has a single writer.
 *
 * <pre>{@code
 * ActorRef<JourneyRunner.Command> journeys = ctx.spawn(JourneyRunner.create(engine, Duration.ofSeconds(1)), "journeys",
 *         BlockingIo.props());
 * journeys.tell(JourneyRunner.EventsStored.INSTANCE);   // after POST /v1/events stored a batch
 * }</pre>
 */
public final class JourneyRunner {

    /** What the runner takes. */
    public sealed interface Command {
    }

    /** Events were stored: apply them. */
    public enum EventsStored implements Command { INSTANCE }

    /** Time to look at what is due. */
    enum Tick implements Command { INSTANCE }

    /** A run's stream ended (result null if it failed). */
    record RunEnded(StepRun run, StepRun.Result result, Throwable error) implements Command {
    }

    /**
     * Applies events, ticks, and waits until no run is under way and a tick starts none: a test's
     * way to let a moved clock take effect. Answers what failed on the way, if anything.
     */
    public record Settle(ActorRef<Optional<String>> replyTo) implements Command {
    }

    /** Asks something of the engine, on the runner's thread. */
    public record Ask<T>(Function<JourneyEngine, T> question, ActorRef<Answer<T>> replyTo) implements Command {
    }

    /** An answer: the value, or what went wrong. */
    public record Answer<T>(T value, RuntimeException failure) {
    }

    private static final Object TIMER = "tick";

    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private final JourneyEngine engine;
    private final Duration every;
    private final List<ActorRef<Optional<String>>> settling = new ArrayList<>();
    private String lastError;

    private JourneyRunner(ActorContext<Command> ctx, TimerScheduler<Command> timers, JourneyEngine engine, Duration every) {
        this.ctx = ctx;
        this.timers = timers;
        this.engine = engine;
        this.every = every;
    }

    /**
     * @param engine the engine, opened; closed when the actor stops
     * @param every  how often it ticks (a test gives a long period and {@link Settle}s by hand)
     */
    public static Behavior<Command> create(JourneyEngine engine, Duration every) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(TIMER, Tick.INSTANCE, every);
            return new JourneyRunner(ctx, timers, engine, every).behavior();
        }));
    }

    private Behavior<Command> behavior() {
        return Behaviors.receive(Command.class)
                .onMessageEquals(EventsStored.INSTANCE, () -> {
                    events();
                    return Behaviors.same();
                })
                .onMessageEquals(Tick.INSTANCE, () -> {
                    events();
                    tick();
                    return Behaviors.same();
                })
                .onMessage(RunEnded.class, this::ended)
                .onMessage(Settle.class, s -> {
                    settling.add(s.replyTo());
                    lastError = null;
                    events();
                    tick();
                    settleIfIdle();
                    return Behaviors.same();
                })
                .onMessage(Ask.class, this::ask)
                .onSignal(PostStop.class, s -> {
                    try {
                        engine.close();
                    } catch (IOException e) {
                        ctx.getLog().warn("journeys: closing the engine failed: {}", e.toString());
                    }
                    return Behaviors.same();
                })
                .build();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private Behavior<Command> ask(Ask a) {
        try {
            a.replyTo().tell(new Answer<>(a.question().apply(engine), null));
        } catch (RuntimeException e) {
            a.replyTo().tell(new Answer<>(null, e));
        }
        return Behaviors.same();
    }

    private void events() {
        try {
            engine.events();
        } catch (IOException | RuntimeException e) {
            failed("applying events", e);
        }
        engine.takeFailure().ifPresent(e -> failed("applying events (a journey stopped)", e));
    }

    private void tick() {
        List<StepRun> runs;
        try {
            runs = engine.tick();
        } catch (IOException | RuntimeException e) {
            failed("a tick", e);
            return;
        }
        engine.takeFailure().ifPresent(e -> failed("a tick (a journey stopped)", e));
        for (StepRun run : runs) {
            engine.deps().sender().run(run).whenComplete((result, error) ->
                    ctx.getSelf().tell(new RunEnded(run, error == null ? result : null, error)));
        }
    }

    private Behavior<Command> ended(RunEnded m) {
        if (m.error() != null) {
            failed("journey " + m.run().journeyId() + " run " + m.run().seq() + " (step "
                    + m.run().plan().step(m.run().step()).step().id() + ")", m.error());
        }
        try {
            engine.finished(m.run(), m.result());
        } catch (IOException | RuntimeException e) {
            failed("recording run " + m.run().seq() + " of journey " + m.run().journeyId(), e);
        }
        engine.takeFailure().ifPresent(e -> failed("recording run " + m.run().seq() + " (a journey stopped)", e));
        if (!settling.isEmpty()) {
            tick();
        }
        settleIfIdle();
        return Behaviors.same();
    }

    private void settleIfIdle() {
        if (settling.isEmpty() || engine.running()) {
            return;
        }
        for (ActorRef<Optional<String>> r : settling) {
            r.tell(Optional.ofNullable(lastError));
        }
        settling.clear();
    }

    private void failed(String what, Throwable e) {
        Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
        lastError = what + ": " + cause;
        ctx.getLog().error("journeys: {} failed: {}", what, cause.toString());
    }

    /** @return the broken journeys, as the engine knows them (for views) */
    static Map<String, String> broken(JourneyEngine e) {
        return e.broken();
    }
}
