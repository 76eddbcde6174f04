package dev.herald.dispatcher.journey;

import dev.herald.dispatcher.journey.JourneyDefinition.Step;
import dev.herald.dispatcher.pipeline.CampaignGraph;

import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One stored version of a journey made ready to run: steps by index, their successors as indexes,
 * durations parsed. Made from a definition {@link JourneyValidator} accepted, so nothing here
 * fails on a stored journey.
 *
 * <pre>{@code
 * JourneyPlan plan = JourneyPlan.of("j-…", 2, definition);
 * int first = plan.start();
 * }</pre>
 *
 * @param journeyId the journey
 * @param version   its version
 * @param def       the definition
 * @param steps     the steps, in the definition's order
 * @param start     the first step's index
 * @param marketingScopes the suppression scopes of its marketing send steps, each set once: an
 *                  opt-out of any of them keeps a recipient out and ends its instances
 */
public record JourneyPlan(String journeyId, int version, JourneyDefinition def, List<PlanStep> steps, int start,
                          List<List<dev.herald.suppression.Scope>> marketingScopes) {

    /** What a step does. */
    public enum Kind { SEND, DELAY, WAIT_FOR, BRANCH, EXIT }

    /** No successor: the instance ends with reason {@code done}. */
    public static final int END = -1;

    /**
     * One step.
     *
     * @param index     its index
     * @param step      as defined
     * @param kind      its kind
     * @param next      send, delay: the next step, or {@link #END}
     * @param onEvent   wait-for: the step after the event
     * @param onTimeout wait-for: the step after the timeout
     * @param then      branch: when the condition holds
     * @param otherwise branch: when it does not
     * @param span      delay (by duration) or wait-for (its timeout): how long; null otherwise
     * @param until     delay until a local time of day; null otherwise
     * @param campaign  send: the campaign id its messages carry (deliveries, clicks, conversions are
     *                  kept under it): {@code <journey>.<version>.<index>}
     * @param condStep  branch on an earlier step's outcome: that step's index; -1 otherwise
     */
    public record PlanStep(int index, Step step, Kind kind, int next, int onEvent, int onTimeout, int then, int otherwise,
                           Duration span, LocalTime until, String campaign, int condStep) {

        /** @return whether instances rest here until a due time (delay, wait-for) */
        public boolean timed() {
            return kind == Kind.DELAY || kind == Kind.WAIT_FOR;
        }

        /** @return whether this is a send step of a category that is not transactional */
        public boolean marketing() {
            return kind == Kind.SEND && !CampaignGraph.transactional(step.category());
        }
    }

    /** @throws IllegalArgumentException if the definition does not hold together (a validated one does) */
    public static JourneyPlan of(String journeyId, int version, JourneyDefinition def) {
        Objects.requireNonNull(def, "def");
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < def.steps().size(); i++) {
            index.put(def.steps().get(i).id(), i);
        }
        List<PlanStep> steps = new ArrayList<>();
        for (int i = 0; i < def.steps().size(); i++) {
            Step s = def.steps().get(i);
            Kind kind = switch (s.type()) {
                case "send" -> Kind.SEND;
                case "delay" -> Kind.DELAY;
                case "wait-for" -> Kind.WAIT_FOR;
                case "branch" -> Kind.BRANCH;
                case "exit" -> Kind.EXIT;
                default -> throw new IllegalArgumentException("step " + s.id() + ": unknown type " + s.type());
            };
            Duration span = kind == Kind.DELAY && s.duration() != null ? Duration.parse(s.duration().strip())
                    : kind == Kind.WAIT_FOR ? Duration.parse(s.timeout().strip()) : null;
            LocalTime until = kind == Kind.DELAY && s.until() != null ? LocalTime.parse(s.until()) : null;
            int cond = kind == Kind.BRANCH && s.on() != null && s.on().step() != null ? ref(index, s.on().step()) : -1;
            steps.add(new PlanStep(i, s, kind, ref(index, s.next()), ref(index, s.onEvent()), ref(index, s.onTimeout()),
                    ref(index, s.then()), ref(index, s.otherwise()), span, until,
                    kind == Kind.SEND ? campaignId(journeyId, version, i) : null, cond));
        }
        java.util.Set<List<dev.herald.suppression.Scope>> scopes = new java.util.LinkedHashSet<>();
        for (PlanStep s : steps) {
            if (s.marketing()) {
                scopes.add(dev.herald.suppression.Scope.forMessage(s.step().sender(), s.step().channel(), s.step().category()));
            }
        }
        return new JourneyPlan(journeyId, version, def, List.copyOf(steps), ref(index, def.start()), List.copyOf(scopes));
    }

    /** @return the campaign id a send step's messages carry */
    public static String campaignId(String journeyId, int version, int step) {
        return journeyId + "." + version + "." + step;
    }

    /**
     * @param store      the journeys
     * @param campaignId a campaign id, possibly a journey send step's ({@link #campaignId})
     * @return that send step, if the id names one
     */
    public static java.util.Optional<Step> sendStep(JourneyStore store, String campaignId) {
        int b = campaignId.lastIndexOf('.');
        int a = b < 0 ? -1 : campaignId.lastIndexOf('.', b - 1);
        if (a <= 0) {
            return java.util.Optional.empty();
        }
        try {
            int version = Integer.parseInt(campaignId.substring(a + 1, b));
            int step = Integer.parseInt(campaignId.substring(b + 1));
            return store.get(campaignId.substring(0, a))
                    .filter(j -> version >= 1 && version <= j.versions().size())
                    .map(j -> j.versions().get(version - 1).definition().steps())
                    .filter(steps -> step >= 0 && step < steps.size() && "send".equals(steps.get(step).type()))
                    .map(steps -> steps.get(step));
        } catch (NumberFormatException e) {
            return java.util.Optional.empty();
        }
    }

    /** @return the step at {@code i} */
    public PlanStep step(int i) {
        return steps.get(i);
    }

    /** @return whether any send step is marketing (an opt-out of its scopes ends an instance) */
    public boolean marketing() {
        return !marketingScopes.isEmpty();
    }

    /** @return whether a branch tests a property of the entry event (each instance keeps where its event is) */
    public boolean branchesOnProperty() {
        return steps.stream().anyMatch(s -> s.kind() == Kind.BRANCH && s.step().on().property() != null);
    }

    /** @return the entry's key property, or null if instances are not keyed */
    public String key() {
        return def.entry().key();
    }

    /** @return the re-entry policy ({@code once} unless given) */
    public String reentry() {
        return def.reentry() == null ? "once" : def.reentry().policy();
    }

    /** @return the re-entry window of {@code once-per-window}, else null */
    public Duration reentryWindow() {
        return def.reentry() == null || def.reentry().window() == null ? null : Duration.parse(def.reentry().window().strip());
    }

    private static int ref(Map<String, Integer> index, String id) {
        if (id == null) {
            return END;
        }
        Integer i = index.get(id);
        if (i == null) {
            throw new IllegalArgumentException("no step " + id);
        }
        return i;
    }
}
