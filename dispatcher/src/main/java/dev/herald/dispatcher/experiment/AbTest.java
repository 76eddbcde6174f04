package dev.herald.dispatcher.experiment;

import java.time.Duration;
import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * A campaign's A/B test: a sample of the audience, split equally between the variants, is sent
 * first; the rest is {@code held} until, after {@code wait}, the variants' rates on {@code metric}
 * decide what the rest gets ({@link WinnerDecision}).
 *
 * <pre>{@code
 * AbTest t = new AbTest(0.05, AbTest.Metric.HUMAN_CLICK, "PT3H", 0.05, 2000, WinnerDecision.NoWinnerPolicy.SEND_BEST);
 * WinnerDecision rule = t.rule();
 * }</pre>
 *
 * <p>Immutable.
 *
 * @param sample        the sample's share of the audience, in (0, 0.5]
 * @param metric        what a variant is judged on
 * @param waitFor       ({@code wait} in JSON) ISO-8601 duration from the sample's start to the decision, 10 seconds to 30 days
 * @param alpha         the significance level, in (0, 0.5]
 * @param minPerVariant recipients each variant must have reached before a winner may be declared, ≥ 1
 * @param noWinner      what the rest gets without a significant winner
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AbTest(double sample, Metric metric, @JsonProperty("wait") String waitFor, double alpha, long minPerVariant,
                     WinnerDecision.NoWinnerPolicy noWinner) {

    /** The shortest wait. */
    public static final Duration MIN_WAIT = Duration.ofSeconds(10);
    /** The longest wait. */
    public static final Duration MAX_WAIT = Duration.ofDays(30);

    /** @throws IllegalArgumentException naming the field ({@code test.<field>}) that is wrong */
    public AbTest {
        if (!(sample > 0 && sample <= 0.5)) {
            throw new IllegalArgumentException("'test.sample' must be more than 0 and at most 0.5, got " + sample);
        }
        if (metric == null) {
            throw new IllegalArgumentException("'test.metric' must be human-click, conversion or delivery");
        }
        parseWait(waitFor);
        if (!(alpha > 0 && alpha <= 0.5)) {
            throw new IllegalArgumentException("'test.alpha' must be more than 0 and at most 0.5, got " + alpha);
        }
        if (minPerVariant < 1) {
            throw new IllegalArgumentException("'test.minPerVariant' must be at least 1, got " + minPerVariant);
        }
        if (noWinner == null) {
            throw new IllegalArgumentException("'test.noWinner' must be send-best, send-first or stop");
        }
    }

    /** @return the wait as a duration */
    @JsonIgnore
    public Duration waitDuration() {
        return parseWait(waitFor);
    }

    /** @return the decision rule of this test */
    public WinnerDecision rule() {
        return new WinnerDecision(alpha, minPerVariant, noWinner);
    }

    private static Duration parseWait(String text) {
        if (text == null) {
            throw new IllegalArgumentException("'test.wait' is missing: an ISO-8601 duration such as PT3H");
        }
        Duration d;
        try {
            d = Duration.parse(text.strip());
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException("'test.wait' must be an ISO-8601 duration such as PT3H, got '" + text + "'");
        }
        if (d.compareTo(MIN_WAIT) < 0 || d.compareTo(MAX_WAIT) > 0) {
            throw new IllegalArgumentException("'test.wait' must be 10 seconds to 30 days, got " + text);
        }
        return d;
    }

    /** What a variant is judged on: of the sample's recipients it was sent to, how many did this. */
    public enum Metric {
        /** Clicked a tracked link as a person (not a preview or a bot). */
        HUMAN_CLICK,
        /** Converted (attributed to the campaign). */
        CONVERSION,
        /** Had the message delivered (a delivery receipt). */
        DELIVERY;

        /** @return {@code human-click}, {@code conversion} or {@code delivery} */
        @JsonValue
        public String wire() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /** @return the metric named {@code wire} @throws IllegalArgumentException naming it if unknown */
        @JsonCreator
        public static Metric fromWire(String wire) {
            for (Metric m : values()) {
                if (m.wire().equals(wire)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("'test.metric' must be human-click, conversion or delivery, got '" + wire + "'");
        }
    }
}
