package dev.herald.dispatcher.journey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@link JourneyWaitingBench} at a small size (its own checks throw if the replay, an exit or a
 * tick does not do what it measures), and checks that its fixture's log is what the engine writes.
 */
class JourneyWaitingBenchTest {

    @TempDir
    Path dir;

    @Test
    void shouldRunEveryVariantAndTheEnginePathAtASmallSize() throws Exception {
        for (String order : new String[] {"sequential", "shuffled"}) {
            for (String keyed : new String[] {"false", "true"}) {
                JourneyWaitingBench.main(new String[] {"--instances", "20000", "--spread-hours", "1", "--exits", "500",
                        "--ticks", "20", "--frame", "3000", "--order", order, "--keyed", keyed, "--dir", dir.toString()});
            }
        }
        JourneyWaitingBench.main(new String[] {"--via-engine", "3000", "--frame", "1000", "--keyed", "true", "--dir", dir.toString()});
        try (var left = Files.list(dir)) {
            assertEquals(0, left.count(), "every run removes its data directory");
        }
    }

    @Test
    void shouldWriteTheRecordsTheEngineWritesForAnEventEntry() throws Exception {
        Path log = dir.resolve("a.log");
        JourneyWaitingBench.write(log, 1_000, JourneyWaitingBench.T0.toEpochMilli() - 3_600_000L, 3_600_000L, 300, true, false);
        AtomicLong enters = new AtomicLong();
        AtomicLong ats = new AtomicLong();
        JourneyLog.open(log, r -> {
            if (r instanceof JourneyLog.Rec.Enter e) {
                enters.incrementAndGet();
            } else if (r instanceof JourneyLog.Rec.At a) {
                assertEquals(1, a.ids().getCardinality(), "one id per At, as events() moves one entered instance");
                assertEquals(0, a.step());
                assertEquals(JourneyEngine.dueSecond(a.at() + 2 * 86_400_000L), a.due());
                ats.incrementAndGet();
            }
        }).close();
        assertEquals(1_000, enters.get());
        assertEquals(1_000, ats.get());
    }

    @Test
    void shouldRefuseUnknownOptions() {
        assertThrows(IllegalArgumentException.class, () -> JourneyWaitingBench.main(new String[] {"--order", "random"}));
        assertThrows(IllegalArgumentException.class, () -> JourneyWaitingBench.main(new String[] {"--fast", "1"}));
        assertThrows(IllegalArgumentException.class, () -> JourneyStepBench.main(new String[] {"--order", "step,blast"}));
    }
}
