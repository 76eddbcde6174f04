package dev.herald.bench;

import dev.herald.suppression.ImportListener;
import dev.herald.suppression.ImportReport;
import dev.herald.suppression.RecipientDirectory;

import java.io.IOException;
import java.nio.file.Path;
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
 * A whole CSV import into an empty recipient directory. Target: 10,000,000 lines in ≤ 60 s.
 * Each iteration prints its lines/s and the {@link ImportReport}.
 *
 * <p>The CSV ({@link DirectoryFixture#writeCsv}: header {@code phone,tz,locale,first_name}; ~83 %
 * new numbers in E.164, ~15 % in national format with a space, ~1 % repeats of a recent number,
 * ~0.5 % invalid lines; a zone on ~25 %, a locale on ~70 %) is written once per trial and read
 * from the page cache. Every iteration imports it into a fresh directory (GB default region,
 * capacity {@code lines}; its ~120 bytes per entry are allocated up front when it is opened, outside
 * the measured time), deleted afterwards. No warmup: a bulk import runs once in a fresh
 * process, so JIT compilation is part of its cost.
 *
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar DirectoryImportBenchmark
 * }</pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 0)
@Measurement(iterations = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
public class DirectoryImportBenchmark {

    @Param({"10000000"})
    public int lines;

    /** Whether the directory has a master key (records sealed with AES-256-GCM); false is the recorded baseline. */
    @Param({"false"})
    public boolean encrypted;


    DirectoryFixture.Csv csv;
    /** The directory of the current iteration, open until its end. */
    RecipientDirectory directory;
    /** Hears every line; the benchmark ignores them, the test records them. */
    ImportListener listener = ImportListener.NONE;
    private Path csvDir;
    private Path dir;
    private long importNanos;
    private ImportReport report;

    @Setup(Level.Trial)
    public void writeCsv() throws IOException {
        csvDir = SuppressionFixture.newTempDir("directory-csv");
        long t0 = System.nanoTime();
        csv = DirectoryFixture.writeCsv(csvDir.resolve("recipients.csv"), DirectoryFixture.SEED, lines);
        System.out.println(csv.describe());
        System.out.printf("csv written in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    @Setup(Level.Iteration)
    public void openFreshDirectory() throws IOException {
        dir = SuppressionFixture.newTempDir("directory-import");
        directory = RecipientDirectory.open(dir, DirectoryFixture.options(lines, encrypted));
        report = null;
    }

    /** @return the import's counts */
    @Benchmark
    public ImportReport importCsv() throws IOException {
        long t0 = System.nanoTime();
        report = directory.importCsv(csv.file(), listener);
        importNanos = System.nanoTime() - t0;
        return report;
    }

    @TearDown(Level.Iteration)
    public void closeDirectory() {
        if (report != null) {
            System.out.printf("%n  imported %,d lines in %.2f s = %,.0f lines/s; %s%n", report.lines(),
                    importNanos / 1e9, report.lines() / (importNanos / 1e9), report);
            report = null;
        }
        if (directory != null) {
            directory.close();
            directory = null;
        }
        SuppressionFixture.deleteTree(dir);
    }

    @TearDown(Level.Trial)
    public void deleteCsv() {
        closeDirectory();
        SuppressionFixture.deleteTree(csvDir);
    }
}
