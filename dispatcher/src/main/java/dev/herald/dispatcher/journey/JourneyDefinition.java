package dev.herald.dispatcher.journey;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;
import java.util.Map;

/**
 * A journey as {@code POST /v1/journeys} takes it: how recipients enter, when they may enter again,
 * what ends an instance early, and its steps (a graph from {@link #start()}). Checked by
 * {@link JourneyValidator}; stored as given, one version per {@code POST}/{@code PUT}.
 *
 * <pre>{@code
 * {"name": "Abandoned cart",
 *  "entry": {"event": "cart_abandoned", "key": "cartId"},
 *  "reentry": {"policy": "once-per-key"},
 *  "exits": [{"event": "order_placed", "matchKey": true}],
 *  "start": "wait-1h",
 *  "steps": [
 *    {"id": "wait-1h", "type": "delay", "duration": "PT1H", "next": "remind"},
 *    {"id": "remind", "type": "send", "channel": "sms", "category": "marketing", "sender": "acme",
 *     "template": "ACME: your cart is waiting {{link:https://shop.example/cart}}", "next": "wait-24h"},
 *    {"id": "wait-24h", "type": "wait-for", "event": "order_placed", "timeout": "PT23H",
 *     "onEvent": "bought", "onTimeout": "offer"},
 *    {"id": "offer", "type": "send", ..., "next": "bought"},
 *    {"id": "bought", "type": "exit", "reason": "goal"}]}
 * }</pre>
 *
 * @param name    shown in reports, 1–200 characters
 * @param entry   how a recipient enters
 * @param reentry when a recipient may enter again (default: once ever)
 * @param exits   what ends an instance at once, wherever it is (default: none besides an opt-out,
 *                which always ends a marketing journey of that sender)
 * @param start   the first step's id
 * @param steps   the steps
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JourneyDefinition(String name, Entry entry, Reentry reentry, List<Exit> exits, String start, List<Step> steps) {

    /**
     * How a recipient enters: exactly one of an event, a segment or a date attribute.
     *
     * @param event   an event's name ({@code cart_abandoned})
     * @param filter  the event's properties that must equal these values (event entry only)
     * @param key     the event property that keys an instance ({@code cartId}): each key its own instance
     * @param segment a segment joined (checked on a schedule)
     * @param every   how often the segment is checked, ISO-8601 duration (default PT1H, at least PT1M)
     * @param date    a date attribute of the recipient ({@code birthday}, month and day used)
     * @param at      local time of day for a date entry, {@code HH:mm} in the recipient's zone (default 10:00)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Entry(String event, Map<String, Object> filter, String key, String segment, String every, String date,
                        String at) {
    }

    /**
     * When a recipient may enter again.
     *
     * @param policy {@code once} (ever), {@code once-per-window} or {@code once-per-key}
     * @param window for {@code once-per-window}: ISO-8601 duration since the last entry
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Reentry(String policy, String window) {
    }

    /**
     * What ends an instance at once.
     *
     * @param event    an event's name
     * @param matchKey whether the event must carry the instance's key ({@code order_placed} of the same {@code cartId})
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Exit(String event, Boolean matchKey) {
    }

    /**
     * One step; which fields apply depends on {@link #type()}.
     *
     * @param id        unique in the journey, 1–64 of {@code [A-Za-z0-9_-]}
     * @param type      {@code send}, {@code delay}, {@code wait-for}, {@code branch} or {@code exit}
     * @param channel   send: the channel ({@code sms})
     * @param category  send: the category ({@code marketing}, {@code transactional}, …)
     * @param sender    send: the sender profile
     * @param template  send: the text, with fields and links as a campaign's
     * @param footer    send: a footer (marketing adds the sender's)
     * @param duration  delay: ISO-8601 duration
     * @param until     delay: instead of a duration, {@code HH:mm} local (the next such time in the recipient's zone)
     * @param event     wait-for: the event's name (with the entry's key, if keyed)
     * @param timeout   wait-for: ISO-8601 duration
     * @param onEvent   wait-for: the step after the event
     * @param onTimeout wait-for: the step after the timeout
     * @param on        branch: the condition
     * @param then      branch: the step when it holds
     * @param otherwise branch: the step when it does not ({@code "else"} in JSON)
     * @param reason    exit: why ({@code goal}, {@code done}, or any 1–32 of {@code [a-z0-9_-]})
     * @param next      send, delay: the next step (none: the instance ends, reason {@code done})
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Step(String id, String type, String channel, String category, String sender, String template, String footer,
                       String duration, String until, String event, String timeout, String onEvent, String onTimeout,
                       Condition on, String then,
                       @com.fasterxml.jackson.annotation.JsonProperty("else") String otherwise,
                       String reason, String next) {
    }

    /**
     * A branch's condition: exactly one of a property test, a segment, or an earlier step's outcome.
     *
     * @param property the entry event's property (or a recipient field) to test
     * @param equals   the value it must equal
     * @param segment  membership of this segment
     * @param step     an earlier send step's id
     * @param outcome  of that step: {@code delivered}, {@code clicked} or {@code converted}
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Condition(String property, Object equals, String segment, String step, String outcome) {
    }
}
