package dev.herald.dispatcher.demo;

import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.demo.AudienceMix.Country;
import dev.herald.dispatcher.demo.AudienceMix.Segment;
import dev.herald.dispatcher.demo.SyntheticAudience.Progress;
import dev.herald.suppression.PhoneNumbers;
import dev.herald.suppression.Recipient;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionSnapshot;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SyntheticAudienceTest {

    private static final int N = 50_000;
    private static final long SEED = 7_301L;
    private static final AudienceSpec SPEC = AudienceSpec.defaults().withRecipients(N).withSeed(SEED);

    @TempDir
    static Path shared;
    private static AudienceSummary summary;
    private static List<Recipient> recipients;
    private static Map<Scope, Long> suppressedCounts;

    @BeforeAll
    static void populateOnce() throws IOException {
        System.out.println("SyntheticAudienceTest seed " + SEED);
        try (HeraldData data = SyntheticAudience.openData(shared.resolve("data"), N)) {
            summary = SyntheticAudience.of(SPEC).populate(data, Progress.NONE);
            recipients = readAll(data.directory());
            suppressedCounts = data.suppression().snapshot().counts();
        }
        System.out.println(summary.describe());
    }

    @Test
    void shouldRegisterEveryRecipientWithAValidDistinctNumberOfItsRegion() {
        assertEquals(N, summary.recipients());
        assertEquals(N, summary.created());
        assertEquals(N, recipients.size());
        Set<String> numbers = new HashSet<>();
        for (Recipient r : recipients) {
            assertEquals(r.region(), PhoneNumbers.international().normalize(r.e164()).region(), r.e164());
            assertTrue(numbers.add(r.e164()), () -> "duplicate " + r.e164());
            assertNotNull(r.locale(), r.e164());
            assertFalse(r.fields().getOrDefault("first_name", "").isBlank(), r.e164());
        }
    }

    @Test
    void shouldSpreadCountriesAsTheMixSays() {
        Map<String, Long> counted = new HashMap<>();
        recipients.forEach(r -> counted.merge(r.region(), 1L, Long::sum));
        assertEquals(counted, summary.perCountry());
        AudienceMix mix = AudienceMix.world();
        assertEquals(mix.countries().size(), counted.size());
        for (Country c : mix.countries()) {
            double p = mix.share(c.region());
            double sigma = Math.sqrt(N * p * (1 - p));
            long actual = counted.getOrDefault(c.region(), 0L);
            assertTrue(Math.abs(actual - N * p) <= 5 * sigma + 2, c.region() + ": " + actual + " vs " + N * p);
        }
        assertEquals(0.30, counted.get("US") / (double) N, 0.01);
    }

    @Test
    void shouldCoverHalfHourAndQuarterHourZonesWithExplicitOrDerivedZones() {
        Set<String> zones = new HashSet<>();
        int explicit = 0;
        for (Recipient r : recipients) {
            if (r.zone() != null) {
                explicit++;
                zones.add(r.zone());
            } else {
                List<String> derived = PhoneNumbers.zonesOf(r.e164());
                assertFalse(derived.isEmpty(), r.e164());
                zones.addAll(derived);
            }
        }
        for (String odd : List.of("Asia/Kolkata", "Asia/Kathmandu", "Asia/Tehran", "Asia/Yangon", "America/St_Johns",
                "Australia/Adelaide", "Australia/Lord_Howe", "Pacific/Chatham")) {
            var rules = ZoneId.of(odd).getRules();
            assertTrue(zones.stream().anyMatch(z -> ZoneId.of(z).getRules().equals(rules)), odd + " missing from " + zones);
            assertTrue(summary.perZone().containsKey(odd), odd);
        }
        assertTrue(explicit > N * 0.30 && explicit < N * 0.60, "explicit zones: " + explicit);
        assertTrue(explicit < N, "some zones must be derived from the number");
    }

    @Test
    void shouldSuppressAboutTenPercentSplitOverTheScopes() {
        double total = summary.suppressedTotal();
        assertEquals(0.10, total / N, 0.01);
        for (Scope scope : SPEC.scopeSplit().keySet()) {
            long count = summary.suppressed().get(scope);
            assertEquals(count, suppressedCounts.getOrDefault(scope, 0L), scope.toString());
            assertEquals(SPEC.scopeShare(scope), count / total, 0.03, scope.toString());
        }
        assertEquals(summary.suppressedTotal(), summary.suppressionChanges());
    }

    @Test
    void shouldBeIdempotentWhenRunAgainOnTheSameData() throws IOException {
        Path dir = shared.resolve("data");
        try (HeraldData data = SyntheticAudience.openData(dir, N)) {
            AudienceSummary again = SyntheticAudience.of(SPEC).populate(data, Progress.NONE);
            assertEquals(0, again.created());
            assertEquals(0, again.suppressionChanges());
            assertEquals(N, data.directory().size());
            assertEquals(summary.suppressed(), again.suppressed());
            assertEquals(suppressedCounts, data.suppression().snapshot().counts());
        }
    }

    @Test
    void shouldGiveTheSameIdsNumbersAndOptOutsForTheSameSeed(@TempDir Path other) throws IOException {
        AudienceSpec small = SPEC.withRecipients(5_000);
        List<Recipient> first;
        List<Recipient> second;
        SuppressionSnapshot firstSuppressed;
        SuppressionSnapshot secondSuppressed;
        try (HeraldData a = SyntheticAudience.openData(other.resolve("a"), 5_000);
             HeraldData b = SyntheticAudience.openData(other.resolve("b"), 5_000)) {
            SyntheticAudience.of(small).populate(a, Progress.NONE);
            SyntheticAudience.of(small).populate(b, Progress.NONE);
            first = readAll(a.directory());
            second = readAll(b.directory());
            firstSuppressed = a.suppression().snapshot();
            secondSuppressed = b.suppression().snapshot();
            for (Scope scope : small.scopeSplit().keySet()) {
                assertEquals(firstSuppressed.export(scope), secondSuppressed.export(scope), scope.toString());
            }
        }
        assertEquals(first, second);
        try (HeraldData c = SyntheticAudience.openData(other.resolve("c"), 5_000)) {
            SyntheticAudience.of(small.withSeed(SEED + 1)).populate(c, Progress.NONE);
            assertNotEquals(first.get(0).e164(), c.directory().get(0).orElseThrow().e164());
        }
    }

    @Test
    void shouldReportProgressUpToTheTotal(@TempDir Path dir) throws IOException {
        List<String> seen = new ArrayList<>();
        try (HeraldData data = SyntheticAudience.openData(dir, 2_000)) {
            SyntheticAudience.of(SPEC.withRecipients(2_000))
                    .populate(data, (phase, done, total) -> seen.add(phase + " " + done + "/" + total));
        }
        assertTrue(seen.contains("import 2000/2000"), seen.toString());
        String last = seen.get(seen.size() - 1);
        assertTrue(last.startsWith("suppress "), seen.toString());
        String[] doneOfTotal = last.substring("suppress ".length()).split("/");
        assertEquals(doneOfTotal[1], doneOfTotal[0], seen.toString());
    }

    @Test
    void shouldRefuseAMixWithInvalidOrOverlappingNumbers() {
        Country ofcomDrama = new Country("GB", 44, "en-GB", List.of("Ann"),
                List.of(Segment.of("Europe/London", 1, 3, "7700900")));
        IllegalArgumentException invalid = assertThrows(IllegalArgumentException.class,
                () -> SyntheticAudience.of(SPEC.withMix(new AudienceMix(List.of(ofcomDrama)))));
        assertTrue(invalid.getMessage().contains("+447700900"), invalid.getMessage());

        assertThrows(IllegalArgumentException.class, () -> new AudienceMix(List.of(new Country("DE", 49, "de-DE",
                List.of("Max"), List.of(Segment.of("Europe/Berlin", 1, 8, "151"),
                        Segment.of("Europe/Berlin", 1, 7, "1512"))))));
    }

    @Test
    void shouldHaveRoomForTenMillionRecipients() {
        SyntheticAudience big = SyntheticAudience.of(AudienceSpec.defaults().withRecipients(10_000_000));
        assertEquals(10_000_000, big.spec().recipients());
        assertThrows(IllegalArgumentException.class,
                () -> SyntheticAudience.of(AudienceSpec.defaults().withRecipients(Integer.MAX_VALUE)));
    }

    private static List<Recipient> readAll(RecipientDirectory directory) {
        List<Recipient> all = new ArrayList<>(directory.size());
        for (int id = 0; id < directory.size(); id++) {
            all.add(directory.get(id).orElseThrow());
        }
        return all;
    }
}
