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
}
