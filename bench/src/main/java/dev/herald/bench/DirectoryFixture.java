package dev.herald.bench;

import dev.herald.suppression.DirectoryOptions;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Deterministic phone numbers and CSV files for the recipient-directory benchmarks and their
 * test.
 *
 * <pre>{@code
 * DirectoryFixture.Keys keys = new DirectoryFixture.Keys(DirectoryFixture.SEED);
 * String phone = DirectoryFixture.e164(keys.next());            // "+4474xxxxxxxx", never repeated
 * DirectoryFixture.Csv csv = DirectoryFixture.writeCsv(file, DirectoryFixture.SEED, 10_000_000);
 * }</pre>
 *
 * <p>Every number is a GB mobile in {@code +447400000000 .. +447449999999} (50,000,000 numbers),
 * a block libphonenumber validates in full (unlike Ofcom's drama range {@code +447700900xxx},
 * which it rejects and the CSV uses as one kind of invalid line). Not thread-safe.
 */
final class DirectoryFixture {
    /** Fixed seed, printed by every benchmark that uses it (the suppression benchmarks' seed). */
    static final long SEED = SuppressionFixture.SEED;
    /** Default region of the benchmarked directories, so national-format lines can be read. */
    static final String REGION = "GB";
    /** Key of {@code +447400000000}, the first number handed out. */
    static final long FIRST_KEY = 447_400_000_000L;
    /** Size of the number block; {@link Keys} refuses to draw more than half of it. */
    static final int KEY_SPACE = 50_000_000;
    /** The CSV header: the phone column, the two attributes, one personal field. */
    static final String HEADER = "phone,tz,locale,first_name";
    static final String ZONE = "Europe/London";
    static final List<String> FIRST_NAMES = List.of("Olivia", "Oliver", "Amelia", "George", "Isla", "Harry",
            "Ava", "Noah", "Siobhán", "Dafydd", "Zoë", "Mohammed", "\"Mary-Jane, Jr\"");

    /*
     * CSV line mix, in per-mille of lines (drawn independently per line, so the counts vary
     * around these rates; Csv holds the exact ones).
     */
    /** Invalid lines: four kinds in turn (drama-range, too short, letters, unknown zone). */
    static final int INVALID_PER_MILLE = 5;
    /** Repeats of a recent number, written in the other format and with a zone: an update. */
    static final int DUPLICATE_PER_MILLE = 10;
    /** New numbers written in national format with a space, e.g. {@code 07400 123456}. */
    static final int NATIONAL_PER_MILLE = 150;
    /** Lines with {@link #ZONE} in the {@code tz} column (duplicates always have it). */
    static final int ZONE_PER_MILLE = 250;

    private DirectoryFixture() {
    }

    /** Draws distinct keys from the block, uniformly at random. */
    static final class Keys {
        private final SplittableRandom rnd;
        private final BitSet taken = new BitSet(KEY_SPACE);
        private int drawn;

        Keys(long seed) {
            rnd = new SplittableRandom(seed);
        }

        /**
         * @return a key not returned before
         * @throws IllegalStateException past {@code KEY_SPACE / 2} keys (rejection sampling would
         *     crawl)
         */
        long next() {
            if (drawn >= KEY_SPACE / 2) {
                throw new IllegalStateException("more than " + KEY_SPACE / 2 + " distinct numbers asked for");
            }
            int offset;
            do {
                offset = rnd.nextInt(KEY_SPACE);
            } while (taken.get(offset));
            taken.set(offset);
            drawn++;
            return FIRST_KEY + offset;
        }
    }

    /** @return {@code +} and the key's digits, e.g. {@code +447400123456} */
    static String e164(long key) {
        return "+" + key;
    }

    /** @return the GB national format with a space, e.g. {@code 07400 123456} */
    static String national(long key) {
        String nsn = Long.toString(key - 440_000_000_000L); // 74xxxxxxxx
        return "0" + nsn.substring(0, 4) + " " + nsn.substring(4);
    }

    /** @return GB default region, sized for {@code entries} (at least the smallest capacity) */
    static DirectoryOptions options(long entries) {
        return DirectoryOptions.defaults().withDefaultRegion(REGION)
                .withCapacity(Math.max(entries, DirectoryOptions.MIN_CAPACITY));
    }

    /** A fixed master key for the encrypted variants (benchmarks only: never a real key). */
    static final dev.herald.suppression.MasterKey BENCH_KEY = dev.herald.suppression.MasterKey.parse(
            "6865726c616c642d62656e63682d6b65792d6e6f742d7365637265742d2d2d21", "bench key");

    /** @return as {@link #options(long)}, with {@link #BENCH_KEY} if {@code encrypted} */
    static DirectoryOptions options(long entries, boolean encrypted) {
        return encrypted ? options(entries).withMasterKey(BENCH_KEY) : options(entries);
    }

    /**
     * A generated CSV file and what importing it must report.
     *
     * @param file         the file
     * @param lines        data lines (the header excluded)
     * @param created      lines with a number not seen before in the file
     * @param duplicates   lines repeating an earlier number of the file
     * @param invalidLines physical line numbers (header = 1) of the invalid lines, ascending
     * @param bytes        file size
     */
    record Csv(Path file, int lines, long created, long duplicates, long[] invalidLines, long bytes) {
        long rejected() {
            return invalidLines.length;
        }

        String describe() {
            return String.format("csv: seed=%#x, %,d lines (%,d new numbers, %,d duplicates, %,d invalid), %,d bytes, %s",
                    SEED, lines, created, duplicates, invalidLines.length, bytes, file);
        }
    }

    /**
     * Writes {@code lines} data lines after {@link #HEADER}: mostly new numbers in E.164, some in
     * national format, some duplicates, ~0.5 % invalid (see the rates above).
     *
     * @throws IOException if the file cannot be written
     */
    static Csv writeCsv(Path file, long seed, int lines) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed ^ 0xC5F);
        Keys keys = new Keys(seed);
        long[] recent = new long[1024]; // ring of recent valid numbers, the source of duplicates
        int recentCount = 0;
        long created = 0;
        long duplicates = 0;
        long[] invalid = new long[Math.max(16, lines / 100)];
        int invalidCount = 0;
        StringBuilder line = new StringBuilder(64);
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            out.write(HEADER);
            out.write('\n');
            for (int i = 0; i < lines; i++) {
                line.setLength(0);
                int draw = rnd.nextInt(1000);
                String zone = rnd.nextInt(1000) < ZONE_PER_MILLE ? ZONE : "";
                String locale = locale(rnd.nextInt(100));
                int name = rnd.nextInt(FIRST_NAMES.size() + 2);
                String firstName = name < FIRST_NAMES.size() ? FIRST_NAMES.get(name) : "";
                if (draw < INVALID_PER_MILLE) {
                    if (invalidCount == invalid.length) {
                        invalid = Arrays.copyOf(invalid, invalidCount * 2);
                    }
                    invalid[invalidCount] = i + 2L; // the header is line 1
                    String phone = switch (invalidCount++ % 4) {
                        case 0 -> "+447700900" + (100 + rnd.nextInt(900)); // Ofcom drama range: not valid
                        case 1 -> national(keys.next()).substring(0, 11);    // one digit short
                        case 2 -> "call me later";
                        default -> {
                            zone = "Mars/Olympus_Mons";                       // valid number, unknown zone
                            yield e164(keys.next());
                        }
                    };
                    line.append(phone);
                } else if (draw < INVALID_PER_MILLE + DUPLICATE_PER_MILLE && recentCount > 0) {
                    long key = recent[rnd.nextInt(Math.min(recentCount, recent.length))];
                    line.append(rnd.nextBoolean() ? national(key) : e164(key));
                    zone = ZONE;
                    duplicates++;
                } else {
                    long key = keys.next();
                    line.append(draw < INVALID_PER_MILLE + DUPLICATE_PER_MILLE + NATIONAL_PER_MILLE
                            ? national(key) : e164(key));
                    recent[recentCount++ & (recent.length - 1)] = key;
                    created++;
                }
                line.append(',').append(zone).append(',').append(locale).append(',').append(firstName).append('\n');
                out.append(line);
            }
        }
        return new Csv(file, lines, created, duplicates, Arrays.copyOf(invalid, invalidCount), Files.size(file));
    }

    private static String locale(int percent) {
        if (percent < 60) {
            return "en-GB";
        }
        if (percent < 65) {
            return "en_GB";
        }
        if (percent < 70) {
            return "cy-GB";
        }
        return "";
    }
}
