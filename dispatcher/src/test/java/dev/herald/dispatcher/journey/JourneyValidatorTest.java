package dev.herald.dispatcher.journey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Set;

import org.junit.jupiter.api.Test;

/** A journey is refused at create for anything a recipient would otherwise find: each case names where. */
class JourneyValidatorTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String CART = """
            {"name": "Abandoned cart",
             "entry": {"event": "cart_abandoned", "key": "cartId", "filter": {"channel": "web"}},
             "reentry": {"policy": "once-per-key"},
             "exits": [{"event": "order_placed", "matchKey": true}],
             "start": "wait-1h",
             "steps": [
               {"id": "wait-1h", "type": "delay", "duration": "PT1H", "next": "remind"},
               {"id": "remind", "type": "send", "channel": "sms", "category": "marketing", "sender": "acme",
                "template": "ACME: {{first_name}}, your cart is waiting", "next": "wait-24h"},
               {"id": "wait-24h", "type": "wait-for", "event": "order_placed", "timeout": "PT23H",
                "onEvent": "bought", "onTimeout": "clicked"},
               {"id": "clicked", "type": "branch", "on": {"step": "remind", "outcome": "clicked"}, "then": "offer", "else": "bought"},
               {"id": "offer", "type": "send", "channel": "sms", "category": "marketing", "sender": "acme",
                "template": "ACME: 10% off your cart today"},
               {"id": "bought", "type": "exit", "reason": "goal"}]}""";

    static final JourneyValidator VALIDATOR = new JourneyValidator(() -> Set.of("first_name"), "vip"::equals,
            (sender, category, template, footer) -> {
                if (!sender.equals("acme")) {
                    throw new IllegalArgumentException("no sender profile '" + sender + "'");
                }
                return category.equals("marketing") && !template.startsWith("ACME:")
                        ? "marketing text of sender 'acme' must start with its brand prefix 'ACME:'" : null;
            });

    static JourneyDefinition parse(String json) throws Exception {
        return JSON.readValue(json, JourneyDefinition.class);
    }

    /** @return the cart journey with {@code edit} applied to its JSON tree */
    static JourneyDefinition cart(java.util.function.Consumer<ObjectNode> edit) throws Exception {
        ObjectNode n = (ObjectNode) JSON.readTree(CART);
        edit.accept(n);
        return JSON.treeToValue(n, JourneyDefinition.class);
    }

    static ObjectNode step(ObjectNode journey, String id) {
        for (var s : journey.path("steps")) {
            if (s.path("id").asText().equals(id)) {
                return (ObjectNode) s;
            }
        }
        throw new AssertionError("no step " + id);
    }

    static void refused(JourneyDefinition d, String field, String words) {
        InvalidJourneyException e = assertThrows(InvalidJourneyException.class, () -> VALIDATOR.validate(d));
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.getMessage().contains(words), e.getMessage());
    }

    @Test
    void theAbandonedCartJourneyIsTaken() throws Exception {
        VALIDATOR.validate(parse(CART));
    }

    @Test
    void stepsThatCannotBeReachedOrNameNoStepAreRefusedNamingThem() throws Exception {
        refused(cart(n -> ((com.fasterxml.jackson.databind.node.ArrayNode) n.path("steps")).add(
                JSON.createObjectNode().put("id", "orphan").put("type", "exit").put("reason", "done"))),
                "steps[orphan]", "cannot be reached");
        refused(cart(n -> step(n, "remind").put("next", "nowhere")), "steps[remind].next", "'nowhere'");
        refused(cart(n -> n.put("start", "nope")), "start", "'nope'");
        refused(cart(n -> ((com.fasterxml.jackson.databind.node.ArrayNode) n.path("steps")).add(
                JSON.createObjectNode().put("id", "bought").put("type", "exit").put("reason", "done"))),
                "steps[bought].id", "used twice");
    }

    @Test
    void aCycleWithoutADelayOrAWaitIsRefusedButOneThroughADelayIsTaken() throws Exception {
        refused(cart(n -> {
            step(n, "offer").put("next", "clicked");
        }), "steps[offer]", "cycle without a delay");
        VALIDATOR.validate(cart(n -> step(n, "offer").put("next", "wait-1h")));
    }

    @Test
    void templatesAreParsedCheckedForFieldsAndForTheSendersCompliance() throws Exception {
        refused(cart(n -> step(n, "remind").put("template", "ACME: hi {{frist_name}}")), "steps[remind].template",
                "unknown field 'frist_name'");
        refused(cart(n -> step(n, "remind").put("template", "ACME: hi {{first_name")), "steps[remind].template", "unclosed");
        refused(cart(n -> step(n, "offer").put("template", "10% off")), "steps[offer].template", "brand prefix");
        VALIDATOR.validate(cart(n -> step(n, "offer").put("template", "Your receipt").put("category", "transactional")));
        refused(cart(n -> step(n, "offer").put("sender", "nobody")), "steps[offer].sender", "no sender profile");
    }

    @Test
    void eachStepTakesOnlyItsOwnFieldsAndNeedsThem() throws Exception {
        refused(cart(n -> step(n, "wait-1h").put("timeout", "PT1H")), "steps[wait-1h].timeout", "does not apply to a delay");
        refused(cart(n -> step(n, "wait-1h").remove("duration")), "steps[wait-1h].duration", "exactly one of");
        refused(cart(n -> step(n, "wait-1h").put("duration", "1h")), "steps[wait-1h].duration", "ISO-8601");
        refused(cart(n -> step(n, "wait-1h").put("duration", "PT0S")), "steps[wait-1h].duration", "more than zero");
        refused(cart(n -> {
            step(n, "wait-1h").remove("duration");
            step(n, "wait-1h").put("until", "25:00");
        }), "steps[wait-1h].until", "HH:mm");
        refused(cart(n -> step(n, "remind").remove("sender")), "steps[remind].sender", "needs 'sender'");
        refused(cart(n -> step(n, "wait-24h").remove("onTimeout")), "steps[wait-24h].onTimeout", "needs 'onTimeout'");
        refused(cart(n -> step(n, "clicked").set("on", JSON.createObjectNode().put("step", "wait-1h").put("outcome", "clicked"))),
                "steps[clicked].on.step", "must name a send step");
        refused(cart(n -> step(n, "clicked").set("on", JSON.createObjectNode().put("step", "remind").put("outcome", "opened"))),
                "steps[clicked].on.outcome", "'opened'");
        refused(cart(n -> step(n, "bought").put("type", "jump")), "steps[bought].type", "'jump'");
        refused(cart(n -> step(n, "bought").put("reason", "Goal!")), "steps[bought].reason", "1-32");
    }

    @Test
    void theEntryReentryAndExitsAreChecked() throws Exception {
        refused(cart(n -> ((ObjectNode) n.path("entry")).put("segment", "vip")), "entry", "exactly one of");
        refused(cart(n -> ((ObjectNode) n.path("entry")).put("event", "Cart Abandoned")), "entry.event", "event name");
        refused(cart(n -> n.set("entry", JSON.createObjectNode().put("segment", "nope"))), "entry.segment", "no segment");
        refused(cart(n -> n.set("entry", JSON.createObjectNode().put("segment", "vip").put("every", "PT10S"))),
                "entry.every", "at least PT1M");
        refused(cart(n -> ((ObjectNode) n.path("entry")).remove("key")), "reentry.policy", "needs an event entry with a 'key'");
        refused(cart(n -> ((ObjectNode) n.path("reentry")).put("policy", "twice")), "reentry.policy", "'twice'");
        refused(cart(n -> n.set("reentry", JSON.createObjectNode().put("policy", "once-per-window"))), "reentry.window",
                "required");
        refused(cart(n -> n.set("entry", JSON.createObjectNode().put("date", "birthday").put("at", "10:61"))), "entry.at", "HH:mm");
        VALIDATOR.validate(cart(n -> {
            n.set("entry", JSON.createObjectNode().put("date", "birthday").put("at", "10:00"));
            n.set("reentry", JSON.createObjectNode().put("policy", "once-per-window").put("window", "P300D"));
            n.remove("exits");
        }));
        refused(cart(n -> {
            n.set("entry", JSON.createObjectNode().put("date", "birthday"));
            n.remove("reentry");
        }), "exits[0].matchKey", "needs an event entry with a 'key'");
    }
}
