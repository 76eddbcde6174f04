package dev.herald.suppression;

import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.PhoneNumberUtil.PhoneNumberFormat;
import com.google.i18n.phonenumbers.PhoneNumberUtil.PhoneNumberType;
import com.google.i18n.phonenumbers.Phonenumber.PhoneNumber;
import dev.herald.suppression.InvalidPhoneNumberException.Reason;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PhoneNumbersTest {

    private static final PhoneNumbers GB = PhoneNumbers.withDefaultRegion("gb");
    private static final PhoneNumbers NONE = PhoneNumbers.international();

    @Test
    void shouldNormaliseNationalFormatWithDefaultRegion() {
        PhoneNumbers.Normalized n = GB.normalize("07400 123456");
        assertEquals("+447400123456", n.e164());
        assertEquals(447400123456L, n.key());
        assertEquals("GB", n.region());
        assertEquals("+447400123456", GB.normalize("0044 7400 123456").e164());
    }

    @Test
    void shouldRejectNationalFormatWithoutDefaultRegionWithClearReason() {
        InvalidPhoneNumberException e = assertThrows(InvalidPhoneNumberException.class, () -> NONE.normalize("07400 123456"));
        assertEquals(Reason.NO_DEFAULT_REGION, e.reason());
        assertEquals("07400 123456", e.input());
        assertTrue(e.getMessage().contains("'07400 123456'") && e.getMessage().contains("without a default region"),
                e.getMessage());
        assertEquals(Reason.NO_DEFAULT_REGION,
                assertThrows(InvalidPhoneNumberException.class, () -> NONE.lookupKey("07400 123456")).reason());
    }

    @ParameterizedTest
    @ValueSource(strings = {"+447400123456", "+44 7400 123456", "+44-7400-123-456", "+44 (0) 7400 123456",
            "(+44) 7400 123456", " +44 7400 123456 ", "+44.7400.123.456", "\uFF0B44 7400 123456"})
    void shouldAcceptInternationalFormatsWithSpacesDashesAndParentheses(String input) {
        PhoneNumbers.Normalized n = NONE.normalize(input);
        assertEquals("+447400123456", n.e164());
        assertEquals("GB", n.region());
        assertEquals(447400123456L, NONE.lookupKey(input));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "+44 7400 CALLME         | NOT_A_NUMBER",
            "call me                 | NOT_A_NUMBER",
            "+1 415 555 2671 ext 5   | NOT_A_NUMBER",
            "+447400123456#12        | NOT_A_NUMBER",
            "---                     | NOT_A_NUMBER",
            "+44 12                  | TOO_SHORT",
            "+447400                 | TOO_SHORT",
            "+44 7400 123456 789012  | TOO_LONG",
            "+4474001234567890       | TOO_LONG",
            "+999 1234 5678          | INVALID_COUNTRY_CODE",
            "+99912345678            | INVALID_COUNTRY_CODE",
            "+447700900123           | NOT_VALID",
            "+1 555 123 4567         | NOT_VALID",
    })
    void shouldRejectInvalidNumbersNamingTheReason(String input, Reason reason) {
        InvalidPhoneNumberException e = assertThrows(InvalidPhoneNumberException.class, () -> GB.normalize(input));
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(input.strip()) && e.getMessage().endsWith(reason.text()), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "\t"})
    void shouldRejectEmptyInput(String input) {
        assertEquals(Reason.EMPTY, assertThrows(InvalidPhoneNumberException.class, () -> GB.normalize(input)).reason());
        assertEquals(Reason.EMPTY, assertThrows(InvalidPhoneNumberException.class, () -> GB.lookupKey(input)).reason());
    }

    @Test
    void shouldTakeFastPathForCanonicalLookupsWithoutValidating() {
        assertEquals(447400123456L, NONE.lookupKey("+447400123456"));
        // Not a valid number, but a lookup just computes the key: such a number is never found.
        assertEquals(99912345678L, NONE.lookupKey("+99912345678"));
        assertTrue(PhoneNumbers.isCanonicalE164("+12345678"));
        assertTrue(PhoneNumbers.isCanonicalE164("+123456789012345"));
        assertFalse(PhoneNumbers.isCanonicalE164("+1234567"));
        assertFalse(PhoneNumbers.isCanonicalE164("+1234567890123456"));
        assertFalse(PhoneNumbers.isCanonicalE164("+0123456789"));
        assertFalse(PhoneNumbers.isCanonicalE164("447400123456"));
        assertFalse(PhoneNumbers.isCanonicalE164("+44 7400123456"));
    }

    @Test
    void shouldValidateShortNumbersAndLeadingZerosExactly() {
        assertEquals("NU", NONE.normalize("+6834002").region());
        PhoneNumbers.Normalized rome = NONE.normalize("+390612345678");
        assertEquals("IT", rome.region());
        assertEquals("+390612345678", NONE.normalize("+39 06 1234 5678").e164());
        assertEquals("001", NONE.normalize("+80012345678").region());
    }

    /** Every region's example numbers: the canonical fast path and libphonenumber's parse agree. */
    @Test
    void shouldAgreeBetweenFastPathAndFullParseForEveryRegion() {
        PhoneNumberUtil util = PhoneNumberUtil.getInstance();
        int checked = 0;
        for (String region : util.getSupportedRegions()) {
            for (PhoneNumberType type : List.of(PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE)) {
                PhoneNumber example = util.getExampleNumberForType(region, type);
                if (example == null) {
                    continue;
                }
                String e164 = util.format(example, PhoneNumberFormat.E164);
                String spaced = util.format(example, PhoneNumberFormat.INTERNATIONAL);
                PhoneNumbers.Normalized fast = NONE.normalize(e164);
                PhoneNumbers.Normalized slow = NONE.normalize(spaced);
                assertEquals(slow, fast, region + " " + type);
                assertEquals(e164, fast.e164());
                assertEquals(fast.key(), NONE.lookupKey(spaced), spaced);
                assertEquals(fast.key(), PhoneNumbers.withDefaultRegion(region)
                        .normalize(util.format(example, PhoneNumberFormat.NATIONAL)).key(), region + " national");
                checked++;
            }
        }
        assertTrue(checked > 400, "checked " + checked);
    }

    @Property(seed = "42")
    void shouldRoundTripKeys(@ForAll @LongRange(min = 1, max = 999_999_999_999_999L) long key) {
        String e164 = PhoneNumbers.fromKey(key);
        assertEquals(key, PhoneNumbers.toKey(e164));
        assertEquals(e164, "+" + key);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "+", "447400123456", "+0447400123456", "+4474001234567890", "+44 7400", "+44a"})
    void shouldRefuseNonE164Keys(String input) {
        assertThrows(IllegalArgumentException.class, () -> PhoneNumbers.toKey(input));
    }

    @Test
    void shouldRefuseKeysOutOfRange() {
        assertThrows(IllegalArgumentException.class, () -> PhoneNumbers.fromKey(0));
        assertThrows(IllegalArgumentException.class, () -> PhoneNumbers.fromKey(-5));
        assertThrows(IllegalArgumentException.class, () -> PhoneNumbers.fromKey(1_000_000_000_000_000L));
    }

    @Test
    void shouldLookUpZonesOfNumbers() {
        assertEquals(List.of("Europe/London"), PhoneNumbers.zonesOf("+442079460958"));
        assertEquals(List.of("America/Los_Angeles"), PhoneNumbers.zonesOf("+14155552671"));
        List<String> australia = PhoneNumbers.zonesOf("+61491570006");
        assertTrue(australia.size() > 1 && australia.contains("Australia/Sydney"), australia.toString());
        assertEquals(List.of(), PhoneNumbers.zonesOf("+80012345678"));
        assertEquals(List.of(), PhoneNumbers.zonesOf("+99912345678"));
        assertThrows(IllegalArgumentException.class, () -> PhoneNumbers.zonesOf("+44 20 7946 0958"));
    }

    @Test
    void shouldRefuseUnknownDefaultRegion() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PhoneNumbers.withDefaultRegion("XX"));
        assertTrue(e.getMessage().contains("unknown region 'XX'"), e.getMessage());
        assertEquals("GB", GB.defaultRegion().orElseThrow());
        assertTrue(NONE.defaultRegion().isEmpty());
    }

    @Test
    void shouldAbbreviateHugeInputInMessageButKeepItWhole() {
        String huge = "+44" + "1".repeat(10_000);
        InvalidPhoneNumberException e = assertThrows(InvalidPhoneNumberException.class, () -> GB.normalize(huge));
        assertEquals(Reason.TOO_LONG, e.reason());
        assertEquals(huge, e.input());
        assertTrue(e.getMessage().length() < 100, e.getMessage());
    }

    /**
     * {@link PhoneNumbers#timeZones} answers what libphonenumber's mapper answers, for example numbers
     * of every region and type and for numbers around them (valid, invalid, of every length), and the
     * same from many threads at once as from one.
     */
    @Test
    void shouldFindTheSameTimeZonesAsTheMapperForEveryRegionAndTypeAndFromManyThreads() throws Exception {
        PhoneNumberUtil util = PhoneNumberUtil.getInstance();
        com.google.i18n.phonenumbers.PhoneNumberToTimeZonesMapper mapper =
                com.google.i18n.phonenumbers.PhoneNumberToTimeZonesMapper.getInstance();
        java.util.List<PhoneNumber> numbers = new java.util.ArrayList<>();
        java.util.Random random = new java.util.Random(20261207);
        for (String region : util.getSupportedRegions()) {
            for (PhoneNumberType type : PhoneNumberType.values()) {
                PhoneNumber example = util.getExampleNumberForType(region, type);
                if (example == null) {
                    continue;
                }
                for (int k = 0; k < 6; k++) {
                    long nsn = k == 0 ? example.getNationalNumber()
                            : k < 3 ? example.getNationalNumber() + random.nextInt(1000)
                            : example.getNationalNumber() / 10 * 10 + random.nextInt(10) + (k == 5 ? 1_000_000_000L : 0);
                    numbers.add(new PhoneNumber().setCountryCode(example.getCountryCode()).setNationalNumber(nsn));
                }
            }
        }
        for (int cc : util.getSupportedGlobalNetworkCallingCodes()) {
            PhoneNumber example = util.getExampleNumberForNonGeoEntity(cc);
            if (example != null) {
                numbers.add(example);
            }
        }
        assertTrue(numbers.size() > 5_000, "numbers tried: " + numbers.size());
        java.util.List<java.util.List<String>> expected = new java.util.ArrayList<>();
        for (PhoneNumber n : numbers) {
            expected.add(mapper.getTimeZonesForNumber(n));
            assertEquals(expected.get(expected.size() - 1), PhoneNumbers.timeZones(n), n.toString());
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            java.util.List<java.util.concurrent.Future<Integer>> runs = new java.util.ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int offset = t * 997;
                runs.add(pool.submit(() -> {
                    int same = 0;
                    for (int i = 0; i < numbers.size(); i++) {
                        int j = (i + offset) % numbers.size();
                        if (expected.get(j).equals(PhoneNumbers.timeZones(numbers.get(j)))) {
                            same++;
                        }
                    }
                    return same;
                }));
            }
            for (java.util.concurrent.Future<Integer> r : runs) {
                assertEquals(numbers.size(), r.get(), "every answer as the mapper's, from 8 threads at once");
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
