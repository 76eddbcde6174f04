package dev.herald.throttle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * The ledger against a brute-force model of each window kind, over random send attempts for one
 * recipient (a fresh id per try, one shared ledger). Attempt times fall on a quarter-window grid
 * plus a little jitter, so exact window edges are hit often.
 */
class SendLedgerWindowPropertyTest {

    private static final Instant BASE = Instant.parse("2026-03-06T00:00:00Z"); // spans the US and EU DST changes
    private static final AtomicInteger NEXT_ID = new AtomicInteger();
    private static final Map<String, SendLedger> LEDGERS = new HashMap<>();
    private static final List<Path> DIRS = new ArrayList<>();

    private static synchronized SendLedger ledger(CapRule rule) throws IOException {
        String key = rule.toString();
        SendLedger l = LEDGERS.get(key);
        if (l == null) {
            Path dir = Files.createTempDirectory("cap-prop");
            DIRS.add(dir);
            l = SendLedger.open(dir, FrequencyCaps.of(List.of(rule)), new SendLedgerOptions(SendLedgerOptions.Store.MMAP, 8, 1), n -> null);
            LEDGERS.put(key, l);
        }
        return l;
    }

    @AfterContainer
    static void closeAll() throws IOException {
        LEDGERS.values().forEach(SendLedger::close);
        LEDGERS.clear();
        for (Path d : DIRS) {
            try (var files = Files.walk(d)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Provide
    Arbitrary<ZoneId> zones() {
        return Arbitraries.of("America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kathmandu",
                "Pacific/Chatham", "America/Santiago").map(ZoneId::of);
    }

    @Property(seed = "42017", tries = 300)
    void rollingWindowAllowsExactlyNSendsInAnyWindowOfLengthD(@ForAll @IntRange(min = 1, max = 5) int limit,
            @ForAll @Size(min = 1, max = 40) List<@IntRange(min = 0, max = 40) Integer> quarterSteps,
            @ForAll @Size(max = 40) List<@IntRange(min = -1, max = 1) Integer> jitter) throws IOException {
        long d = 6 * 3600;
        CapRule rule = new CapRule("rolling", limit, CapWindow.rolling(Duration.ofSeconds(d)), CapScope.MARKETING,
                Optional.empty(), CapAction.DROP);
        SendLedger ledger = ledger(rule);
        int id = NEXT_ID.getAndIncrement();
        CapContext ctx = CapContext.marketing("sms", "promo", ZoneId.of("UTC"));
        List<Long> granted = new ArrayList<>();
        long t = BASE.getEpochSecond();
        for (int i = 0; i < quarterSteps.size(); i++) {
            t += quarterSteps.get(i) * (d / 4) / 4 + (i < jitter.size() ? jitter.get(i) : 0);
            final long now = t;
            long inWindow = granted.stream().filter(s -> s > now - d).count(); // model: (now - D, now]
            boolean expected = inWindow < limit;
            boolean actual = ledger.reserve(id, ctx, Instant.ofEpochSecond(now)).isReserved();
            assertEquals(expected, actual, "attempt " + i + " at +" + (now - BASE.getEpochSecond()) + " s, granted " + granted);
            if (actual) {
                granted.add(now);
            }
        }
    }

    @Property(seed = "42018", tries = 300)
    void calendarDayCapResetsAtLocalMidnight(@ForAll("zones") ZoneId zone, @ForAll @IntRange(min = 1, max = 3) int limit,
            @ForAll @Size(min = 1, max = 30) List<@IntRange(min = 0, max = 6 * 3600) Integer> gaps) throws IOException {
        CapRule rule = new CapRule("daily", limit, CapWindow.calendar(CapWindow.Period.DAY), CapScope.MARKETING,
                Optional.empty(), CapAction.DEFER);
        SendLedger ledger = ledger(rule);
        int id = NEXT_ID.getAndIncrement();
        CapContext ctx = CapContext.marketing("sms", "promo", zone);
        Map<LocalDate, Integer> perDay = new HashMap<>();
        long t = BASE.getEpochSecond();
        for (int gap : gaps) {
            t += gap;
            LocalDate day = LocalDate.ofInstant(Instant.ofEpochSecond(t), zone);
            int sent = perDay.getOrDefault(day, 0);
            Reservation r = ledger.reserve(id, ctx, Instant.ofEpochSecond(t));
            assertEquals(sent < limit, r.isReserved(), "at " + Instant.ofEpochSecond(t).atZone(zone));
            if (r.isReserved()) {
                perDay.merge(day, 1, Integer::sum);
            } else {
                assertEquals(day.plusDays(1).atStartOfDay(zone).toInstant(), r.until(), "deferred to the next local midnight");
            }
        }
    }
}
