package dev.herald.bench;

import dev.herald.suppression.Recipient;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.RecipientDirectory.Registration;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Recipient-directory lookups on one thread. Target: {@code idOf} of a canonical E.164 string
 * (the fast path, no libphonenumber) ≥ 2,000,000 per second. {@code get(id)} is measured for
 * information.
 *
 * <p>The directory holds {@code recipients} random GB mobiles ({@link DirectoryFixture}), each
 * registered with a zone, a locale and a first name, so ids {@code 0 .. recipients - 1} match
 * the registration order; it is sized for exactly that many entries. Probes are precomputed
 * random arrays of {@code probes} E.164 strings (hits: registered numbers; misses: numbers of the
 * same block never registered) or ids, cycled through so caches see a realistic spread.
 *
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar DirectoryLookupBenchmark
 * }</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
public class DirectoryLookupBenchmark {

    @Param({"1000000"})
    public int recipients;

    /** Whether the directory has a master key (records sealed with AES-256-GCM); false is the recorded baseline. */
    @Param({"false"})
    public boolean encrypted;


    /** Length of each probe array; a power of two. */
    @Param({"1048576"})
    public int probes;

    RecipientDirectory directory;
    /** Registered numbers, and the id each must resolve to. */
    String[] hitPhones;
    int[] hitIds;
    /** Numbers of the same block that were never registered. */
    String[] missPhones;
    /** Ids handed out, for {@code get}. */
    int[] getIds;
    private int mask;
    private Path dir;

    /** Each benchmark thread walks the probe arrays on its own. */
    @State(org.openjdk.jmh.annotations.Scope.Thread)
    public static class Cursor {
        int next;
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        if (Integer.bitCount(probes) != 1) {
            throw new IllegalArgumentException("probes must be a power of two, got " + probes);
        }
        System.out.printf("fixture: seed=%#x, %,d random GB mobiles registered, %,d probes%n",
                DirectoryFixture.SEED, recipients, probes);
        DirectoryFixture.Keys keys = new DirectoryFixture.Keys(DirectoryFixture.SEED);
        long[] registered = new long[recipients];
        dir = SuppressionFixture.newTempDir("directory-lookup");
        directory = RecipientDirectory.open(dir, DirectoryFixture.options(recipients, encrypted));
        long t0 = System.nanoTime();
        for (int id = 0; id < recipients; id++) {
            registered[id] = keys.next();
            String name = DirectoryFixture.FIRST_NAMES.get(id % DirectoryFixture.FIRST_NAMES.size());
            Registration r = directory.register(DirectoryFixture.e164(registered[id]), DirectoryFixture.ZONE, "en-GB",
                    Map.of("first_name", name));
            if (!r.created() || r.id() != id) {
                throw new IllegalStateException("registration " + id + " returned " + r);
            }
        }
        System.out.printf("encrypted=%s; directory built in %.1f s%n", encrypted, (System.nanoTime() - t0) / 1e9);

        SplittableRandom rnd = new SplittableRandom(DirectoryFixture.SEED + 1);
        hitPhones = new String[probes];
        hitIds = new int[probes];
        missPhones = new String[probes];
        getIds = new int[probes];
        for (int i = 0; i < probes; i++) {
            int id = rnd.nextInt(recipients);
            hitIds[i] = id;
            hitPhones[i] = DirectoryFixture.e164(registered[id]);
            missPhones[i] = DirectoryFixture.e164(keys.next());
            getIds[i] = rnd.nextInt(recipients);
        }
        mask = probes - 1;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (directory != null) {
            directory.close();
        }
        SuppressionFixture.deleteTree(dir);
    }

    /** @return the id of the next registered number (always present) */
    @Benchmark
    public OptionalInt idOfHit(Cursor cursor) {
        return directory.idOf(hitPhones[cursor.next++ & mask]);
    }

    /** @return the id of the next unregistered number (always empty) */
    @Benchmark
    public OptionalInt idOfMiss(Cursor cursor) {
        return directory.idOf(missPhones[cursor.next++ & mask]);
    }

    /** @return the recipient of the next id, decoded from its stored record */
    @Benchmark
    public Optional<Recipient> get(Cursor cursor) {
        return directory.get(getIds[cursor.next++ & mask]);
    }
}
