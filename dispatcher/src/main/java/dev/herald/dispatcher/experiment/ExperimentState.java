package dev.herald.dispatcher.experiment;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Where a campaign's A/B test is, stored in its record: when the sample was drawn and how large,
 * when the decision is due, and once made, the decision with every figure behind it.
 *
 * <pre>{@code
 * ExperimentState s = ExperimentState.sampled(now, now.plus(test.waitDuration()), Map.of("A", 500L, "B", 500L), 9000);
 * ExperimentState done = s.decided(decision, now, "rule");
 * }</pre>
 *
 * <p>Immutable.
 *
 * @param sampledAt  when the sample was drawn (the test's start)
 * @param decideAt   when the decision is due (sampledAt + wait); kept across restarts
 * @param sample     per variant, the recipients of the sample it was given
 * @param held       recipients held back at the start
 * @param decidedAt  when it was decided (null: not yet)
 * @param decidedBy  {@code rule} (at the end of the wait) or {@code operator} (picked by hand); null before
 * @param decision   the figures and the outcome (null before)
 * @param send       the variant the held recipients were given, or null (not decided, or stopped)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ExperimentState(Instant sampledAt, Instant decideAt, Map<String, Long> sample, long held, Instant decidedAt,
                              String decidedBy, WinnerDecision.Decision decision, String send) {

    /** Decided by the rule at the end of the wait. */
    public static final String BY_RULE = "rule";
    /** Picked by an operator. */
    public static final String BY_OPERATOR = "operator";

    /** Copies the map, keeping its order (the variants'). */
    public ExperimentState {
        sample = sample == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(sample));
    }

    /** A test whose sample was drawn at {@code at}, to be decided at {@code decideAt}. */
    public static ExperimentState sampled(Instant at, Instant decideAt, Map<String, Long> sample, long held) {
        return new ExperimentState(at, decideAt, new java.util.LinkedHashMap<>(sample), held, null, null, null, null);
    }

    /** @return whether the decision was made */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isDecided() {
        return decidedAt != null;
    }

    /** @return this test decided: the held recipients get {@code send} (null: nothing) */
    public ExperimentState decided(WinnerDecision.Decision d, String sendVariant, Instant at, String by) {
        return new ExperimentState(sampledAt, decideAt, sample, held, at, by, d, sendVariant);
    }

    /** @return the variant names in the sample's order */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public List<String> variants() {
        return List.copyOf(sample.keySet());
    }
}
