package dev.herald.dispatcher.demo;

import dev.herald.suppression.PhoneNumbers;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Which countries and time zones a synthetic audience is drawn from, with what weights, and from
 * which number ranges.
 *
 * <p>{@code AudienceMix mix = AudienceMix.world(); double usShare = mix.share("US");}
 *
 * <p>Each {@link Segment} is one time zone of one country with the number prefixes its
 * recipients get: a number is {@code +<callingCode><prefix><freeDigits random digits>}. Every
 * such number must be valid for libphonenumber (a mobile range, or a geographic range for NANP
 * countries, whose numbers are not typed); {@link SyntheticAudience} checks samples of every
 * prefix when it is built, and the directory import validates every number it generates. No two
 * segments of one calling code may produce the same number: their prefixes of equal number length
 * must not be prefixes of one another, which is checked here.
 *
 * <p>Immutable and thread-safe.
 *
 * @param countries the countries, each with at least one segment
 */
public record AudienceMix(List<Country> countries) {

    /**
     * One country of the mix.
     *
     * @param region      ISO 3166 alpha-2 code, e.g. {@code GB}
     * @param callingCode its country calling code, e.g. 44
     * @param locale      BCP 47 tag written for its recipients, e.g. {@code en-GB}
     * @param firstNames  names drawn for the {@code first_name} field
     * @param segments    its time zones and number ranges
     */
    public record Country(String region, int callingCode, String locale, List<String> firstNames,
                          List<Segment> segments) {
        /** @throws IllegalArgumentException if a value is missing, blank or out of range */
        public Country {
            region = PhoneNumbers.canonicalRegion(region);
            if (callingCode < 1 || callingCode > 999) {
                throw new IllegalArgumentException(region + ": calling code must be 1-999, got " + callingCode);
            }
            if (locale == null || locale.isBlank()) {
                throw new IllegalArgumentException(region + ": locale is missing");
            }
            firstNames = List.copyOf(firstNames);
            segments = List.copyOf(segments);
            if (firstNames.isEmpty() || segments.isEmpty()) {
                throw new IllegalArgumentException(region + ": needs at least one first name and one segment");
            }
            for (String name : firstNames) {
                if (name.isBlank() || name.indexOf(',') >= 0 || name.indexOf('"') >= 0) {
                    throw new IllegalArgumentException(region + ": first name '" + name
                            + "' must be non-blank, without commas or quotes");
                }
            }
        }

        /** @return the sum of its segments' weights */
        public double weight() {
            return segments.stream().mapToDouble(Segment::weight).sum();
        }
    }

    /**
     * One time zone of a country and the number prefixes of its recipients.
     *
     * @param zone       IANA zone id the recipients live in, e.g. {@code Asia/Kathmandu}
     * @param weight     relative share of the whole audience, e.g. 0.5 for half a percent when the
     *                   weights sum to 100; {@code > 0}
     * @param freeDigits random digits after each prefix, 1-12
     * @param prefixes   national-number prefixes, digits only, e.g. {@code 740}
     */
    public record Segment(String zone, double weight, int freeDigits, List<String> prefixes) {
        /** @throws IllegalArgumentException if the zone is unknown or a value is out of range */
        public Segment {
            ZoneId.of(Objects.requireNonNull(zone, "zone"));
            if (!(weight > 0) || Double.isInfinite(weight)) {
                throw new IllegalArgumentException(zone + ": weight must be > 0, got " + weight);
            }
            if (freeDigits < 1 || freeDigits > 12) {
                throw new IllegalArgumentException(zone + ": free digits must be 1-12, got " + freeDigits);
            }
            prefixes = List.copyOf(prefixes);
            if (prefixes.isEmpty()) {
                throw new IllegalArgumentException(zone + ": needs at least one prefix");
            }
            for (String p : prefixes) {
                if (p.isEmpty() || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    throw new IllegalArgumentException(zone + ": prefix '" + p + "' is not digits");
                }
            }
        }

        /** A segment of NANP area codes: each area code followed by an exchange digit 2-9. */
        public static Segment nanp(String zone, double weight, String... areaCodes) {
            List<String> prefixes = new ArrayList<>();
            for (String area : areaCodes) {
                for (char d = '2'; d <= '9'; d++) {
                    prefixes.add(area + d);
                }
            }
            return new Segment(zone, weight, 6, prefixes);
        }

        /** A segment whose prefixes are all followed by {@code freeDigits} digits. */
        public static Segment of(String zone, double weight, int freeDigits, String... prefixes) {
            return new Segment(zone, weight, freeDigits, List.of(prefixes));
        }

        /** @return how many distinct numbers the segment can produce */
        public long capacity() {
            return prefixes.size() * pow10(freeDigits);
        }
    }

    /**
     * @throws IllegalArgumentException if there is no country, a region appears twice, a number
     *                                  would exceed 15 digits, or two segments of one calling code
     *                                  could produce the same number
     */
    public AudienceMix {
        countries = List.copyOf(countries);
        if (countries.isEmpty()) {
            throw new IllegalArgumentException("an audience mix needs at least one country");
        }
        List<String[]> seen = new ArrayList<>(); // {callingCode, prefix, length, owner}
        for (Country c : countries) {
            for (Country o : countries) {
                if (o != c && o.region().equals(c.region())) {
                    throw new IllegalArgumentException("region " + c.region() + " appears twice in the mix");
                }
            }
            for (Segment s : c.segments()) {
                for (String p : s.prefixes()) {
                    String cc = Integer.toString(c.callingCode());
                    int digits = cc.length() + p.length() + s.freeDigits();
                    if (digits > PhoneNumbers.MAX_DIGITS) {
                        throw new IllegalArgumentException(c.region() + " prefix " + p + ": numbers would have "
                                + digits + " digits, more than E.164 allows");
                    }
                    String owner = c.region() + "/" + s.zone() + " prefix " + p;
                    for (String[] e : seen) {
                        if (e[0].equals(cc) && e[2].equals(Integer.toString(digits))
                                && (e[1].startsWith(p) || p.startsWith(e[1]))) {
                            throw new IllegalArgumentException(owner + " overlaps " + e[3]);
                        }
                    }
                    seen.add(new String[] {cc, p, Integer.toString(digits), owner});
                }
            }
        }
    }

    /** @return the default mix: 23 countries, 47 zones, weights in percent of the audience */
    public static AudienceMix world() {
        return WorldMix.MIX;
    }

    /** @return the sum of all segment weights */
    public double totalWeight() {
        return countries.stream().mapToDouble(Country::weight).sum();
    }

    /**
     * @param region ISO 3166 alpha-2 code
     * @return the country's expected share of the audience, 0 to 1 (0 if absent)
     */
    public double share(String region) {
        return countries.stream().filter(c -> c.region().equalsIgnoreCase(region))
                .mapToDouble(Country::weight).sum() / totalWeight();
    }

    static long pow10(int n) {
        long p = 1;
        for (int i = 0; i < n; i++) {
            p *= 10;
        }
        return p;
    }
}
