package dev.herald.dispatcher.demo;

import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.demo.AudienceMix.Country;
import dev.herald.dispatcher.demo.AudienceMix.Segment;
import dev.herald.suppression.ConsentChange;
import dev.herald.suppression.ConsentEvidence;
import dev.herald.suppression.ConsentSource;
import dev.herald.suppression.DirectoryOptions;
import dev.herald.suppression.ImportListener;
import dev.herald.suppression.ImportReport;
import dev.herald.suppression.IndexOptions;
import dev.herald.suppression.Recipient;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionIndex;
import dev.herald.suppression.SuppressionSnapshot;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Builds the synthetic audience of {@code herald demo}: recipients with valid, distinct numbers
 * spread over real countries and time zones, imported into a recipient directory, a share of them
 * opted out in the suppression index.
 *
 * <pre>{@code
 * AudienceSpec spec = AudienceSpec.defaults().withRecipients(1_000_000);
 * try (HeraldData data = SyntheticAudience.openData(Path.of("herald-data"), spec.recipients())) {
 *     System.out.println(SyntheticAudience.of(spec).populate(data, Progress.NONE).describe());
 * }
 * }</pre>
 *
 * <p>How: the audience is CSV text generated as the directory's bulk import reads it (so memory
 * stays flat at any size; only the ids picked for suppression are kept, 4 bytes each), then the
 * opt-outs are written in batches of at most {@link SuppressionIndex#MAX_CHANGES_PER_CALL} and
 * the index is compacted. The import rejects any invalid number, and so does this class: a
 * rejected line is a bug in the mix and fails the run.
 *
 * <p>Deterministic: the same spec (seed included) yields the same lines, so on an empty directory
 * the same ids, and on a directory that already holds the audience no new recipient and no new
 * opt-out (opt-outs already in place are skipped).
 *
 * <p>Thread-safety: an instance is immutable; each {@code populate} call keeps its own state.
 */
public final class SyntheticAudience {

    /** Hears how far a run is; called on the thread that runs {@code populate}. */
    @FunctionalInterface
    public interface Progress {
        /** Ignores everything. */
        Progress NONE = (phase, done, total) -> { };

        /**
         * @param phase {@code import} or {@code suppress}
         * @param done  recipients (import) or opt-outs (suppress) done so far
         * @param total how many there are in the phase
         */
        void onProgress(String phase, long done, long total);
    }

    private static final int PROGRESS_EVERY = 1 << 16;
    private static final int SAMPLES_PER_PREFIX = 16;

    private final AudienceSpec spec;
    private final List<Scope> scopes;
    private final double[] scopeCumulative;

    private SyntheticAudience(AudienceSpec spec) {
        this.spec = spec;
        this.scopes = List.copyOf(spec.scopeSplit().keySet());
        this.scopeCumulative = new double[scopes.size()];
        double sum = 0;
        for (int i = 0; i < scopes.size(); i++) {
            sum += spec.scopeShare(scopes.get(i));
            scopeCumulative[i] = sum;
        }
    }

    /**
     * Checks the spec against the numbering plan and builds the generator.
     *
     * @param spec what to build
     * @return the generator
     * @throws IllegalArgumentException if a sample number of the mix is invalid or of another
     *                                  region, or a segment has too few numbers for its expected
     *                                  share of {@code spec.recipients()}
     */
    public static SyntheticAudience of(AudienceSpec spec) {
        SplittableRandom sample = new SplittableRandom(spec.seed());
        double total = spec.mix().totalWeight();
        for (NumberBlock block : blocks(spec)) {
            block.verify(sample, SAMPLES_PER_PREFIX);
            Segment s = block.segment;
            double expected = spec.recipients() * s.weight() / total;
            if (expected * 1.2 + 1_000 > s.capacity()) {
                throw new IllegalArgumentException(block.country.region() + "/" + s.zone() + " has " + s.capacity()
                        + " numbers, too few for about " + Math.round(expected) + " of " + spec.recipients()
                        + " recipients: add prefixes or ask for fewer recipients");
            }
        }
        return new SyntheticAudience(spec);
    }

    /**
     * Opens (creating it if needed) a data directory whose recipient directory is sized for
     * {@code recipients}; the capacity is ignored if the directory already exists.
     *
     * @param root       the data directory
     * @param recipients expected number of recipients, {@code >= 1}
     * @return the data directory, nothing opened yet
     */
    public static HeraldData openData(Path root, long recipients) {
        DirectoryOptions options = DirectoryOptions.defaults()
                .withCapacity(Math.max(DirectoryOptions.MIN_CAPACITY, recipients));
        return HeraldData.at(root, options, IndexOptions.defaults(), true);
    }

    /** @return the spec this generator builds */
    public AudienceSpec spec() {
        return spec;
    }

    /**
     * As {@link #populate(RecipientDirectory, SuppressionIndex, Progress)} on the stores of
     * {@code data}.
     *
     * @throws IOException if a store cannot be opened, read or written
     */
    public AudienceSummary populate(HeraldData data, Progress progress) throws IOException {
        return populate(data.directory(), data.suppression(), progress);
    }

    /**
     * Generates the audience into {@code directory}, opts out its share in {@code index} and
     * compacts the index if anything was written.
     *
     * @param directory the recipient directory, open
     * @param index     the suppression index, open
     * @param progress  hears how far the run is
     * @return counts and times
     * @throws IllegalStateException if the directory rejects a generated line (a bug in the mix),
     *                               a segment runs out of numbers, or a store is closed or full
     * @throws IOException           if the import or the opt-outs cannot be written
     */
    public AudienceSummary populate(RecipientDirectory directory, SuppressionIndex index, Progress progress)
            throws IOException {
        long start = System.nanoTime();
        SplittableRandom root = new SplittableRandom(spec.seed());
        List<NumberBlock> blocks = blocks(spec, root);
        AudienceCsv csv = new AudienceCsv(blocks, spec.recipients(), spec.explicitZoneShare(), root.split());
        Picker picker = new Picker(root.split(), progress);
        ImportReport report = directory.importCsv(csv, "synthetic audience (seed " + spec.seed() + ")", picker);
        long importNanos = System.nanoTime() - start;
        progress.onProgress("import", report.lines(), spec.recipients());

        long changes = suppress(directory, index, picker.picked, progress);
        if (changes > 0) {
            index.compact();
        }
        Map<String, Long> perCountry = new HashMap<>();
        Map<String, Long> perZone = new HashMap<>();
        long[] counts = csv.counts();
        for (int i = 0; i < counts.length; i++) {
            perCountry.merge(blocks.get(i).country.region(), counts[i], Long::sum);
            perZone.merge(blocks.get(i).zone, counts[i], Long::sum);
        }
        Map<Scope, Long> suppressed = new LinkedHashMap<>();
        for (int s = 0; s < scopes.size(); s++) {
            suppressed.put(scopes.get(s), (long) picker.picked[s].size);
        }
        return new AudienceSummary(spec.seed(), report.lines(), report.created(), byCountDescending(perCountry),
                byCountDescending(perZone), suppressed, changes, importNanos / 1_000_000,
                (System.nanoTime() - start) / 1_000_000);
    }

    private long suppress(RecipientDirectory directory, SuppressionIndex index, IntList[] picked, Progress progress)
            throws IOException {
        long total = Arrays.stream(picked).mapToLong(l -> l.size).sum();
        ConsentEvidence evidence = ConsentEvidence.of(ConsentSource.IMPORT).channel("sms")
                .rawText("synthetic demo audience, seed " + spec.seed());
        SuppressionSnapshot before = index.snapshot();
        List<ConsentChange> batch = new ArrayList<>();
        long written = 0;
        long done = 0;
        for (int s = 0; s < scopes.size(); s++) {
            Scope scope = scopes.get(s);
            for (int k = 0; k < picked[s].size; k++) {
                int id = picked[s].values[k];
                if (!before.isSuppressed(id, scope)) {
                    String phone = directory.get(id).map(Recipient::e164).orElse(null);
                    batch.add(ConsentChange.optOut(id, phone, scope, evidence));
                    if (batch.size() == SuppressionIndex.MAX_CHANGES_PER_CALL) {
                        written += index.apply(batch).size();
                        batch.clear();
                    }
                }
                if (++done % PROGRESS_EVERY == 0) {
                    progress.onProgress("suppress", done, total);
                }
            }
        }
        written += index.apply(batch).size();
        progress.onProgress("suppress", total, total);
        return written;
    }

    /** Picks, in line order on the import's applying thread, who is opted out and where. */
    private final class Picker implements ImportListener {
        final IntList[] picked = new IntList[scopes.size()];
        private final SplittableRandom random;
        private final Progress progress;
        private long accepted;

        Picker(SplittableRandom random, Progress progress) {
            this.random = random;
            this.progress = progress;
            for (int s = 0; s < picked.length; s++) {
                picked[s] = new IntList();
            }
        }

        @Override
        public void onAccepted(long lineNumber, int id, boolean created) {
            double pick = random.nextDouble();
            double where = random.nextDouble();
            if (pick < spec.suppressedShare()) {
                int s = 0;
                while (s < scopeCumulative.length - 1 && where >= scopeCumulative[s]) {
                    s++;
                }
                picked[s].add(id);
            }
            if (++accepted % PROGRESS_EVERY == 0) {
                progress.onProgress("import", accepted, spec.recipients());
            }
        }

        @Override
        public void onRejected(long lineNumber, String reason) {
            throw new IllegalStateException("synthetic audience (seed " + spec.seed() + ") line " + lineNumber
                    + " was rejected by the directory: " + reason);
        }
    }

    /** A growable list of ids: 4 bytes each, no boxing. */
    private static final class IntList {
        int[] values = new int[1024];
        int size;

        void add(int v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }
    }

    private static List<NumberBlock> blocks(AudienceSpec spec) {
        return blocks(spec, new SplittableRandom(spec.seed()));
    }

    private static List<NumberBlock> blocks(AudienceSpec spec, SplittableRandom root) {
        List<NumberBlock> blocks = new ArrayList<>();
        for (Country c : spec.mix().countries()) {
            for (Segment s : c.segments()) {
                blocks.add(new NumberBlock(c, s, root.split()));
            }
        }
        return blocks;
    }

    private static Map<String, Long> byCountDescending(Map<String, Long> counts) {
        Map<String, Long> sorted = new LinkedHashMap<>();
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    static <K> Map<K, Long> ordered(Map<K, Long> map) {
        return Collections.unmodifiableMap(new LinkedHashMap<>(map));
    }
}
