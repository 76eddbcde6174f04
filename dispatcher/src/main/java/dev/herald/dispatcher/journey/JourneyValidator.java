package dev.herald.dispatcher.journey;

import dev.herald.dispatcher.journey.JourneyDefinition.Condition;
import dev.herald.dispatcher.journey.JourneyDefinition.Entry;
import dev.herald.dispatcher.journey.JourneyDefinition.Exit;
import dev.herald.dispatcher.journey.JourneyDefinition.Reentry;
import dev.herald.dispatcher.journey.JourneyDefinition.Step;
import dev.herald.dispatcher.render.Template;

import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Checks a {@link JourneyDefinition} when it is created or given a new version, so that nothing
 * wrong waits to be found by a recipient: the entry, the re-entry policy and the exits; each step's
 * fields for its type; references to steps that do not exist; steps no path from the start
 * reaches; cycles that no delay or wait breaks (an instance would loop without end); templates that
 * do not parse or name a field the directory does not have; and a marketing send its sender's
 * compliance refuses.
 *
 * <pre>{@code
 * JourneyValidator v = new JourneyValidator(knownFields, segments::exists, compliance);
 * v.validate(definition);   // throws InvalidJourneyException naming the step and the field
 * }</pre>
 *
 * <p>Immutable; thread-safe if its functions are.
 */
public final class JourneyValidator {

    /** The most steps a journey may have. */
    public static final int MAX_STEPS = 100;
    /** The longest delay, wait or re-entry window. */
    public static final Duration MAX_DURATION = Duration.ofDays(366);
    /** Step types. */
    public static final Set<String> TYPES = Set.of("send", "delay", "wait-for", "branch", "exit");
    /** Re-entry policies. */
    public static final Set<String> POLICIES = Set.of("once", "once-per-window", "once-per-key");
    /** What a branch may test of an earlier send. */
    public static final Set<String> OUTCOMES = Set.of("delivered", "clicked", "converted");

    private static final Pattern STEP_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern EVENT = Pattern.compile("[a-z0-9_.-]{1,64}");
    private static final Pattern PROPERTY = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,63}");
    private static final Pattern REASON = Pattern.compile("[a-z0-9_-]{1,32}");

    /** What a marketing send's sender refuses, if anything. */
    @FunctionalInterface
    public interface Compliance {
        /**
         * @return why the sender's policy refuses this send (missing brand prefix, flagged words), or null
         * @throws IllegalArgumentException for an unknown sender
         */
        String refusal(String sender, String category, String template, String footer);
    }

    private final java.util.function.Supplier<Set<String>> knownFields;
    private final Predicate<String> segmentExists;
    private final Compliance compliance;

    /**
     * @param knownFields   the fields templates may name now (the directory's uploads'); it gives null when
     *                      that is not known (then templates are not checked against fields)
     * @param segmentExists whether a segment of that name is stored
     * @param compliance    a marketing send's compliance
     */
    public JourneyValidator(java.util.function.Supplier<Set<String>> knownFields, Predicate<String> segmentExists,
                            Compliance compliance) {
        this.knownFields = Objects.requireNonNull(knownFields, "knownFields");
        this.segmentExists = Objects.requireNonNull(segmentExists, "segmentExists");
        this.compliance = Objects.requireNonNull(compliance, "compliance");
    }

    /**
     * @param d a definition
     * @throws InvalidJourneyException naming what is wrong, where ({@code steps[remind].template})
     */
    public void validate(JourneyDefinition d) {
        if (d == null) {
            throw new InvalidJourneyException("the body is empty", null);
        }
        if (d.name() == null || d.name().isBlank() || d.name().length() > 200) {
            throw new InvalidJourneyException("'name' must be 1-200 characters", "name");
        }
        boolean keyed = entry(d.entry());
        reentry(d.reentry(), keyed);
        exits(d.exits(), keyed);
        List<Step> steps = d.steps();
        if (steps == null || steps.isEmpty() || steps.size() > MAX_STEPS) {
            throw new InvalidJourneyException("'steps' must have 1-" + MAX_STEPS + " steps", "steps");
        }
        Map<String, Step> byId = new LinkedHashMap<>();
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            if (s == null || s.id() == null || !STEP_ID.matcher(s.id()).matches()) {
                throw new InvalidJourneyException("steps[" + i + "] needs an 'id' of 1-64 of A-Z a-z 0-9 _ -", "steps[" + i + "].id");
            }
            if (byId.put(s.id(), s) != null) {
                throw new InvalidJourneyException("step id '" + s.id() + "' is used twice", at(s, "id"));
            }
        }
        for (Step s : steps) {
            step(s, byId);
        }
        if (d.start() == null || !byId.containsKey(d.start())) {
            throw new InvalidJourneyException("'start' must name a step, got " + quote(d.start()), "start");
        }
        reachable(d.start(), byId);
        noInstantCycle(byId);
    }

    /** @return whether the entry is keyed */
    private boolean entry(Entry e) {
        if (e == null) {
            throw new InvalidJourneyException("'entry' is required: an event, a segment or a date attribute", "entry");
        }
        int kinds = (e.event() != null ? 1 : 0) + (e.segment() != null ? 1 : 0) + (e.date() != null ? 1 : 0);
        if (kinds != 1) {
            throw new InvalidJourneyException("'entry' must have exactly one of 'event', 'segment' and 'date'", "entry");
        }
        if (e.event() != null) {
            event(e.event(), "entry.event");
            if (e.filter() != null) {
                for (Map.Entry<String, Object> f : e.filter().entrySet()) {
                    if (!PROPERTY.matcher(f.getKey()).matches()) {
                        throw new InvalidJourneyException("'entry.filter' has an invalid property name " + quote(f.getKey()),
                                "entry.filter");
                    }
                    Object v = f.getValue();
                    if (!(v instanceof String || v instanceof Number || v instanceof Boolean)) {
                        throw new InvalidJourneyException("'entry.filter." + f.getKey() + "' must be a string, number or"
                                + " boolean", "entry.filter." + f.getKey());
                    }
                }
            }
            if (e.key() != null && !PROPERTY.matcher(e.key()).matches()) {
                throw new InvalidJourneyException("'entry.key' must be a property name, got " + quote(e.key()), "entry.key");
            }
            refuse(e.every(), "entry.every", "an event entry");
            refuse(e.at(), "entry.at", "an event entry");
            return e.key() != null;
        }
        refuse(e.filter(), "entry.filter", "a segment or date entry");
        refuse(e.key(), "entry.key", "a segment or date entry");
        if (e.segment() != null) {
            if (!segmentExists.test(e.segment())) {
                throw new InvalidJourneyException("'entry.segment': no segment " + quote(e.segment()), "entry.segment");
            }
            refuse(e.at(), "entry.at", "a segment entry");
            if (e.every() != null) {
                Duration every = duration(e.every(), "entry.every");
                if (every.compareTo(Duration.ofMinutes(1)) < 0) {
                    throw new InvalidJourneyException("'entry.every' must be at least PT1M, got " + e.every(), "entry.every");
                }
            }
            return false;
        }
        if (!PROPERTY.matcher(e.date()).matches()) {
            throw new InvalidJourneyException("'entry.date' must be a field name such as birthday, got " + quote(e.date()),
                    "entry.date");
        }
        refuse(e.every(), "entry.every", "a date entry");
        if (e.at() != null) {
            localTime(e.at(), "entry.at");
        }
        return false;
    }

    private void reentry(Reentry r, boolean keyed) {
        if (r == null) {
            return;
        }
        if (r.policy() == null || !POLICIES.contains(r.policy())) {
            throw new InvalidJourneyException("'reentry.policy' must be one of " + new TreeSet<>(POLICIES) + ", got "
                    + quote(r.policy()), "reentry.policy");
        }
        if (r.policy().equals("once-per-window")) {
            if (r.window() == null) {
                throw new InvalidJourneyException("'reentry.window' is required for once-per-window", "reentry.window");
            }
            positive(duration(r.window(), "reentry.window"), "reentry.window");
        } else {
            refuse(r.window(), "reentry.window", "policy " + r.policy());
        }
        if (r.policy().equals("once-per-key") && !keyed) {
            throw new InvalidJourneyException("'reentry.policy' once-per-key needs an event entry with a 'key'", "reentry.policy");
        }
    }

    private void exits(List<Exit> exits, boolean keyed) {
        if (exits == null) {
            return;
        }
        for (int i = 0; i < exits.size(); i++) {
            Exit x = exits.get(i);
            if (x == null || x.event() == null) {
                throw new InvalidJourneyException("exits[" + i + "] needs an 'event'", "exits[" + i + "].event");
            }
            event(x.event(), "exits[" + i + "].event");
            if (Boolean.TRUE.equals(x.matchKey()) && !keyed) {
                throw new InvalidJourneyException("exits[" + i + "].matchKey needs an event entry with a 'key'",
                        "exits[" + i + "].matchKey");
            }
        }
    }

    private void step(Step s, Map<String, Step> byId) {
        if (s.type() == null || !TYPES.contains(s.type())) {
            throw new InvalidJourneyException("step '" + s.id() + "': 'type' must be one of " + new TreeSet<>(TYPES)
                    + ", got " + quote(s.type()), at(s, "type"));
        }
        Map<String, Object> set = new LinkedHashMap<>();
        set.put("channel", s.channel());
        set.put("category", s.category());
        set.put("sender", s.sender());
        set.put("template", s.template());
        set.put("footer", s.footer());
        set.put("duration", s.duration());
        set.put("until", s.until());
        set.put("event", s.event());
        set.put("timeout", s.timeout());
        set.put("onEvent", s.onEvent());
        set.put("onTimeout", s.onTimeout());
        set.put("on", s.on());
        set.put("then", s.then());
        set.put("else", s.otherwise());
        set.put("reason", s.reason());
        set.put("next", s.next());
        Set<String> allowed = switch (s.type()) {
            case "send" -> Set.of("channel", "category", "sender", "template", "footer", "next");
            case "delay" -> Set.of("duration", "until", "next");
            case "wait-for" -> Set.of("event", "timeout", "onEvent", "onTimeout");
            case "branch" -> Set.of("on", "then", "else");
            default -> Set.of("reason");
        };
        for (Map.Entry<String, Object> f : set.entrySet()) {
            if (f.getValue() != null && !allowed.contains(f.getKey())) {
                throw new InvalidJourneyException("step '" + s.id() + "': '" + f.getKey() + "' does not apply to a "
                        + s.type() + " step (it takes " + new TreeSet<>(allowed) + ")", at(s, f.getKey()));
            }
        }
        switch (s.type()) {
            case "send" -> send(s);
            case "delay" -> {
                if ((s.duration() == null) == (s.until() == null)) {
                    throw new InvalidJourneyException("step '" + s.id() + "': a delay has exactly one of 'duration' and"
                            + " 'until'", at(s, "duration"));
                }
                if (s.duration() != null) {
                    positive(duration(s.duration(), at(s, "duration")), at(s, "duration"));
                } else {
                    localTime(s.until(), at(s, "until"));
                }
            }
            case "wait-for" -> {
                required(s, "event", s.event());
                event(s.event(), at(s, "event"));
                required(s, "timeout", s.timeout());
                positive(duration(s.timeout(), at(s, "timeout")), at(s, "timeout"));
                required(s, "onEvent", s.onEvent());
                required(s, "onTimeout", s.onTimeout());
            }
            case "branch" -> branch(s, byId);
            default -> {
                required(s, "reason", s.reason());
                if (!REASON.matcher(s.reason()).matches()) {
                    throw new InvalidJourneyException("step '" + s.id() + "': 'reason' must be 1-32 of a-z 0-9 _ -, got "
                            + quote(s.reason()), at(s, "reason"));
                }
            }
        }
        for (String f : List.of("next", "onEvent", "onTimeout", "then", "else")) {
            String target = (String) set.get(f);
            if (target != null && !byId.containsKey(target)) {
                throw new InvalidJourneyException("step '" + s.id() + "': '" + f + "' names no step: " + quote(target),
                        at(s, f));
            }
        }
    }

    private void send(Step s) {
        required(s, "channel", s.channel());
        required(s, "category", s.category());
        required(s, "sender", s.sender());
        required(s, "template", s.template());
        Template t;
        try {
            t = Template.parse(s.template());
        } catch (IllegalArgumentException e) {
            throw new InvalidJourneyException("step '" + s.id() + "': 'template': " + e.getMessage(), at(s, "template"));
        }
        Set<String> fields = knownFields.get();
        if (fields != null) {
            Set<String> known = new TreeSet<>(fields);
            known.addAll(Template.RESERVED_FIELDS);
            try {
                t.validate(known);
            } catch (IllegalArgumentException e) {
                throw new InvalidJourneyException("step '" + s.id() + "': 'template': " + e.getMessage(), at(s, "template"));
            }
        }
        String refusal;
        try {
            refusal = compliance.refusal(s.sender(), s.category(), s.template(), s.footer());
        } catch (IllegalArgumentException e) {
            throw new InvalidJourneyException("step '" + s.id() + "': 'sender': " + e.getMessage(), at(s, "sender"));
        }
        if (refusal != null) {
            throw new InvalidJourneyException("step '" + s.id() + "': " + refusal, at(s, "template"));
        }
    }

    private void branch(Step s, Map<String, Step> byId) {
        Condition c = s.on();
        if (c == null) {
            throw new InvalidJourneyException("step '" + s.id() + "': a branch needs 'on'", at(s, "on"));
        }
        required(s, "then", s.then());
        required(s, "else", s.otherwise());
        int kinds = (c.property() != null ? 1 : 0) + (c.segment() != null ? 1 : 0) + (c.step() != null ? 1 : 0);
        if (kinds != 1) {
            throw new InvalidJourneyException("step '" + s.id() + "': 'on' must have exactly one of 'property', 'segment'"
                    + " and 'step'", at(s, "on"));
        }
        if (c.property() != null) {
            if (!PROPERTY.matcher(c.property()).matches()) {
                throw new InvalidJourneyException("step '" + s.id() + "': 'on.property' is not a property name",
                        at(s, "on.property"));
            }
            if (!(c.equals() instanceof String || c.equals() instanceof Number || c.equals() instanceof Boolean)) {
                throw new InvalidJourneyException("step '" + s.id() + "': 'on.equals' must be a string, number or boolean",
                        at(s, "on.equals"));
            }
        } else if (c.segment() != null) {
            if (!segmentExists.test(c.segment())) {
                throw new InvalidJourneyException("step '" + s.id() + "': 'on.segment': no segment " + quote(c.segment()),
                        at(s, "on.segment"));
            }
        } else {
            Step earlier = byId.get(c.step());
            if (earlier == null || !earlier.type().equals("send")) {
                throw new InvalidJourneyException("step '" + s.id() + "': 'on.step' must name a send step, got "
                        + quote(c.step()), at(s, "on.step"));
            }
            if (c.outcome() == null || !OUTCOMES.contains(c.outcome())) {
                throw new InvalidJourneyException("step '" + s.id() + "': 'on.outcome' must be one of "
                        + new TreeSet<>(OUTCOMES) + ", got " + quote(c.outcome()), at(s, "on.outcome"));
            }
        }
    }

    /** Every step must be reachable from the start. */
    private static void reachable(String start, Map<String, Step> byId) {
        Set<String> seen = new HashSet<>();
        Deque<String> frontier = new ArrayDeque<>(List.of(start));
        while (!frontier.isEmpty()) {
            String id = frontier.pop();
            if (seen.add(id)) {
                frontier.addAll(successors(byId.get(id)));
            }
        }
        for (String id : byId.keySet()) {
            if (!seen.contains(id)) {
                throw new InvalidJourneyException("step '" + id + "' cannot be reached from the start '" + start + "'",
                        "steps[" + id + "]");
            }
        }
    }

    /** A cycle must pass a delay or a wait: one without would loop at once, without end. */
    private static void noInstantCycle(Map<String, Step> byId) {
        Map<String, Integer> state = new HashMap<>(); // 1: on the path, 2: done
        for (String id : byId.keySet()) {
            List<String> path = new ArrayList<>();
            String cycle = instantCycle(id, byId, state, path);
            if (cycle != null) {
                throw new InvalidJourneyException("steps " + cycle + " form a cycle without a delay or a wait: an instance"
                        + " would go round it at once, without end", "steps[" + path.get(path.size() - 1) + "]");
            }
        }
    }

    private static String instantCycle(String id, Map<String, Step> byId, Map<String, Integer> state, List<String> path) {
        Step s = byId.get(id);
        if (s.type().equals("delay") || s.type().equals("wait-for")) {
            return null; // time passes here: a cycle through it is no instant loop
        }
        Integer st = state.get(id);
        if (st != null && st == 2) {
            return null;
        }
        if (st != null && st == 1) {
            int from = path.indexOf(id);
            return String.join(" -> ", path.subList(from, path.size())) + " -> " + id;
        }
        state.put(id, 1);
        path.add(id);
        for (String next : successors(s)) {
            String c = instantCycle(next, byId, state, path);
            if (c != null) {
                return c;
            }
        }
        path.remove(path.size() - 1);
        state.put(id, 2);
        return null;
    }

    static List<String> successors(Step s) {
        List<String> out = new ArrayList<>(2);
        for (String t : new String[]{s.next(), s.onEvent(), s.onTimeout(), s.then(), s.otherwise()}) {
            if (t != null) {
                out.add(t);
            }
        }
        return out;
    }

    private static void required(Step s, String field, Object value) {
        if (value == null || value instanceof String str && str.isBlank()) {
            throw new InvalidJourneyException("step '" + s.id() + "': a " + s.type() + " step needs '" + field + "'",
                    at(s, field));
        }
    }

    private static void refuse(Object value, String field, String what) {
        if (value != null) {
            throw new InvalidJourneyException("'" + field + "' does not apply to " + what, field);
        }
    }

    private static void event(String name, String field) {
        if (name == null || !EVENT.matcher(name).matches()) {
            throw new InvalidJourneyException("'" + field + "' must be an event name of 1-64 of a-z 0-9 _ . -, got "
                    + quote(name), field);
        }
    }

    private static Duration duration(String text, String field) {
        try {
            Duration d = Duration.parse(text.strip());
            if (d.compareTo(MAX_DURATION) > 0) {
                throw new InvalidJourneyException("'" + field + "' must be at most 366 days, got " + text, field);
            }
            return d;
        } catch (DateTimeParseException e) {
            throw new InvalidJourneyException("'" + field + "' must be an ISO-8601 duration such as PT1H or P2D, got "
                    + quote(text), field);
        }
    }

    private static void positive(Duration d, String field) {
        if (d.isNegative() || d.isZero()) {
            throw new InvalidJourneyException("'" + field + "' must be more than zero, got " + d, field);
        }
    }

    private static void localTime(String text, String field) {
        if (text == null || !text.matches("([01][0-9]|2[0-3]):[0-5][0-9]")) {
            throw new InvalidJourneyException("'" + field + "' must be a local time HH:mm, got " + quote(text), field);
        }
        LocalTime.parse(text);
    }

    private static String at(Step s, String field) {
        return "steps[" + s.id() + "]." + field;
    }

    private static String quote(Object s) {
        return s == null ? "nothing" : "'" + s + "'";
    }
}
