package dev.herald.dispatcher.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** The classification of opted-out recipients by the order of tickets, on hand-made records. */
class EnforcementTest {

    // recipient i opted out with began = 10 * (i + 1), acknowledged = 10 * (i + 1) + 5
    private static final OptOutDriver.Record RECORD = new OptOutDriver.Record(new int[] {1, 2, 3, 4},
            new long[] {10, 20, 30, 40}, new long[] {15, 25, 35, 45}, new long[] {1, 1, 1, 1});

    @Test
    void shouldCountAHandOverAfterTheAcknowledgementAsAViolation() {
        Map<Integer, Long> handOver = Map.of(1, 9L, 2, 22L, 3, 36L);
        OptOutsMidSend.Enforcement e = OptOutsMidSend.Enforcement.of(RECORD, Set.of(1, 2, 3)::contains,
                id -> handOver.getOrDefault(id, 0L));
        assertEquals(new OptOutsMidSend.Enforcement(1, 1, 1, 1), e);
    }

    @Test
    void shouldNotCountAMessageThatWasNeverAcceptedWhateverItsHandOver() {
        OptOutsMidSend.Enforcement e = OptOutsMidSend.Enforcement.of(RECORD, id -> false, id -> 1_000L);
        assertEquals(new OptOutsMidSend.Enforcement(0, 0, 4, 0), e);
    }

    @Test
    void shouldTakeTheLatestTicketAsTheLaterEvent() {
        SequencePoints points = new SequencePoints();
        long a = points.next();
        long b = points.next();
        assertEquals(1, b - a);
    }
}
