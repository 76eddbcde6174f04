package dev.herald.suppression;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberToTimeZonesMapper;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.PhoneNumberUtil.PhoneNumberFormat;
import com.google.i18n.phonenumbers.Phonenumber.PhoneNumber;
import dev.herald.suppression.InvalidPhoneNumberException.Reason;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Phone-number normalisation to E.164 with libphonenumber, and the {@code long} key that stands
 * for an E.164 number in the recipient directory.
 *
 * <p>{@code long key = PhoneNumbers.withDefaultRegion("GB").normalize("07400 123456").key();}
 *
 * <p>Two levels of checking:
 * <ul>
 *   <li>{@link #normalize} is for registration: it always validates fully against the numbering
 *       plan ({@code isValidNumber}) and returns the number's region.</li>
 *   <li>{@link #lookupKey} is for lookups: input already in canonical E.164 form ({@code +}, then 8
 *       to 15 digits, the first non-zero) is converted without libphonenumber; anything else is
 *       parsed but not validated, since an invalid number can never have been registered and so is
 *       simply not found.</li>
 * </ul>
 * Canonical E.164 input is always taken literally (libphonenumber's national-prefix stripping is
 * not applied to it), so registering and looking up the same canonical string always agree.
 *
 * <p>National-format input ({@code 07400 123456}) needs a default region; without one it is
 * rejected with {@link Reason#NO_DEFAULT_REGION}. Letters (vanity numbers) and extensions are
 * rejected as {@link Reason#NOT_A_NUMBER}: an SMS cannot be sent to either.
 *
 * <p><b>Threads.</b> libphonenumber's shared instance keeps one regular-expression cache behind a
 * single lock, which every thread parsing, validating or typing a number queues on: 64 cluster
 * partitions resolving their recipients' time zones at once spent most of their time waiting for
 * it. Each caller here borrows an instance of its own from a pool (as many as ever ran at once;
 * each loads the metadata of the regions it meets), and time zones are found without the
 * mapper's own calls to the shared instance ({@link #zonesOf}).
 *
 * <p>Immutable and thread-safe.
 */
public final class PhoneNumbers {

    /** E.164 allows at most 15 digits, so every number fits in a {@code long}. */
    public static final int MAX_DIGITS = 15;

    private static final PhoneNumberUtil UTIL = PhoneNumberUtil.getInstance();
    /** Instances not in use, one per caller at a time (see the class comment). */
    private static final java.util.concurrent.ConcurrentLinkedQueue<PhoneNumberUtil> POOL =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    private static final PhoneNumberToTimeZonesMapper ZONES = PhoneNumberToTimeZonesMapper.getInstance();
    /** Zones of a country's non-geographic numbers (mobile ones, mostly): they depend on the country code alone. */
    private static final java.util.concurrent.ConcurrentHashMap<Integer, List<String>> COUNTRY_ZONES =
            new java.util.concurrent.ConcurrentHashMap<>();
    private static final String UNKNOWN_REGION = "ZZ";
    private static final boolean[] CALLING_CODES = callingCodes();
    private static final PhoneNumbers INTERNATIONAL = new PhoneNumbers(null);

    private final String defaultRegion;

    /** A number that passed full validation: its E.164 form, its key and its region. */
    public record Normalized(String e164, long key, String region) {
        /** @throws NullPointerException if {@code e164} or {@code region} is null */
        public Normalized {
            Objects.requireNonNull(e164, "e164");
            Objects.requireNonNull(region, "region");
        }
    }

    private PhoneNumbers(String defaultRegion) {
        this.defaultRegion = defaultRegion;
    }

    /** @return normalisation that accepts international format ({@code +44...}) only */
    public static PhoneNumbers international() {
        return INTERNATIONAL;
    }

    /**
     * @param region ISO 3166 alpha-2 code used for national-format input, case-insensitive; null
     *               for none
     * @return normalisation with that default region
     * @throws IllegalArgumentException if libphonenumber does not know the region
     */
    public static PhoneNumbers withDefaultRegion(String region) {
        return region == null ? INTERNATIONAL : new PhoneNumbers(canonicalRegion(region));
    }

    /**
     * @param region an ISO 3166 alpha-2 code, any case
     * @return the upper-case code
     * @throws IllegalArgumentException if libphonenumber does not know the region
     * @throws NullPointerException     if {@code region} is null
     */
    public static String canonicalRegion(String region) {
        String upper = Objects.requireNonNull(region, "region").strip().toUpperCase(Locale.ROOT);
        if (!UTIL.getSupportedRegions().contains(upper)) {
            throw new IllegalArgumentException("unknown region '" + region
                    + "': expected an ISO 3166 alpha-2 code such as GB or US");
        }
        return upper;
    }

    /** @return the region used for national-format input, if any */
    public Optional<String> defaultRegion() {
        return Optional.ofNullable(defaultRegion);
    }

    /**
     * Fully validates {@code input} (numbering plan included) and returns its E.164 form.
     *
     * @param input a phone number in international or (with a default region) national format
     * @return the validated number with its key and region ("001" for non-geographic numbers)
     * @throws InvalidPhoneNumberException if the input is not a valid phone number
     * @throws NullPointerException        if {@code input} is null
     */
    public Normalized normalize(String input) {
        Objects.requireNonNull(input, "phone");
        long canonical = canonicalKey(input);
        PhoneNumber number = canonical >= 0 ? fromE164Digits(input) : parse(input);
        PhoneNumberUtil util = borrow();
        String region;
        try {
            region = util.getRegionCodeForNumber(number);
            if (region == null || !util.isValidNumberForRegion(number, region)) {
                throw new InvalidPhoneNumberException(whyInvalid(util, number), input);
            }
        } finally {
            POOL.offer(util);
        }
        if (canonical >= 0) {
            return new Normalized(input, canonical, region);
        }
        long key = keyOf(number, input);
        return new Normalized(fromKey(key), key, region);
    }

    /**
     * The directory key for a lookup. Canonical E.164 input takes a fast path without
     * libphonenumber; other input is parsed (not validated against the numbering plan).
     *
     * @param input a phone number in international or (with a default region) national format
     * @return the key: the E.164 digits as a number
     * @throws InvalidPhoneNumberException if non-canonical input cannot be read as a phone number
     * @throws NullPointerException        if {@code input} is null
     */
    public long lookupKey(String input) {
        Objects.requireNonNull(input, "phone");
        long canonical = canonicalKey(input);
        return canonical >= 0 ? canonical : keyOf(parse(input), input);
    }

    /**
     * @param s any text
     * @return whether {@code s} is {@code +} then 8 to 15 digits, the first non-zero
     */
    public static boolean isCanonicalE164(CharSequence s) {
        int n = s.length();
        if (n < 9 || n > MAX_DIGITS + 1 || s.charAt(0) != '+' || s.charAt(1) < '1' || s.charAt(1) > '9') {
            return false;
        }
        for (int i = 2; i < n; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    /**
     * @param e164 an E.164 number: {@code +}, then 1 to 15 digits, the first non-zero
     * @return its digits as a {@code long}; leading digit non-zero, so the mapping is one-to-one
     * @throws IllegalArgumentException if {@code e164} is not in that form
     */
    public static long toKey(String e164) {
        int n = Objects.requireNonNull(e164, "e164").length();
        if (n < 2 || n > MAX_DIGITS + 1 || e164.charAt(0) != '+' || e164.charAt(1) == '0') {
            throw new IllegalArgumentException("not an E.164 number: '" + e164 + "'");
        }
        long key = 0;
        for (int i = 1; i < n; i++) {
            char c = e164.charAt(i);
            if (c < '0' || c > '9') {
                throw new IllegalArgumentException("not an E.164 number: '" + e164 + "'");
            }
            key = key * 10 + (c - '0');
        }
        return key;
    }

    /**
     * @param key a key made by {@link #toKey}
     * @return the E.164 number, e.g. {@code +447400123456}
     * @throws IllegalArgumentException if {@code key} is not positive or has more than 15 digits
     */
    public static String fromKey(long key) {
        if (key <= 0 || key > 999_999_999_999_999L) {
            throw new IllegalArgumentException("not an E.164 key: " + key);
        }
        return "+" + key;
    }

    /**
     * The IANA time zones libphonenumber associates with a number's prefix: one for most
     * numbers, several for (mobile) numbers of countries that span zones.
     *
     * @param e164 an E.164 number
     * @return the zone ids; empty when unknown (never {@code Etc/Unknown})
     * @throws IllegalArgumentException if {@code e164} is not an E.164 number
     */
    public static List<String> zonesOf(String e164) {
        toKey(e164);
        PhoneNumber number;
        try {
            number = fromE164Digits(e164);
        } catch (InvalidPhoneNumberException e) {
            return List.of();
        }
        List<String> zones = timeZones(number);
        if (zones.isEmpty() || zones.contains(PhoneNumberToTimeZonesMapper.getUnknownTimeZone())) {
            return List.of();
        }
        return List.copyOf(zones);
    }

    /**
     * What {@link PhoneNumberToTimeZonesMapper#getTimeZonesForNumber} answers, with the number's
     * type found by a borrowed instance rather than the shared one the mapper asks: unknown type,
     * the unknown zone; a non-geographic type, the country's zones (looked up once per country);
     * else the zones of the number's prefix.
     */
    static List<String> timeZones(PhoneNumber number) {
        PhoneNumberUtil util = borrow();
        PhoneNumberUtil.PhoneNumberType type;
        boolean geographical;
        try {
            type = util.getNumberType(number);
            geographical = type != PhoneNumberUtil.PhoneNumberType.UNKNOWN
                    && util.isNumberGeographical(type, number.getCountryCode());
        } finally {
            POOL.offer(util);
        }
        if (type == PhoneNumberUtil.PhoneNumberType.UNKNOWN) {
            return List.of(PhoneNumberToTimeZonesMapper.getUnknownTimeZone());
        }
        if (!geographical) {
            // the mapper's own answer for the first such number of the country: it depends on the country code only
            return COUNTRY_ZONES.computeIfAbsent(number.getCountryCode(), cc -> List.copyOf(ZONES.getTimeZonesForNumber(number)));
        }
        return ZONES.getTimeZonesForGeographicalNumber(number);
    }

    /** @return an instance no other thread uses until it is offered back to {@link #POOL} */
    private static PhoneNumberUtil borrow() {
        PhoneNumberUtil util = POOL.poll();
        return util != null ? util : PhoneNumberUtil.createInstance(
                com.google.i18n.phonenumbers.metadata.DefaultMetadataDependenciesProvider.getInstance().getMetadataLoader());
    }

    /** The digits of canonical input as a key, or -1 when the input is not canonical. */
    private static long canonicalKey(String s) {
        return isCanonicalE164(s) ? Long.parseLong(s, 1, s.length(), 10) : -1;
    }

    /**
     * Builds the number exactly as written in E.164 form (what libphonenumber's parse does for
     * {@code +} input, minus its regular expressions and national-prefix heuristics).
     */
    private static PhoneNumber fromE164Digits(String e164) {
        for (int ccLength = 1; ccLength <= 3 && ccLength < e164.length() - 1; ccLength++) {
            int cc = Integer.parseInt(e164, 1, 1 + ccLength, 10);
            if (CALLING_CODES[cc]) {
                String nsn = e164.substring(1 + ccLength);
                PhoneNumber number = new PhoneNumber().setCountryCode(cc);
                if (nsn.length() > 1 && nsn.charAt(0) == '0') {
                    number.setItalianLeadingZero(true);
                    int zeros = 1;
                    while (zeros < nsn.length() - 1 && nsn.charAt(zeros) == '0') {
                        zeros++;
                    }
                    if (zeros != 1) {
                        number.setNumberOfLeadingZeros(zeros);
                    }
                }
                return number.setNationalNumber(Long.parseLong(nsn));
            }
        }
        throw new InvalidPhoneNumberException(Reason.INVALID_COUNTRY_CODE, e164);
    }

    private PhoneNumber parse(String input) {
        String s = input.strip();
        if (s.isEmpty()) {
            throw new InvalidPhoneNumberException(Reason.EMPTY, input);
        }
        for (int i = 0; i < s.length(); i++) {
            if (Character.isLetter(s.charAt(i))) {
                throw new InvalidPhoneNumberException(Reason.NOT_A_NUMBER, input);
            }
        }
        PhoneNumber number;
        PhoneNumberUtil util = borrow();
        try {
            number = util.parse(s, defaultRegion == null ? UNKNOWN_REGION : defaultRegion);
        } catch (NumberParseException e) {
            throw new InvalidPhoneNumberException(reasonFor(e.getErrorType(), s), input);
        } finally {
            POOL.offer(util);
        }
        if (number.hasExtension()) {
            throw new InvalidPhoneNumberException(Reason.NOT_A_NUMBER, input);
        }
        return number;
    }

    private Reason reasonFor(NumberParseException.ErrorType type, String stripped) {
        switch (type) {
            case INVALID_COUNTRY_CODE:
                boolean international = stripped.charAt(0) == '+' || stripped.charAt(0) == '\uFF0B';
                return defaultRegion == null && !international ? Reason.NO_DEFAULT_REGION : Reason.INVALID_COUNTRY_CODE;
            case TOO_SHORT_AFTER_IDD:
            case TOO_SHORT_NSN:
                return Reason.TOO_SHORT;
            case TOO_LONG:
                return Reason.TOO_LONG;
            case NOT_A_NUMBER:
            default:
                return Reason.NOT_A_NUMBER;
        }
    }

    private static Reason whyInvalid(PhoneNumberUtil util, PhoneNumber number) {
        switch (util.isPossibleNumberWithReason(number)) {
            case TOO_SHORT:
            case IS_POSSIBLE_LOCAL_ONLY: // a subscriber number without its area code
                return Reason.TOO_SHORT;
            case TOO_LONG:
                return Reason.TOO_LONG;
            case INVALID_COUNTRY_CODE:
                return Reason.INVALID_COUNTRY_CODE;
            default:
                return Reason.NOT_VALID;
        }
    }

    private static long keyOf(PhoneNumber number, String input) {
        String e164 = UTIL.format(number, PhoneNumberFormat.E164);
        if (e164.length() > MAX_DIGITS + 1) {
            throw new InvalidPhoneNumberException(Reason.TOO_LONG, input);
        }
        return toKey(e164);
    }

    private static boolean[] callingCodes() {
        boolean[] codes = new boolean[1000];
        for (int cc : UTIL.getSupportedCallingCodes()) {
            codes[cc] = true;
        }
        return codes;
    }
}
