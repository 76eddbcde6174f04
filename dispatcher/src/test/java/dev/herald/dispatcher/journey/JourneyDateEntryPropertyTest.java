package dev.herald.dispatcher.journey;

import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.journey.JourneyLog.Rec;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.SuppressionIndex;
import dev.herald.throttle.ZoneIndex;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.zone.ZoneOffsetTransition;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A date entry fires once, at its local time, on the DST change days of zones with unusual rules:
 * a 30-minute change (Lord Howe), a change at local midnight (Santiago, Havana: the day starts at
 * 01:00, or has 23:00-24:00 twice), a southern-hemisphere one (Sydney), a :45 offset (Chatham),
 * and London and New York. Each try takes one recipient born on one 2026 change day and a random
 * entry time (half of the tries within 90 minutes of the change), drives the engine a minute at a
 * time across three days, and reads the entries back from the journey's log.
 *
 * <p>The expected instant does not come from {@code ZonedDateTime.of} (the engine's own
 * arithmetic): the test lists every minute of the three days whose local date-time
 * ({@code LocalDateTime.ofInstant}, instant to local, never ambiguous) is the entry's; the first
 * of them is expected (an overlap: the earlier); if there is none (a gap), the one whose local
 * time is the entry's plus the gap's length.
 */
class JourneyDateEntryPropertyTest {

    private static final List<String> ZONES = List.of("Europe/London", "America/New_York", "Australia/Sydney",
            "Australia/Lord_Howe", "Pacific/Chatham", "America/Santiago", "America/Havana");
    private static final AtomicInteger TRIES = new AtomicInteger();

    /** A recipient born on a change day of its zone. */
    record Target(int recipient, ZoneId zone, LocalDate day, ZoneOffsetTransition change) {
    }

    private static Path root;
    private static HeraldData data;
    private static RecipientDirectory directory;
    private static SuppressionIndex suppression;
    private static ZoneIndex zones;
    private static final List<Target> TARGETS = new ArrayList<>();

    @BeforeContainer
    static void setUp() throws IOException {
        Path shm = Path.of("/dev/shm");
        root = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "herald-date-prop")
                : Files.createTempDirectory("herald-date-prop");
        data = HeraldData.at(root.resolve("data"));
        directory = data.directory();
        int id = 0;
        for (String z : ZONES) {
            ZoneId zone = ZoneId.of(z);
            ZoneOffsetTransition t = zone.getRules().nextTransition(Instant.parse("2026-01-01T00:00:00Z"));
            for (int i = 0; i < 2; i++) {
                // the local day with the missing (gap) or repeated (overlap) local times
                LocalDate day = t.isGap() ? t.getDateTimeBefore().toLocalDate() : t.getDateTimeAfter().toLocalDate();
                directory.register(String.format("+4479111235%02d", id), z, "en-GB",
                        Map.of("birthday", String.format("--%02d-%02d", day.getMonthValue(), day.getDayOfMonth())));
                TARGETS.add(new Target(id++, zone, day, t));
                t = zone.getRules().nextTransition(t.getInstant());
            }
        }
        suppression = data.suppression();
        zones = ZoneIndex.build(directory);
    }

    @AfterContainer
    static void tearDown() throws IOException {
        data.close();
        try (var walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Sends nothing: the test settles every run as sent at once. */
    private static final class NoSender implements JourneyDeps.StepSender {
        @Override
        public CompletionStage<StepRun.Result> run(StepRun run) {
            return CompletableFuture.failedFuture(new UnsupportedOperationException("the test settles runs itself"));
        }

        @Override
        public void remove(StepRun run) {
        }
    }

    private static JourneyDefinition birthday(LocalTime at) throws IOException {
        return JourneyFixture.JSON.readValue("""
                {"name": "Birthday",
                 "entry": {"date": "birthday", "at": "%s"},
                 "reentry": {"policy": "once-per-window", "window": "PT1M"},
                 "start": "wishes",
                 "steps": [
                   {"id": "wishes", "type": "send", "channel": "sms", "category": "transactional", "sender": "acme",
                    "template": "Happy birthday!", "next": "done"},
                   {"id": "done", "type": "exit", "reason": "done"}]}
                """.formatted(at), JourneyDefinition.class);
    }

    @Property(tries = 60, seed = "20261207", shrinking = ShrinkingMode.OFF)
    void aDateEntryFiresOnceAtItsLocalTimeOnDstChangeDays(@ForAll @IntRange(min = 0, max = 13) int which,
                                                          @ForAll boolean nearTheChange,
                                                          @ForAll @IntRange(min = -90, max = 90) int offsetMinutes,
                                                          @ForAll @IntRange(min = 0, max = 1439) int minuteOfDay) throws Exception {
        Target target = TARGETS.get(which);
        LocalTime changeAt = target.change().isGap() ? target.change().getDateTimeBefore().toLocalTime()
                : target.change().getDateTimeAfter().toLocalTime();
        LocalTime at = nearTheChange ? changeAt.plusMinutes(offsetMinutes) : LocalTime.ofSecondOfDay(minuteOfDay * 60L);
        Instant from = target.day().minusDays(1).atStartOfDay().toInstant(java.time.ZoneOffset.UTC);
        Instant to = target.day().plusDays(2).atStartOfDay().toInstant(java.time.ZoneOffset.UTC);
        String what = target.zone() + " born " + target.day() + " (" + (target.change().isGap() ? "gap" : "overlap")
                + " at " + changeAt + "), entry at " + at;

        // the oracle: instant to local only
        LocalDateTime wanted = LocalDateTime.of(target.day(), at);
        Instant expected = null;
        for (Instant m = from; m.isBefore(to); m = m.plusSeconds(60)) {
            if (LocalDateTime.ofInstant(m, target.zone()).equals(wanted)) {
                expected = m;
                break;
            }
        }
        if (expected == null) {
            LocalDateTime moved = wanted.plus(target.change().getDuration()); // in the gap: later by its length
            for (Instant m = from; m.isBefore(to); m = m.plusSeconds(60)) {
                if (LocalDateTime.ofInstant(m, target.zone()).equals(moved)) {
                    expected = m;
                    break;
                }
            }
        }

        Path dir = root.resolve("try-" + TRIES.incrementAndGet());
        dev.herald.dispatcher.campaign.MutableClock clock = new dev.herald.dispatcher.campaign.MutableClock(from);
        String journeyId;
        try (JourneyStore store = JourneyStore.open(dir.resolve("journeys"), clock);
             Events events = Events.open(dir.resolve("journeys"))) {
            journeyId = store.create(birthday(at)).id();
            JourneyDeps deps = new JourneyDeps(dir.resolve("journeys"), store, events, directory, zones, suppression,
                    name -> Optional.empty(), dev.herald.dispatcher.funnel.Engagement.NONE, new NoSender(), clock);
            try (JourneyEngine engine = JourneyEngine.open(deps)) {
                while (clock.instant().isBefore(to)) {
                    for (StepRun run : engine.tick()) {
                        MutableRoaringBitmap sent = ImmutableRoaringBitmap.andNot(run.ids(), run.cancelled());
                        engine.finished(run, new StepRun.Result(Map.of("sent", sent), 0, true));
                    }
                    clock.advance(Duration.ofMinutes(1));
                }
            }
        }
        List<Instant> entries = new ArrayList<>();
        try (JourneyLog log = JourneyLog.open(dir.resolve("journeys").resolve(JourneyEngine.INSTANCES).resolve(journeyId + ".log"),
                rec -> {
                    if (rec instanceof Rec.EnterMany e && e.ids().contains(target.recipient())) {
                        entries.add(Instant.ofEpochMilli(e.at()));
                    }
                })) {
            assertEquals(List.of(expected), entries, what);
        }
    }
}
