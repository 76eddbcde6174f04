package dev.herald.bench;

import dev.herald.suppression.ConsentChange;
import dev.herald.suppression.ConsentEvidence;
import dev.herald.suppression.ConsentSource;
import dev.herald.suppression.IndexOptions;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionIndex;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Deterministic suppression data shared by the benchmarks and their test: distinct random
 * recipient ids, each opted out of one of {@link #SCOPES}.
 *
 * <pre>{@code
 * SuppressionFixture f = SuppressionFixture.generate(SuppressionFixture.SEED, 1_000_000, 10_000, 10_000_000);
 * f.applyBase(index);   // then index.compact()
 * f.applyRecent(index); // the uncompacted delta
 * }</pre>
 *
 * <p>Ids {@code [0, baseCount)} of {@link #ids} go into the base image (sorted, so the fixture
 * builds fast), the following {@code recentCount} are later opt-outs kept in the delta. Every id
 * is distinct, so the union of the scopes has exactly {@code baseCount + recentCount} ids.
 * Immutable after {@link #generate}; not thread-safe to mutate its arrays.
 */
final class SuppressionFixture {
    /** Fixed seed, printed by every benchmark that uses it. */
    static final long SEED = 0x5EED_4E4A1DL;
    /** The scopes opt-outs are spread over, uniformly. */
    static final List<Scope> SCOPES = List.of(Scope.GLOBAL, Scope.sender("acme"), Scope.category("promo"));
    /** The scopes of the benchmarked message: a promo from sender acme (no channel scope exists). */
    static final List<Scope> MESSAGE_SCOPES = Scope.forMessage("acme", "sms", "promo");
    /** Changes per {@code index.apply} call while building: one group commit, one fsync. */
    static final int BATCH = 100_000;

    private static final ConsentEvidence EVIDENCE = ConsentEvidence.of(ConsentSource.API);

    final int[] ids;
    /** Index into {@link #SCOPES} of each id. */
    final byte[] scopes;
    final int baseCount;
    final int recentCount;
    final int idSpace;

    private SuppressionFixture(int[] ids, byte[] scopes, int baseCount, int recentCount, int idSpace) {
        this.ids = ids;
        this.scopes = scopes;
        this.baseCount = baseCount;
        this.recentCount = recentCount;
        this.idSpace = idSpace;
    }

    /**
     * Draws {@code baseCount + recentCount} distinct ids in {@code [0, idSpace)}.
     *
     * @throws IllegalArgumentException if the ids do not fit into half of the id space (rejection
     *     sampling would crawl)
     */
    static SuppressionFixture generate(long seed, int baseCount, int recentCount, int idSpace) {
        int n = baseCount + recentCount;
        if (baseCount < 0 || recentCount < 0 || n > idSpace / 2) {
            throw new IllegalArgumentException(n + " distinct ids do not fit into half of an id space of " + idSpace);
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        BitSet taken = new BitSet(idSpace);
        int[] ids = new int[n];
        for (int i = 0; i < n; ) {
            int id = rnd.nextInt(idSpace);
            if (!taken.get(id)) {
                taken.set(id);
                ids[i++] = id;
            }
        }
        Arrays.sort(ids, 0, baseCount);
        byte[] scopes = new byte[n];
        for (int i = 0; i < n; i++) {
            scopes[i] = (byte) rnd.nextInt(SCOPES.size());
        }
        return new SuppressionFixture(ids, scopes, baseCount, recentCount, idSpace);
    }

    /** Opts out the base ids, {@link #BATCH} per durable group commit. */
    void applyBase(SuppressionIndex index) throws IOException {
        apply(index, 0, baseCount);
    }

    /** Opts out the recent ids (call after {@code compact()} to leave them in the delta). */
    void applyRecent(SuppressionIndex index) throws IOException {
        apply(index, baseCount, baseCount + recentCount);
    }

    private void apply(SuppressionIndex index, int from, int to) throws IOException {
        List<ConsentChange> batch = new ArrayList<>(Math.min(BATCH, to - from));
        for (int i = from; i < to; i++) {
            batch.add(ConsentChange.optOut(ids[i], null, SCOPES.get(scopes[i]), EVIDENCE));
            if (batch.size() == BATCH) {
                index.apply(batch);
                batch.clear();
            }
        }
        if (!batch.isEmpty()) {
            index.apply(batch);
        }
    }

    /**
     * Builds an index in {@code dir}: the base ids compacted into the base image, the recent ids
     * in the log and delta. Returns it open with {@code options}; background compaction is off
     * while building so the delta stays as described.
     */
    static SuppressionIndex build(Path dir, SuppressionFixture fixture, IndexOptions options) throws IOException {
        SuppressionIndex index = SuppressionIndex.open(dir, options.withAutoCompactChanges(0));
        try {
            fixture.applyBase(index);
            index.compact();
            fixture.applyRecent(index);
        } catch (IOException | RuntimeException e) {
            index.close();
            throw e;
        }
        index.close();
        return SuppressionIndex.open(dir, options);
    }

    /** A fresh folder for one trial's index, under {@code java.io.tmpdir}. */
    static Path newTempDir(String prefix) throws IOException {
        return Files.createTempDirectory("herald-bench-" + prefix + "-");
    }

    /** Deletes {@code dir} and everything in it; a null or missing folder is ignored. */
    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete benchmark folder " + dir, e);
        }
    }

    /** One line for the benchmark log, so a run can be reproduced. */
    String describe() {
        return String.format("fixture: seed=%#x, %,d base + %,d recent distinct ids in [0, %,d) over %s",
                SEED, baseCount, recentCount, idSpace, SCOPES);
    }
}
