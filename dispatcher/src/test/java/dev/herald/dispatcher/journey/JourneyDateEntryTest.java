package dev.herald.dispatcher.journey;

import dev.herald.dispatcher.connector.AcceptedLogEntry;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Date entries (birthday at a local time) on a test clock through the real campaign pipeline and
 * the simulated connector. The clock moves a minute at a time across each day of interest and the
 * runner settles after every move, so the test clock's value at the settle where a message first
 * appears in the connector's log is when it was sent, to the minute. (The connector stamps its
 * log with the wall clock, not the test clock, so its {@code acceptedAtMillis} cannot be used.)
 *
 * <p>The expected instants are written out by hand in UTC, not computed with {@code java.time}, so
 * the test does not share the engine's arithmetic: 2026 DST changes are Europe/London 29 March
 * 01:00→02:00 GMT→BST and 25 October 02:00 BST→01:00 GMT; America/New_York 8 March 02:00→03:00
 * EST→EDT and 1 November 02:00 EDT→01:00 EST.
 */
class JourneyDateEntryTest {

    private static final ActorTestKit kit = ActorTestKit.create();
    private static final Instant T0 = Instant.parse("2026-01-05T12:00:00Z");

    @TempDir
    Path dir;

    @AfterAll
    static void shutdown() {
        kit.shutdownTestKit();
    }

    /** A birthday journey at local {@code at}, one send of {@code category}; re-entry allowed a minute after, so only the once-a-day rule keeps a second entry out. */
    private static JourneyDefinition birthday(String name, String at, String category) {
        String json = """
                {"name": "%s",
                 "entry": {"date": "birthday", "at": "%s"},
                 "reentry": {"policy": "once-per-window", "window": "PT1M"},
                 "start": "wishes",
                 "steps": [
                   {"id": "wishes", "type": "send", "channel": "sms", "category": "%s", "sender": "acme",
                    "template": "ACME: happy birthday, {{first_name|friend}}!", "next": "done"},
                   {"id": "done", "type": "exit", "reason": "done"}]}
                """.formatted(name, at, category);
        try {
            return JourneyFixture.JSON.readValue(json, JourneyDefinition.class);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Records, per (campaign, recipient), the test-clock instant of the settle its first message appeared at, and counts them all. */
    private static final class Watch {
        final Map<String, Instant> first = new LinkedHashMap<>();
        final Map<String, Integer> count = new LinkedHashMap<>();
        private int seen;

        void look(JourneyFixture fx) throws IOException {
            List<AcceptedLogEntry> sent = fx.sent();
            for (AcceptedLogEntry e : sent.subList(seen, sent.size())) {
                String k = e.campaignId() + "/" + e.recipientId();
                first.putIfAbsent(k, fx.clock.instant());
                count.merge(k, 1, Integer::sum);
            }
            seen = sent.size();
        }
    }

    /** Sets the clock to {@code from} and moves it a minute at a time to {@code to}, settling and looking after each move. */
    private static void sweep(JourneyFixture fx, Watch w, String from, String to) throws IOException {
        fx.clock.set(Instant.parse(from));
        fx.settle();
        w.look(fx);
        walk(fx, w, to);
    }

    /** Moves the clock a minute at a time to {@code to}, settling and looking after each move. */
    private static void walk(JourneyFixture fx, Watch w, String to) throws IOException {
        Instant end = Instant.parse(to);
        while (fx.clock.instant().isBefore(end)) {
            fx.advance(Duration.ofMinutes(1));
            w.look(fx);
        }
    }

    /** Like {@link #sweep}, with a restart of the engine (a replay of its logs) at {@code restartAt}. */
    private static void sweep(JourneyFixture fx, Watch w, String from, String restartAt, String to) throws IOException {
        sweep(fx, w, from, restartAt);
        fx.stop();
        fx.start();
        fx.settle();
        w.look(fx);
        walk(fx, w, to);
    }

    private static String key(JourneyStore.Journey j, int recipient) {
        return JourneyPlan.campaignId(j.id(), 1, 0) + "/" + recipient;
    }

    @Test
    void birthdayInADstGapIsMovedForwardByTheGapAndInAnOverlapSentOnceAtTheEarlierInstant() throws Exception {
        List<String[]> people = List.of(
                new String[] {"+447911123451", "Europe/London", "1990-03-29"},      // 0: London spring forward
                new String[] {"+447911123452", "Europe/London", "--10-25"},         // 1: London fall back
                new String[] {"+447911123453", "America/New_York", "1985-03-08"},   // 2: New York spring forward
                new String[] {"+447911123454", "America/New_York", "--11-01"});     // 3: New York fall back
        try (JourneyFixture fx = new JourneyFixture(kit, dir, T0, people)) {
            // Transactional: exempt from quiet hours, so the message goes at the entry instant
            // (a marketing one at 01:30 would wait for 08:00; see the quiet-hours test below).
            JourneyStore.Journey at0130 = fx.create(birthday("At 01:30", "01:30", "transactional"));
            JourneyStore.Journey at0230 = fx.create(birthday("At 02:30", "02:30", "transactional"));
            Watch w = new Watch();
            sweep(fx, w, "2026-03-07T12:00:00Z", "2026-03-09T12:00:00Z");
            sweep(fx, w, "2026-03-28T12:00:00Z", "2026-03-30T12:00:00Z");
            // restarts between the two 01:30s of each overlap: the day's firing is remembered
            sweep(fx, w, "2026-10-24T12:00:00Z", "2026-10-25T01:00:00Z", "2026-10-26T12:00:00Z");
            sweep(fx, w, "2026-10-31T12:00:00Z", "2026-11-01T06:00:00Z", "2026-11-02T12:00:00Z");

            Map<String, Instant> expected = new LinkedHashMap<>();
            // London, 29 March: 01:30 is in the gap (01:00-02:00 GMT does not exist) -> 02:30 BST = 01:30Z;
            // 02:30 is just after it, 02:30 BST = 01:30Z as well.
            expected.put(key(at0130, 0), Instant.parse("2026-03-29T01:30:00Z"));
            expected.put(key(at0230, 0), Instant.parse("2026-03-29T01:30:00Z"));
            // London, 25 October: 01:30 happens twice (BST 00:30Z, GMT 01:30Z): the earlier; 02:30 GMT = 02:30Z.
            expected.put(key(at0130, 1), Instant.parse("2026-10-25T00:30:00Z"));
            expected.put(key(at0230, 1), Instant.parse("2026-10-25T02:30:00Z"));
            // New York, 8 March: 01:30 EST = 06:30Z; 02:30 is in the gap (02:00-03:00) -> 03:30 EDT = 07:30Z.
            expected.put(key(at0130, 2), Instant.parse("2026-03-08T06:30:00Z"));
            expected.put(key(at0230, 2), Instant.parse("2026-03-08T07:30:00Z"));
            // New York, 1 November: 01:30 happens twice (EDT 05:30Z, EST 06:30Z): the earlier; 02:30 EST = 07:30Z.
            expected.put(key(at0130, 3), Instant.parse("2026-11-01T05:30:00Z"));
            expected.put(key(at0230, 3), Instant.parse("2026-11-01T07:30:00Z"));

            assertEquals(expected, w.first, "each birthday message at its local time, DST-exact");
            Map<String, Integer> once = new LinkedHashMap<>();
            expected.keySet().forEach(k -> once.put(k, 1));
            assertEquals(once, w.count, "exactly one message per recipient and journey, none on the second 01:30");
            for (JourneyStore.Journey j : List.of(at0130, at0230)) {
                assertEquals(4L, (long) fx.<Long>ask(e -> e.journey(j.id()).orElseThrow().state.entered));
                assertEquals(Map.of("done", 4L), fx.ask(e -> Map.copyOf(e.journey(j.id()).orElseThrow().state.exited)));
            }
        }
    }

    @Test
    void aMarketingBirthdayEnteredInTheNightWaitsForQuietHoursToEnd() throws Exception {
        List<String[]> people = List.<String[]>of(new String[] {"+447911123451", "Europe/London", "1990-03-29"});
        try (JourneyFixture fx = new JourneyFixture(kit, dir, T0, people)) {
            JourneyStore.Journey j = fx.create(birthday("Night", "01:30", "marketing"));
            Watch w = new Watch();
            sweep(fx, w, "2026-03-28T12:00:00Z", "2026-03-30T12:00:00Z");
            // entered at 02:30 BST (01:30Z), in the gap; the default policy opens marketing at 08:00 local = 07:00Z
            assertEquals(Map.of(key(j, 0), Instant.parse("2026-03-29T07:00:00Z")), w.first);
            assertEquals(Map.of(key(j, 0), 1), w.count);
            assertEquals(Map.of("done", 1L), fx.ask(e -> Map.copyOf(e.journey(j.id()).orElseThrow().state.exited)));
        }
    }

    @Test
    void aLateEntryMissedAcrossMidnightStillFiresWithinTheGrace() throws Exception {
        List<String[]> people = List.<String[]>of(new String[] {"+447911123451", "Europe/London", "1990-06-15"});
        try (JourneyFixture fx = new JourneyFixture(kit, dir, T0, people)) {
            JourneyStore.Journey j = fx.create(birthday("Late", "23:00", "transactional"));
            Watch w = new Watch();
            fx.clock.set(Instant.parse("2026-06-15T21:00:00Z")); // 22:00 BST: not yet
            fx.settle();
            w.look(fx);
            assertEquals(Map.of(), w.first);
            // Herald is down from before 23:00 BST to 00:30 BST the next day: 1 h 30 after, within the 4 h grace
            fx.clock.set(Instant.parse("2026-06-15T23:30:00Z"));
            fx.settle();
            w.look(fx);
            assertEquals(Map.of(key(j, 0), Instant.parse("2026-06-15T23:30:00Z")), w.first, "the 15 June birthday, late");
            walk(fx, w, "2026-06-16T23:59:00Z");
            assertEquals(Map.of(key(j, 0), 1), w.count, "once");
        }
    }

    @Test
    void aBirthdayOnTheDayClocksChangeIsSentOnceAtLocalTen() throws Exception {
        List<String[]> people = List.of(
                new String[] {"+447911123451", "Europe/London", "1990-03-29"},      // spring forward: 10:00 BST
                new String[] {"+447911123452", "Europe/London", "1990-10-25"},      // fall back: 10:00 GMT
                new String[] {"+447911123453", "America/New_York", "1990-03-08"},   // 10:00 EDT
                new String[] {"+447911123454", "America/New_York", "1990-11-01"});  // 10:00 EST
        try (JourneyFixture fx = new JourneyFixture(kit, dir, T0, people)) {
            JourneyStore.Journey j = fx.create("birthday.json");
            Watch w = new Watch();
            // each change day from before its 01:00-03:00 change to past 10:00 local, a minute at a time
            sweep(fx, w, "2026-03-08T05:00:00Z", "2026-03-08T16:00:00Z");
            sweep(fx, w, "2026-03-29T00:00:00Z", "2026-03-29T10:00:00Z");
            sweep(fx, w, "2026-10-25T00:00:00Z", "2026-10-25T11:00:00Z");
            sweep(fx, w, "2026-11-01T05:00:00Z", "2026-11-01T16:00:00Z");
            Map<String, Instant> expected = new LinkedHashMap<>();
            expected.put(key(j, 2), Instant.parse("2026-03-08T14:00:00Z"));
            expected.put(key(j, 0), Instant.parse("2026-03-29T09:00:00Z"));
            expected.put(key(j, 1), Instant.parse("2026-10-25T10:00:00Z"));
            expected.put(key(j, 3), Instant.parse("2026-11-01T15:00:00Z"));
            assertEquals(expected, w.first);
            assertEquals(Map.of(key(j, 0), 1, key(j, 1), 1, key(j, 2), 1, key(j, 3), 1), w.count, "once each");
        }
    }

    @Test
    void theBirthdayExampleFiresAtLocalTenInEachZone() throws Exception {
        List<String[]> people = List.of(
                new String[] {"+447911123451", "Europe/London", "1990-06-15"},
                new String[] {"+447911123452", "Asia/Tokyo", "1992-06-15"},
                new String[] {"+447911123453", "Asia/Tokyo", "1992-06-16"},
                new String[] {"+447911123454", "Europe/London", "not a date"});
        try (JourneyFixture fx = new JourneyFixture(kit, dir, T0, people)) {
            JourneyStore.Journey j = fx.create("birthday.json");
            Watch w = new Watch();
            sweep(fx, w, "2026-06-14T12:00:00Z", "2026-06-16T12:00:00Z");
            Map<String, Instant> expected = new LinkedHashMap<>();
            expected.put(key(j, 1), Instant.parse("2026-06-15T01:00:00Z")); // 10:00 JST
            expected.put(key(j, 0), Instant.parse("2026-06-15T09:00:00Z")); // 10:00 BST
            expected.put(key(j, 2), Instant.parse("2026-06-16T01:00:00Z")); // 10:00 JST, the next day
            assertEquals(expected, w.first);
            assertEquals(Map.of(key(j, 0), 1, key(j, 1), 1, key(j, 2), 1), w.count);
        }
    }

    @Test
    void aTwentyNinthOfFebruaryBirthdayIsOnTheTwentyEighthInOtherYears() throws Exception {
        List<String[]> people = List.of(
                new String[] {"+447911123451", "Europe/London", "2000-02-29"},
                new String[] {"+447911123452", "Europe/London", "--02-28"},
                new String[] {"+447911123453", "Europe/London", "1999-03-01"});
        try (JourneyFixture fx = new JourneyFixture(kit, dir, T0, people)) {
            JourneyStore.Journey j = fx.create("birthday.json");
            Watch w = new Watch();
            sweep(fx, w, "2027-02-27T12:00:00Z", "2027-03-01T12:00:00Z");
            Map<String, Instant> expected = new LinkedHashMap<>();
            expected.put(key(j, 0), Instant.parse("2027-02-28T10:00:00Z")); // 2027 has no 29 February
            expected.put(key(j, 1), Instant.parse("2027-02-28T10:00:00Z"));
            expected.put(key(j, 2), Instant.parse("2027-03-01T10:00:00Z"));
            assertEquals(expected, w.first);

            Watch leap = new Watch();
            leap.look(fx); // skip what 2027 sent
            leap.first.clear();
            leap.count.clear();
            sweep(fx, leap, "2028-02-27T12:00:00Z", "2028-03-01T12:00:00Z");
            Map<String, Instant> inLeapYear = new LinkedHashMap<>();
            inLeapYear.put(key(j, 1), Instant.parse("2028-02-28T10:00:00Z"));
            inLeapYear.put(key(j, 0), Instant.parse("2028-02-29T10:00:00Z")); // its own day, not the 28th as well
            inLeapYear.put(key(j, 2), Instant.parse("2028-03-01T10:00:00Z"));
            assertEquals(inLeapYear, leap.first);
            assertEquals(Map.of(key(j, 0), 1, key(j, 1), 1, key(j, 2), 1), leap.count);
        }
    }
}
