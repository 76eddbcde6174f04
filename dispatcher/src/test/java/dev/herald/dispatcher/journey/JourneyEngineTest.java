package dev.herald.dispatcher.journey;

import dev.herald.dispatcher.connector.AcceptedLogEntry;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Journeys end to end on a test clock: events in, messages out through the campaign pipeline and a simulated connector. */
class JourneyEngineTest {

    private static final ActorTestKit kit = ActorTestKit.create();
    /** Wednesday 10:00 UTC, 11:00 in London: marketing hours. */
    static final Instant T0 = Instant.parse("2026-06-10T10:00:00Z");
    static final List<String[]> PEOPLE = List.of(
            new String[] {"+447911123451", "Europe/London"},
            new String[] {"+447911123452", "Europe/London"},
            new String[] {"+447911123453", "Europe/London"});

    @TempDir
    Path dir;

    @AfterAll
    static void shutdown() {
        kit.shutdownTestKit();
    }

    private static Map<Integer, Long> to(List<AcceptedLogEntry> sent, String campaign) {
        return sent.stream().filter(e -> e.campaignId().equals(campaign))
                .collect(Collectors.groupingBy(AcceptedLogEntry::recipientId, Collectors.counting()));
    }

    @Test
    void abandonedCartRemindsAtOneHourOffersAtADayAndAnOrderEndsItAtOnce() throws Exception {
        try (JourneyFixture fx = new JourneyFixture(kit, dir, T0, PEOPLE)) {
            JourneyStore.Journey j = fx.create("abandoned-cart.json");
            String reminder = JourneyPlan.campaignId(j.id(), 1, 1);
            String offer = JourneyPlan.campaignId(j.id(), 1, 3);
            fx.event(0, "cart_abandoned", Map.of("cartId", "A"));
            fx.event(1, "cart_abandoned", Map.of("cartId", "B"));
            fx.event(0, "cart_abandoned", Map.of("cartId", "C")); // a second cart: a second, keyed instance
            fx.event(0, "cart_abandoned", Map.of("cartId", "A")); // the same cart again: once per key
            fx.settle();
            assertEquals(3L, (long) fx.<Long>ask(e -> e.journey(j.id()).orElseThrow().state.entered));

            fx.advance(Duration.ofMinutes(30));
            fx.event(1, "order_placed", Map.of("orderId", "o1", "cartId", "B"));
            fx.settle();
            assertEquals(Map.of("goal", 1L), fx.ask(e -> Map.copyOf(e.journey(j.id()).orElseThrow().state.exited)));

            fx.advance(Duration.ofMinutes(29));
            assertEquals(0, fx.sent().size(), "nothing before the hour");
            fx.advance(Duration.ofMinutes(1).plusSeconds(1));
            assertEquals(Map.of(0, 2L), to(fx.sent(), reminder), "a reminder per cart of recipient 0, none for the order");

            fx.advance(Duration.ofMinutes(30));
            fx.event(0, "order_placed", Map.of("orderId", "o2", "cartId", "A"));
            fx.settle();
            fx.advance(Duration.ofHours(22).plusMinutes(29));
            assertEquals(Map.of(), to(fx.sent(), offer), "no offer before 24 h");
            fx.advance(Duration.ofMinutes(2));
            assertEquals(Map.of(0, 1L), to(fx.sent(), offer), "the offer for cart C only");
            assertEquals(3, fx.sent().size());
            Map<String, Long> exited = fx.ask(e -> Map.copyOf(e.journey(j.id()).orElseThrow().state.exited));
            assertEquals(Map.of("goal", 2L, "done", 1L), exited);
            assertEquals(0L, (long) fx.<Long>ask(e -> e.journey(j.id()).orElseThrow().state.waiting()));
            assertTrue(fx.<Boolean>ask(e -> e.journey(j.id()).orElseThrow().state.runs.isEmpty()), "every run done");
        }
    }

    private static JourneyState state(JourneyEngine e, String id) {
        return e.journey(id).orElseThrow().state;
    }

    @Test
    void aStopDuringADelayEndsEveryMarketingJourneyOfThatSenderAtOnceButNotATransactionalOne() throws Exception {
        try (JourneyFixture fx = new JourneyFixture(kit, dir, T0, PEOPLE)) {
            JourneyStore.Journey welcome = fx.create("welcome.json");
            JourneyStore.Journey cart = fx.create("abandoned-cart.json");
            JourneyStore.Journey notice = fx.create(JourneyFixture.JSON.readValue("""
                    {"name": "Notice", "entry": {"event": "signed_up"}, "start": "wait",
                     "steps": [{"id": "wait", "type": "delay", "duration": "PT1H", "next": "tell"},
                       {"id": "tell", "type": "send", "channel": "sms", "category": "transactional", "sender": "acme",
                        "template": "Your account number is ready", "next": "done"},
                       {"id": "done", "type": "exit", "reason": "done"}]}""", JourneyDefinition.class));
            fx.event(0, "signed_up", Map.of());
            fx.event(1, "signed_up", Map.of());
            fx.event(0, "cart_abandoned", Map.of("cartId", "A"));
            fx.settle();
            assertEquals(Map.of(0, 1L, 1, 1L), to(fx.sent(), JourneyPlan.campaignId(welcome.id(), 1, 0)), "the welcome");

            fx.advance(Duration.ofMinutes(10));
            fx.index.optOut(0, fx.directory.get(0).orElseThrow().e164(), dev.herald.suppression.Scope.sender("acme"),
                    dev.herald.suppression.ConsentEvidence.of(dev.herald.suppression.ConsentSource.KEYWORD));
            fx.settle();
            assertEquals(Map.of("opted_out", 1L), fx.ask(e -> Map.copyOf(state(e, welcome.id()).exited)),
                    "ended at once, in the middle of its 2-day delay");
            assertEquals(Map.of("opted_out", 1L), fx.ask(e -> Map.copyOf(state(e, cart.id()).exited)));
            assertEquals(2L, (long) fx.<Long>ask(e -> state(e, notice.id()).waiting()), "the transactional one goes on");

            fx.advance(Duration.ofDays(3));
            List<AcceptedLogEntry> sent = fx.sent();
            assertEquals(Map.of(1, 1L), to(sent, JourneyPlan.campaignId(welcome.id(), 1, 2)), "tips only for recipient 1");
            assertEquals(Map.of(), to(sent, JourneyPlan.campaignId(cart.id(), 1, 1)), "no cart reminder after STOP");
            // a STOP to the sender suppresses its transactional messages too (the pipeline's rule, as for campaigns)
            assertEquals(Map.of(1, 1L), to(sent, JourneyPlan.campaignId(notice.id(), 1, 1)));
            assertEquals(Map.of("done", 1L, "suppressed", 1L), fx.ask(e -> Map.copyOf(state(e, notice.id()).exited)));
            fx.event(0, "signed_up", Map.of());
            fx.settle();
            assertEquals(1, (int) fx.sent().stream().filter(e -> e.recipientId() == 0).count(), "the welcome before the STOP, nothing after");
        }
    }

    @Test
    void aNewVersionTakesNewEntriesWhileRunningInstancesFinishOnTheirs() throws Exception {
        try (JourneyFixture fx = new JourneyFixture(kit, dir, T0, PEOPLE)) {
            JourneyStore.Journey j = fx.create("welcome.json");
            fx.event(0, "signed_up", Map.of());
            fx.settle();
            JourneyDefinition v2 = JourneyFixture.JSON.readValue(JourneyFixture.JSON.writeValueAsString(j.current().definition())
                    .replace("P2D", "P1D"), JourneyDefinition.class);
            fx.journeys.update(j.id(), v2);
            fx.event(1, "signed_up", Map.of());
            fx.settle();
            fx.advance(Duration.ofDays(1).plusMinutes(1));
            List<AcceptedLogEntry> sent = fx.sent();
            assertEquals(Map.of(1, 1L), to(sent, JourneyPlan.campaignId(j.id(), 2, 2)), "version 2's tips after a day");
            assertEquals(Map.of(), to(sent, JourneyPlan.campaignId(j.id(), 1, 2)), "version 1 still waits its 2 days");
            fx.advance(Duration.ofDays(1));
            assertEquals(Map.of(0, 1L), to(fx.sent(), JourneyPlan.campaignId(j.id(), 1, 2)));
        }
    }

    @Test
    void pauseHoldsEntriesAndStepsResumeCatchesUpAndArchiveEndsEveryInstance() throws Exception {
        try (JourneyFixture fx = new JourneyFixture(kit, dir, T0, PEOPLE)) {
            JourneyStore.Journey j = fx.create("welcome.json");
            fx.event(0, "signed_up", Map.of());
            fx.settle();
            fx.journeys.status(j.id(), JourneyStore.Status.PAUSED);
            fx.event(1, "signed_up", Map.of());
            fx.advance(Duration.ofDays(3));
            assertEquals(1, fx.sent().size(), "paused: no entry, no step");
            fx.journeys.status(j.id(), JourneyStore.Status.ACTIVE);
            fx.settle();
            assertEquals(Map.of(0, 1L), to(fx.sent(), JourneyPlan.campaignId(j.id(), 1, 2)), "the overdue tips on resume");
            fx.event(2, "signed_up", Map.of());
            fx.settle();
            fx.journeys.status(j.id(), JourneyStore.Status.ARCHIVED);
            fx.settle();
            assertEquals(Map.of("done", 1L, "archived", 1L), fx.ask(e -> Map.copyOf(state(e, j.id()).exited)));
            fx.advance(Duration.ofDays(3));
            assertEquals(3, fx.sent().size());
        }
    }

    @Test
    void branchesOnAPropertyOfTheEntryEventAndOnARecipientField() throws Exception {
        try (JourneyFixture fx = new JourneyFixture(kit, dir, T0, PEOPLE)) {
            JourneyStore.Journey j = fx.create(JourneyFixture.JSON.readValue("""
                    {"name": "Big spender", "entry": {"event": "order_placed", "key": "orderId"},
                     "reentry": {"policy": "once-per-key"}, "start": "wait",
                     "steps": [{"id": "wait", "type": "delay", "duration": "PT1H", "next": "big"},
                       {"id": "big", "type": "branch", "on": {"property": "tier", "equals": "gold"}, "then": "vip", "else": "named"},
                       {"id": "named", "type": "branch", "on": {"property": "first_name", "equals": "Ann"}, "then": "thanks", "else": "done"},
                       {"id": "vip", "type": "send", "channel": "sms", "category": "transactional", "sender": "acme",
                        "template": "VIP thanks", "next": "done"},
                       {"id": "thanks", "type": "send", "channel": "sms", "category": "transactional", "sender": "acme",
                        "template": "Thanks {{first_name}}", "next": "done"},
                       {"id": "done", "type": "exit", "reason": "done"}]}""", JourneyDefinition.class));
            fx.event(0, "order_placed", Map.of("orderId", "1", "tier", "gold"));
            fx.event(1, "order_placed", Map.of("orderId", "2", "tier", "silver"));
            fx.clock.advance(Duration.ofHours(1).plusSeconds(1)); // applied late: the delay counts from the events' time
            fx.settle();
            List<AcceptedLogEntry> sent = fx.sent();
            assertEquals(Map.of(0, 1L), to(sent, JourneyPlan.campaignId(j.id(), 1, 3)), "gold: the entry event's property, read back");
            assertEquals(Map.of(1, 1L), to(sent, JourneyPlan.campaignId(j.id(), 1, 4)), "first_name from the directory");
        }
    }

    @Test
    void aCompactedLogAndARestartGiveTheSameJourneysWhichThenGoOn() throws Exception {
        try (JourneyFixture fx = new JourneyFixture(kit, dir, T0, PEOPLE)) {
            JourneyStore.Journey j = fx.create("abandoned-cart.json");
            fx.ask(e -> {
                e.compactFrom(1); // every change compacts the log
                return null;
            });
            fx.event(0, "cart_abandoned", Map.of("cartId", "A"));
            fx.event(0, "cart_abandoned", Map.of("cartId", "C"));
            fx.event(1, "cart_abandoned", Map.of("cartId", "B"));
            fx.settle();
            fx.advance(Duration.ofMinutes(61));
            fx.event(1, "order_placed", Map.of("cartId", "B"));
            fx.settle();
            Map<String, Object> before = fx.ask(e -> JourneyReports.report(e, j.id()));
            Object where0 = fx.ask(e -> JourneyReports.recipient(e, j.id(), 0).get("instances"));
            java.nio.file.Path log = dir.resolve("journeys").resolve(JourneyEngine.INSTANCES).resolve(j.id() + ".log");
            List<JourneyLog.Rec> records = new java.util.ArrayList<>();
            JourneyLog.read(log, records::add);
            assertTrue(records.get(0) instanceof JourneyLog.Rec.ImagePart, "the compacted log starts with an image: " + records);
            assertTrue(records.size() < 20, records.size() + " records");

            fx.stop();
            fx.start();
            assertEquals(before, fx.ask(e -> JourneyReports.report(e, j.id())), "the same journey after a restart");
            assertEquals(where0, fx.ask(e -> JourneyReports.recipient(e, j.id(), 0).get("instances")));
            fx.advance(Duration.ofHours(24));
            assertEquals(Map.of(0, 2L), to(fx.sent(), JourneyPlan.campaignId(j.id(), 1, 3)), "both offers after the restart");
            assertEquals(Map.of("goal", 1L, "done", 2L), fx.ask(e -> Map.copyOf(state(e, j.id()).exited)));
        }
    }

    @Test
    void aDamagedInstanceLogStopsOnlyItsJourneyNamingTheFileAndTheOthersGoOn() throws Exception {
        try (JourneyFixture fx = new JourneyFixture(kit, dir, T0, PEOPLE)) {
            JourneyStore.Journey cart = fx.create("abandoned-cart.json");
            JourneyStore.Journey welcome = fx.create("welcome.json");
            fx.event(0, "cart_abandoned", Map.of("cartId", "A"));
            fx.event(0, "signed_up", Map.of());
            fx.settle();
            fx.stop();
            java.nio.file.Path log = dir.resolve("journeys").resolve(JourneyEngine.INSTANCES).resolve(cart.id() + ".log");
            byte[] bytes = java.nio.file.Files.readAllBytes(log);
            bytes[bytes.length / 2] ^= 0x5a;
            java.nio.file.Files.write(log, bytes);
            fx.start();
            fx.advance(Duration.ofDays(2).plusMinutes(1));
            RuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                    () -> fx.ask(x -> JourneyReports.report(x, cart.id())));
            assertTrue(e instanceof JourneyReports.DamagedJourneyException, e.toString());
            assertTrue(e.getMessage().contains("journeys/instances/" + cart.id() + ".log") && !e.getMessage().contains(dir.toString()),
                    e.getMessage());
            assertEquals(java.util.Arrays.hashCode(bytes), java.util.Arrays.hashCode(java.nio.file.Files.readAllBytes(log)),
                    "the damaged log is left as it was");
            assertEquals(Map.of(0, 1L), to(fx.sent(), JourneyPlan.campaignId(welcome.id(), 1, 2)), "the welcome journey went on");
        }
    }

    @Test
    void aSegmentEntryEntersWhoJoinedAndABranchReadsAnEarlierStepsClicks() throws Exception {
        try (JourneyFixture fx = new JourneyFixture(kit, dir, T0, PEOPLE)) {
            fx.segments.put("quiet", org.roaringbitmap.buffer.MutableRoaringBitmap.bitmapOf(0, 1));
            JourneyStore.Journey j = fx.create(JourneyFixture.JSON.readValue("""
                    {"name": "Win back", "entry": {"segment": "quiet", "every": "PT1H"},
                     "reentry": {"policy": "once-per-window", "window": "P30D"}, "start": "miss",
                     "steps": [{"id": "miss", "type": "send", "channel": "sms", "category": "transactional", "sender": "acme",
                                "template": "We miss you https://shop.example/back", "next": "wait"},
                       {"id": "wait", "type": "delay", "duration": "P1D", "next": "clicked"},
                       {"id": "clicked", "type": "branch", "on": {"step": "miss", "outcome": "clicked"}, "then": "thanks", "else": "done"},
                       {"id": "thanks", "type": "send", "channel": "sms", "category": "transactional", "sender": "acme",
                        "template": "Glad you came back", "next": "done"},
                       {"id": "done", "type": "exit", "reason": "done"}]}""", JourneyDefinition.class));
            fx.settle();
            String miss = JourneyPlan.campaignId(j.id(), 1, 0);
            assertEquals(Map.of(0, 1L, 1, 1L), to(fx.sent(), miss), "who was in the segment at its first check");
            fx.segments.put("quiet", org.roaringbitmap.buffer.MutableRoaringBitmap.bitmapOf(0, 1, 2));
            fx.advance(Duration.ofMinutes(30));
            assertEquals(2, to(fx.sent(), miss).size(), "not checked again before an hour");
            fx.engagement = new dev.herald.dispatcher.funnel.Engagement() {
                @Override
                public org.roaringbitmap.buffer.ImmutableRoaringBitmap delivered(String c) {
                    return new org.roaringbitmap.buffer.MutableRoaringBitmap();
                }

                @Override
                public org.roaringbitmap.buffer.ImmutableRoaringBitmap clicked(String c) {
                    return c.equals(miss) ? org.roaringbitmap.buffer.MutableRoaringBitmap.bitmapOf(1)
                            : new org.roaringbitmap.buffer.MutableRoaringBitmap();
                }

                @Override
                public org.roaringbitmap.buffer.ImmutableRoaringBitmap converted(String c) {
                    return new org.roaringbitmap.buffer.MutableRoaringBitmap();
                }
            };
            fx.advance(Duration.ofMinutes(31));
            assertEquals(Map.of(0, 1L, 1, 1L, 2, 1L), to(fx.sent(), miss), "recipient 2 joined: entered at the next check");
            fx.advance(Duration.ofDays(1));
            assertEquals(Map.of(1, 1L), to(fx.sent(), JourneyPlan.campaignId(j.id(), 1, 3)), "only the one who clicked");
            fx.segments.put("quiet", org.roaringbitmap.buffer.MutableRoaringBitmap.bitmapOf(2));
            fx.advance(Duration.ofHours(1));
            fx.segments.put("quiet", org.roaringbitmap.buffer.MutableRoaringBitmap.bitmapOf(0, 2));
            fx.advance(Duration.ofHours(1));
            assertEquals(1L, to(fx.sent(), miss).get(0), "left and joined again within the 30-day window: not again");
        }
    }
}
