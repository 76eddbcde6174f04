package dev.herald.bench;

import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.RecipientDirectory.Registration;
import dev.herald.suppression.RecipientFields;
import dev.herald.suppression.internal.ChronicleSupport;
import dev.herald.suppression.internal.RecipientCodec;
import net.openhft.chronicle.map.ChronicleMap;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * What the send stage reads per recipient (the number and the template's fields), the two ways:
 * one Chronicle Map lookup and decode per id ({@code mapPerId}, how the send stage read before the
 * id-ordered pages), and one batch read from the pages ({@code pagesBatch}:
 * {@link RecipientDirectory#fields(int[], List)}, as the send stage reads now). Scores are per
 * recipient ({@link OperationsPerInvocation}).
 *
 * <p>Fixture: {@code recipients} random GB mobiles ({@link DirectoryFixture}, seed printed), each
 * with a zone, a locale and a {@code first_name}; the directory is closed once built (pages
 * written) and reopened. The batches are those of a campaign's send stage: {@value #BATCH}
 * ascending ids each, drawn from all ids at {@code density} (the share of a chunk that reaches the
 * send stage: the rest was suppressed, deferred or capped), walked from id 0 to the end and again,
 * so every read touches the whole directory as a campaign does.
 *
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar DirectoryBatchReadBenchmark
 * }</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
public class DirectoryBatchReadBenchmark {

    /** Ids per batch: the send stage's largest batch. */
    static final int BATCH = 512;
    static final List<String> NAMES = List.of("first_name");

    @Param({"1000000"})
    public int recipients;

    /** Whether the directory has a master key (records sealed with AES-256-GCM); false is the recorded baseline. */
    @Param({"false"})
    public boolean encrypted;


    /** Share of ids that are read. */
    @Param({"0.57"})
    public double density;

    RecipientDirectory directory;
    /** A second handle on the directory's id → record map, read as the send stage did before the pages. */
    ChronicleMap<Integer, byte[]> records;
    /** Opens the map's values (sealed one by one when {@code encrypted}). */
    dev.herald.suppression.internal.RecordCipher cipher;
    /** The batches, in campaign order. */
    int[][] batches;
    private Path dir;
    private final String[] names = NAMES.toArray(String[]::new);

    /** Each benchmark thread walks the batches on its own. */
    @State(org.openjdk.jmh.annotations.Scope.Thread)
    public static class Cursor {
        int next;
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        System.out.printf("fixture: seed=%#x, %,d random GB mobiles, density %.2f, batches of %d ascending ids%n",
                DirectoryFixture.SEED, recipients, density, BATCH);
        DirectoryFixture.Keys keys = new DirectoryFixture.Keys(DirectoryFixture.SEED);
        dir = SuppressionFixture.newTempDir("directory-batch-read");
        long t0 = System.nanoTime();
        try (RecipientDirectory d = RecipientDirectory.open(dir, DirectoryFixture.options(recipients, encrypted))) {
            for (int id = 0; id < recipients; id++) {
                String name = DirectoryFixture.FIRST_NAMES.get(id % DirectoryFixture.FIRST_NAMES.size());
                Registration r = d.register(DirectoryFixture.e164(keys.next()), DirectoryFixture.ZONE, "en-GB",
                        Map.of("first_name", name));
                if (!r.created() || r.id() != id) {
                    throw new IllegalStateException("registration " + id + " returned " + r);
                }
            }
        }
        System.out.printf("directory built in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        directory = RecipientDirectory.open(dir, DirectoryFixture.options(recipients, encrypted));
        cipher = dev.herald.suppression.internal.RecordCipher.of(dev.herald.suppression.internal.DirectoryKeys.read(dir,
                encrypted ? DirectoryFixture.BENCH_KEY : null));
        records = ChronicleSupport.openRecords(dir.resolve("recipients-by-id.cm3").toFile(), recipients, false);

        SplittableRandom rnd = new SplittableRandom(DirectoryFixture.SEED + 2);
        int[] picked = new int[recipients];
        int n = 0;
        for (int id = 0; id < recipients; id++) {
            if (rnd.nextDouble() < density) {
                picked[n++] = id;
            }
        }
        batches = new int[(n + BATCH - 1) / BATCH][];
        for (int b = 0; b < batches.length; b++) {
            batches[b] = java.util.Arrays.copyOfRange(picked, b * BATCH, Math.min(n, (b + 1) * BATCH));
        }
        if (batches[batches.length - 1].length != BATCH) {
            batches = java.util.Arrays.copyOf(batches, batches.length - 1); // every invocation reads BATCH ids
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (records != null) {
            records.close();
        }
        if (directory != null) {
            directory.close();
        }
        SuppressionFixture.deleteTree(dir);
    }

    private int[] nextBatch(Cursor c) {
        int[] b = batches[c.next];
        c.next = c.next + 1 == batches.length ? 0 : c.next + 1;
        return b;
    }

    /** One map lookup and decode of the number and fields per id. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void mapPerId(Cursor cursor, Blackhole bh) {
        for (int id : nextBatch(cursor)) {
            bh.consume(mapRead(id));
        }
    }

    /** The number and fields of one id, as the send stage read them before the pages. */
    RecipientFields mapRead(int id) {
        byte[] record = cipher.openRecord(id, records.get(id));
        return record == null ? null : RecipientCodec.decodeFields(id, record, names);
    }

    /** One batch read from the id-ordered pages. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public RecipientFields[] pagesBatch(Cursor cursor) {
        return directory.fields(nextBatch(cursor), NAMES);
    }
}
