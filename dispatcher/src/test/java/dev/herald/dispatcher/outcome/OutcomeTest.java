package dev.herald.dispatcher.outcome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The typed outcome: one wire form each, read back to the same value, one family each. */
class OutcomeTest {

    @Provide
    Arbitrary<Outcome> outcomes() {
        Arbitrary<String> reasons = Arbitraries.strings().withCharRange('!', '~').withChars("退订é").ofMinLength(1)
                .ofMaxLength(Outcomes.MAX_REASON);
        return Arbitraries.oneOf(
                Arbitraries.just(Outcome.Sent.ANY),
                reasons.map(Outcome.Suppressed::new),
                reasons.map(Outcome.Capped::new),
                reasons.map(Outcome.Failed::new),
                Arbitraries.just(Outcome.Unknown.INSTANCE),
                Arbitraries.just(Outcome.Expired.AT_END),
                reasons.map(Outcome.Expired::new));
    }

    @Property(seed = "20261206")
    void shouldReadEveryWireFormBackToTheSameOutcome(@ForAll("outcomes") Outcome o) {
        assertEquals(o, Outcome.parse(o.wire()));
        assertEquals(o.wire(), Outcomes.check(o.wire()), "the ledger accepts the wire form");
        assertEquals(o.family(), Outcome.Family.of(o.wire()));
    }

    @Property(seed = "20261206")
    void shouldNameTheFamilyByTheWireFormsHead(@ForAll("outcomes") Outcome o) {
        String wire = o.wire();
        int colon = wire.indexOf(':');
        assertEquals(colon < 0 ? wire : wire.substring(0, colon), o.family().wire());
    }

    @Test
    void shouldKeepTheDeferralsInstantBesideItsWireForm() {
        Outcome.Deferred d = new Outcome.Deferred(Instant.parse("2026-12-07T08:00:00Z"));
        assertEquals("deferred", d.wire());
        assertFalse(d.isFinal());
        assertEquals(Outcome.Family.DEFERRED, Outcome.parse("deferred").family());
        assertTrue(new Outcome.Sent("m-1").needsClaim());
        assertEquals(new Outcome.Sent("m-2").asRecorded(), new Outcome.Sent("m-1").asRecorded(),
                "recipients sent are recorded together, whatever their message ids");
        assertEquals(d, d.asRecorded());
        assertTrue(new Outcome.Failed("timeout").needsClaim());
        assertFalse(new Outcome.Capped("daily").needsClaim());
        assertEquals("expired:never-open", Outcome.Expired.NEVER_OPEN.wire());
        assertEquals(Outcomes.NEVER_OPEN, Outcome.Expired.NEVER_OPEN.wire());
    }

    @Test
    void shouldRefuseWhatIsNotAnOutcomeNamingIt() {
        for (String bad : List.of("", "sent ", "delivered", "suppressed:", "capped:two words", "failed:\u0007")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Outcome.parse(bad));
            assertTrue(e.getMessage().contains("'"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new Outcome.Suppressed(" "));
        assertEquals(Outcome.Family.FAILED, Outcome.Family.of("not-an-outcome"), "never counted as a success");
    }

    @Test
    void shouldListTheFamiliesInTheApisOrder() {
        assertEquals(List.of("sent", "suppressed", "deferred", "capped", "failed", "unknown", "expired", "held"),
                java.util.Arrays.stream(Outcome.Family.values()).map(Outcome.Family::wire).toList());
    }

    @Property(seed = "20261206", tries = 50)
    void shouldBuildTheSameStringsAsTheFactories(@ForAll("reasons") String reason) {
        assertEquals(Outcomes.suppressed(reason), new Outcome.Suppressed(reason).wire());
        assertEquals(Outcomes.capped(reason), new Outcome.Capped(reason).wire());
        assertEquals(Outcomes.failed(reason), new Outcome.Failed(reason).wire());
    }

    @Provide
    Arbitrary<String> reasons() {
        return Combinators.combine(Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(20),
                Arbitraries.strings().numeric().ofMaxLength(5)).as((a, b) -> a + "-" + b);
    }
}
