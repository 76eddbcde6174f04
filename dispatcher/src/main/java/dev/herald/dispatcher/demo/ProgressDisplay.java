package dev.herald.dispatcher.demo;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Shows how far a phase of {@code herald demo} is: on a terminal one bar line redrawn in place
 * with {@code \r} (every 100 ms), otherwise a plain line every 2 s (none for a phase shorter
 * than that, so logs and tests stay short).
 *
 * <pre>{@code
 * try (ProgressDisplay.Phase p = display.start("sending", "sent", limit, counter::sum)) {
 *     ... // work that bumps counter
 * }
 * }</pre>
 *
 * <p>Thread-safety: one phase at a time; the polling thread is the only writer to {@code out}
 * while a phase is open, and {@link Phase#close()} waits for it before the caller writes again.
 */
public final class ProgressDisplay {
    /** Redraw interval of the terminal bar, ms. */
    public static final long TERMINAL_EVERY_MS = 100;
    /** Interval of the plain lines, ms. */
    public static final long PLAIN_EVERY_MS = 2_000;
    private static final int BAR_WIDTH = 30;

    private final PrintWriter out;
    private final boolean terminal;

    /**
     * @param out      where progress goes
     * @param terminal true to redraw one line in place, false for plain periodic lines
     */
    public ProgressDisplay(PrintWriter out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    /** @return true if this display redraws a bar in place */
    public boolean terminal() {
        return terminal;
    }

    /**
     * Starts polling {@code done} until the returned phase is closed.
     *
     * @param phase what is being done, e.g. {@code building directory}
     * @param unit  what {@code done} counts, e.g. {@code sent}
     * @param total the most {@code done} can reach (the bar's 100%), {@code >= 1}
     * @param done  the count so far; called on the polling thread
     * @return the open phase
     * @throws IllegalArgumentException if {@code total < 1}
     */
    public Phase start(String phase, String unit, long total, LongSupplier done) {
        if (total < 1) {
            throw new IllegalArgumentException("total must be >= 1, got " + total);
        }
        return new Phase(phase, unit, total, done);
    }

    /** One phase being shown; closing it stops the polling and ends the bar's line. */
    public final class Phase implements AutoCloseable {
        private final String phase;
        private final String unit;
        private final long total;
        private final LongSupplier done;
        private final long startNanos = System.nanoTime();
        private final ScheduledExecutorService timer;
        private final ScheduledFuture<?> task;
        private boolean drawn;

        private Phase(String phase, String unit, long total, LongSupplier done) {
            this.phase = phase;
            this.unit = unit;
            this.total = total;
            this.done = done;
            this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "herald-demo-progress");
                t.setDaemon(true);
                return t;
            });
            long every = terminal ? TERMINAL_EVERY_MS : PLAIN_EVERY_MS;
            this.task = timer.scheduleAtFixedRate(this::show, every, every, TimeUnit.MILLISECONDS);
        }

        private void show() {
            long n = Math.min(done.getAsLong(), total);
            double seconds = (System.nanoTime() - startNanos) / 1e9;
            String counts = String.format(Locale.ROOT, "%s: %,d / %,d %s, %.1f s, %,.0f/s", phase, n, total, unit,
                    seconds, n / Math.max(seconds, 1e-9));
            if (terminal) {
                int filled = (int) (BAR_WIDTH * n / total);
                out.print("\r[" + "#".repeat(filled) + " ".repeat(BAR_WIDTH - filled) + "] " + counts + "   ");
            } else {
                out.println(counts);
            }
            out.flush();
            drawn = true;
        }

        /** Stops polling (waiting for a redraw in progress) and ends the bar's line if one was drawn. */
        @Override
        public void close() {
            task.cancel(false);
            timer.shutdown();
            try {
                timer.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (terminal && drawn) {
                show();
                out.println();
                out.flush();
            }
        }
    }
}
