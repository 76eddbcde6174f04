package dev.herald.bench;

import dev.herald.dispatcher.campaign.CampaignDeps;
import dev.herald.dispatcher.campaign.CampaignResult;
import dev.herald.dispatcher.campaign.CampaignRun;
import dev.herald.dispatcher.campaign.CampaignSpec;
import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.SendResult;
import dev.herald.dispatcher.experiment.CampaignVariant;
import dev.herald.dispatcher.experiment.VariantAssignment;
import dev.herald.dispatcher.experiment.VariantPlan;
import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.dispatcher.outcome.Outcomes;
import dev.herald.dispatcher.pipeline.RenderStep;
import dev.herald.dispatcher.pipeline.Variants;
import dev.herald.dispatcher.render.Footer;
import dev.herald.dispatcher.render.RenderedMessage;
import dev.herald.dispatcher.render.Renderer;
import dev.herald.dispatcher.render.Template;
import dev.herald.dispatcher.throttle.ThrottleShards;
import dev.herald.suppression.AudienceChunks;
import dev.herald.suppression.IndexOptions;
import dev.herald.suppression.Recipient;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.RecipientFields;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionIndex;
import dev.herald.suppression.SuppressionSnapshot;
import dev.herald.throttle.CapContext;
import dev.herald.throttle.FrequencyCaps;
import dev.herald.throttle.Priority;
import dev.herald.throttle.QuietHoursDecision;
import dev.herald.throttle.QuietHoursPlan;
import dev.herald.throttle.QuietHoursPolicy;
import dev.herald.throttle.QuietHoursRule;
import dev.herald.throttle.ReservationBatch;
import dev.herald.throttle.SendLedger;
import dev.herald.throttle.SendLedgerOptions;
import dev.herald.throttle.ZoneBuckets;
import dev.herald.throttle.ZoneIndex;
import dev.herald.throttle.ZoneSet;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
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
import org.roaringbitmap.IntIterator;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The campaign graph's cost per message (issue 4: "a JMH benchmark of the graph's per-message
 * overhead"), against the same per-recipient work done in a plain loop without it.
 *
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar CampaignGraphBenchmark
 * }</pre>
 *
 * <p>Fixture: a directory of {@value #AUDIENCE} random GB mobiles ({@link DirectoryFixture}), each
 * with zone {@code Europe/London}, locale {@code en-GB} and a {@code first_name}; an empty
 * suppression index; a quiet-hours policy under which {@code marketing} is always open; a cap
 * ledger with no rules (every id is reserved and confirmed); and an in-memory {@link Connector}
 * that answers {@link SendResult.Accepted} at once, does no I/O and allocates only the completed
 * stage. So every id ends {@code sent}, and what is measured is the path of a message that is
 * sent: suppression, quiet hours, caps, claim, directory read, render, hand-over, record.
 *
 * <ul>
 *   <li>{@link #graph}: one whole {@link CampaignRun} over the audience (a fresh campaign id, so a
 *       fresh outcome ledger, per invocation), as {@code herald demo} runs it.</li>
 *   <li>{@link #loop}: the same stores and the same per-recipient work on the calling thread, no
 *       Pekko stream, actors or futures: per chunk one suppression filter, one quiet-hours
 *       decision, one cap reservation and one durable claim; per id a directory read, render,
 *       {@link OutboundMessage} and send; {@code sent} recorded and confirmed per 4,096 ids, as the
 *       graph's record stage does.</li>
 *   <li>{@link #prepare}: only the per-recipient part of {@link #loop} (directory read, render,
 *       message), the floor under both; {@link #prepareFields} the same with a read of only the
 *       number and the template's fields.</li>
 *   <li>{@link #graphVariants}, {@link #prepareVariants}, {@link #variantOf}, {@link #variantsOf} (issue 17: "variant
 *       assignment adds ≤ 5 % to a campaign's decisions/s"): the same run, per-recipient preparation
 *       ({@link RenderStep#prepare} in the send stage's batches) and the plan's choice alone (per id,
 *       and per batch as the render step asks), for each
 *       {@link VariantCase#variants}: one message ({@code single}), three variants by hash of
 *       (campaign, recipient) ({@code hashed3}), or an A/B test's plan after its decision
 *       ({@code sampled3}: a 5 % sample dealt to the three variants, the rest to variant
 *       {@value #REST_VARIANT}). The variants share the sender, so suppression does not split chunks.
 *       Only these methods take the parameter: the methods above keep their earlier meaning.</li>
 * </ul>
 *
 * <p>Scores are ns per recipient ({@link OperationsPerInvocation} = {@value #AUDIENCE}); the
 * graph's overhead per message is {@code graph − loop}. The graph uses both cores (stages on the
 * actor system's dispatcher, the claim's fsync on the blocking-I/O dispatcher); the loop uses one.
 *
 * <p>State is shared by the benchmark methods; one thread ({@code @Threads(1)}, the default).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
public class CampaignGraphBenchmark {

    /** Recipients per invocation; the operations per invocation of every method. */
    static final int AUDIENCE = 200_000;
    /** Decision time: a Wednesday afternoon (irrelevant to the always-open policy, fixed anyway). */
    static final Instant NOW = Instant.parse("2026-06-10T14:00:00Z");
    static final String CHANNEL = "sms";
    static final String CATEGORY = "marketing";
    static final String SENDER = "acme";
    static final String TEMPLATE = "Hi {{first_name}}, our spring sale starts today!";
    static final String FOOTER = "Reply STOP to opt out";
    /** Ids per ledger record and cap confirmation, as {@code CampaignRun}'s record stage. */
    static final int RECORD_BATCH = 4096;
    /**
     * The texts of the three variants (A is {@link #TEMPLATE}): the same length and characters but for
     * one word, so rendering costs the same whichever variant a recipient gets and the cases differ
     * only by the variant's choice. Each renders to one GSM part with the footer.
     */
    static final List<String> VARIANT_TEXTS = List.of(TEMPLATE,
            "Hi {{first_name}}, our summer sale starts today!",
            "Hi {{first_name}}, our autumn sale starts today!");
    /** A/B test's sample share ({@code sampled3}). */
    static final double SAMPLE = 0.05;
    /** The variant the test's decision sends the rest ({@code sampled3}). */
    static final int REST_VARIANT = 1;
    /** Campaign id the {@code sampled3} sample was drawn for (the sample does not depend on the run's id). */
    static final String SAMPLE_CAMPAIGN = "bench-ab";
    private static final int SHARDS = 2;
    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(30);

    /** Whether the directory has a master key (records sealed with AES-256-GCM); false is the recorded baseline. */
    @org.openjdk.jmh.annotations.Param({"false"})
    public boolean encrypted;

    /** Audience size; {@value #AUDIENCE} unless a test makes it smaller (the ns/op scale assumes the default). */
    int audienceSize = AUDIENCE;
    /** Whether the connector keeps every message it accepts (tests only; set before {@link #setUp}). */
    boolean keepMessages;

    Path root;
    RecipientDirectory directory;
    SuppressionIndex suppression;
    ZoneIndex zones;
    QuietHoursPolicy policy;
    SendLedger capLedger;
    ActorSystem<Void> system;
    ThrottleShards shards;
    AcceptingConnector connector;
    CampaignDeps deps;
    ImmutableRoaringBitmap audience;
    Renderer renderer;
    List<Scope> scopes;
    /** Per variant, its sample recipients in {@code sampled3}; the plan of {@code sampled3}. */
    List<MutableRoaringBitmap> sample;
    VariantPlan sampledPlan;
    List<CampaignVariant> variantList;
    private final AtomicInteger campaigns = new AtomicInteger();
    /** Process CPU time at the start of the iteration, ns; recipients handled since then. */
    private long iterationCpuStart;
    private long iterationRecipients;

    /**
     * A connector that accepts every message at once: no latency, no I/O, no thread of its own.
     * Counts what it accepted. Thread-safe.
     */
    static final class AcceptingConnector implements Connector {
        /** Same window as the simulated connector's default. */
        static final int WINDOW = 1024;
        private static final CompletableFuture<SendResult> ACCEPTED =
                CompletableFuture.completedFuture(new SendResult.Accepted("bench", 0));
        final LongAdder accepted = new LongAdder();
        /** Every accepted message by recipient id, when kept (tests); null in benchmarks. */
        final Map<Integer, List<OutboundMessage>> kept;

        AcceptingConnector(boolean keep) {
            kept = keep ? new ConcurrentHashMap<>() : null;
        }

        @Override
        public String name() {
            return "accepting";
        }

        @Override
        public double maxRatePerSecond() {
            return Double.POSITIVE_INFINITY;
        }

        @Override
        public int window() {
            return WINDOW;
        }

        @Override
        public CompletionStage<SendResult> send(OutboundMessage message) {
            accepted.increment();
            if (kept != null) {
                kept.computeIfAbsent(message.recipientId(), id -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(message);
            }
            return ACCEPTED;
        }

        @Override
        public void close() {
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        System.out.printf("fixture: seed=%#x, %,d random GB mobiles, no suppression, always open, no caps%n",
                DirectoryFixture.SEED, audienceSize);
        root = SuppressionFixture.newTempDir("campaign-graph");
        directory = RecipientDirectory.open(root.resolve("directory"), DirectoryFixture.options(audienceSize, encrypted));
        DirectoryFixture.Keys keys = new DirectoryFixture.Keys(DirectoryFixture.SEED);
        long t0 = System.nanoTime();
        for (int id = 0; id < audienceSize; id++) {
            String name = DirectoryFixture.FIRST_NAMES.get(id % DirectoryFixture.FIRST_NAMES.size());
            RecipientDirectory.Registration r = directory.register(DirectoryFixture.e164(keys.next()), DirectoryFixture.ZONE,
                    "en-GB", Map.of("first_name", name));
            if (!r.created() || r.id() != id) {
                throw new IllegalStateException("registration " + id + " returned " + r);
            }
        }
        System.out.printf("directory built in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        suppression = SuppressionIndex.open(root.resolve("suppression"), IndexOptions.defaults());
        zones = ZoneIndex.build(directory);
        policy = new QuietHoursPolicy("always-open", ZoneSet.of("UTC"), Map.of(CATEGORY, QuietHoursRule.EXEMPT), Map.of());
        capLedger = SendLedger.open(root.resolve("send-ledger"), FrequencyCaps.of(List.of()),
                new SendLedgerOptions(SendLedgerOptions.Store.MMAP, 2, audienceSize), name -> null);
        system = ActorSystem.create(Behaviors.empty(), "campaign-graph-bench");
        shards = ThrottleShards.spawn(system, "bench-throttle", capLedger, SHARDS,
                ThrottleShards.idsPerShard(directory.size(), SHARDS));
        connector = new AcceptingConnector(keepMessages);
        deps = new CampaignDeps(directory, suppression, zones, policy, shards, connector, null, root.resolve("campaigns"),
                Clock.fixed(NOW, ZoneOffset.UTC), ASK_TIMEOUT);
        MutableRoaringBitmap ids = new MutableRoaringBitmap();
        ids.add(0L, audienceSize);
        audience = ids;
        renderer = new Renderer(Template.parse(TEMPLATE), Footer.of(FOOTER));
        scopes = Scope.forMessage(SENDER, CHANNEL, CATEGORY);
        variantList = new java.util.ArrayList<>();
        for (int v = 0; v < VARIANT_TEXTS.size(); v++) {
            variantList.add(new CampaignVariant(CampaignVariant.defaultName(v), VARIANT_TEXTS.get(v), null, null, FOOTER));
        }
        variantList = List.copyOf(variantList);
        sample = VariantAssignment.split(VariantAssignment.campaignKey(SAMPLE_CAMPAIGN), audience, zones.snapshot(), SAMPLE,
                VARIANT_TEXTS.size()).variants();
        sampledPlan = VariantPlan.sampled(sample, REST_VARIANT);
        System.out.printf("variants: %d texts; sampled3: sample %,d of %,d, the rest to variant %d%n",
                VARIANT_TEXTS.size(), sample.stream().mapToInt(MutableRoaringBitmap::getCardinality).sum(),
                audienceSize, REST_VARIANT);
    }

    /**
     * Which messages a variant benchmark's campaign sends. Only {@link #graphVariants},
     * {@link #prepareVariants}, {@link #variantOf} and {@link #variantsOf} use it.
     */
    @State(org.openjdk.jmh.annotations.Scope.Benchmark)
    public static class VariantCase {
        /**
         * {@code single}: one message; {@code hashed3}: three variants by hash of (campaign, recipient);
         * {@code sampled3}: three variants, an A/B test's 5 % sample dealt to them and the rest sent
         * variant {@value #REST_VARIANT}, as after the test's decision.
         */
        @Param({"single", "hashed3", "sampled3"})
        public String variants = "single";
    }

    /**
     * @param variantCase {@link VariantCase#variants}
     * @return a campaign to the whole audience under a fresh id, with the case's messages and plan
     * @throws IllegalArgumentException for an unknown case
     */
    CampaignSpec nextSpec(String variantCase) {
        CampaignSpec spec = nextSpec();
        return switch (variantCase) {
            case "single" -> spec;
            case "hashed3" -> spec.withVariants(variantList, null); // the spec hashes by its own id
            case "sampled3" -> spec.withVariants(variantList, sampledPlan);
            default -> throw new IllegalArgumentException("unknown variant case '" + variantCase
                    + "': one of single, hashed3, sampled3");
        };
    }

    /** @return the run's messages as the graph builds them (same renderers, senders and scopes; no links) */
    Variants variantsOf(CampaignSpec spec) {
        if (spec.variants() == null) {
            return Variants.single(renderer, SENDER, scopes);
        }
        List<Renderer> renderers = spec.variants().stream()
                .map(v -> new Renderer(Template.parse(v.text()), Footer.of(v.footer()))).toList();
        List<String> senders = spec.variants().stream().map(v -> v.senderOr(SENDER)).toList();
        return Variants.of(spec.plan(), renderers, senders, s -> Scope.forMessage(s, CHANNEL, CATEGORY));
    }

    @Setup(Level.Iteration)
    public void startIteration() {
        iterationCpuStart = processCpuNanos();
        iterationRecipients = 0;
    }

    /**
     * Prints the process's CPU time per recipient over the iteration (every thread: stream,
     * actors, JIT, GC): the graph spreads its work over both cores, so its wall time per message
     * alone hides what it costs.
     */
    @TearDown(Level.Iteration)
    public void reportCpu() {
        if (iterationRecipients > 0) {
            System.out.printf("(process CPU %.0f ns per recipient over %,d recipients) ",
                    (double) (processCpuNanos() - iterationCpuStart) / iterationRecipients, iterationRecipients);
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** Deletes the outcome ledgers of the iteration's campaigns (each a few hundred KiB). */
    @TearDown(Level.Iteration)
    public void deleteLedgers() throws IOException {
        Path campaignsDir = root.resolve("campaigns");
        if (Files.isDirectory(campaignsDir)) {
            try (Stream<Path> dirs = Files.list(campaignsDir)) {
                dirs.forEach(SuppressionFixture::deleteTree);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        try {
            if (shards != null) {
                shards.stop();
            }
            if (system != null) {
                system.terminate();
                system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
        } finally {
            if (capLedger != null) {
                capLedger.close();
            }
            if (suppression != null) {
                suppression.close();
            }
            if (directory != null) {
                directory.close();
            }
            SuppressionFixture.deleteTree(root);
        }
    }

    /** @return a campaign to the whole audience under a campaign id not used before in this trial */
    CampaignSpec nextSpec() {
        String id = "bench-" + campaigns.incrementAndGet();
        return new CampaignSpec(id, "Graph benchmark " + id, CHANNEL, CATEGORY, SENDER, TEMPLATE, FOOTER, audience);
    }

    /** @return the run's result; every id {@code sent} */
    @Benchmark
    @OperationsPerInvocation(AUDIENCE)
    public CampaignResult graph() {
        iterationRecipients += audienceSize;
        return CampaignRun.run(system, nextSpec(), deps).toCompletableFuture().join();
    }

    /**
     * {@link #graph} with the case's messages: what variant assignment costs a whole run.
     *
     * @return the run's result; every id {@code sent}
     */
    @Benchmark
    @OperationsPerInvocation(AUDIENCE)
    public CampaignResult graphVariants(VariantCase c) {
        iterationRecipients += audienceSize;
        return CampaignRun.run(system, nextSpec(c.variants), deps).toCompletableFuture().join();
    }

    /**
     * The send stage's per-recipient preparation with the case's messages: {@link RenderStep#prepare}
     * (batch directory read, each recipient's variant, render, message) over the audience in batches
     * of {@value #PREPARE_BATCH}, the send stage's batch at the connector's window.
     *
     * @return the number of messages prepared (one per recipient)
     */
    @Benchmark
    @OperationsPerInvocation(AUDIENCE)
    public long prepareVariants(VariantCase c) {
        iterationRecipients += audienceSize;
        return prepareCase(c.variants);
    }

    private long prepareCase(String variantCase) {
        CampaignSpec spec = nextSpec(variantCase);
        Variants variants = variantsOf(spec);
        int[] batch = new int[PREPARE_BATCH];
        long messages = 0;
        for (int from = 0; from < audienceSize; from += PREPARE_BATCH) {
            int n = Math.min(PREPARE_BATCH, audienceSize - from);
            int[] ids = n == PREPARE_BATCH ? batch : new int[n];
            for (int i = 0; i < n; i++) {
                ids[i] = from + i;
            }
            RenderStep.Prepared p = RenderStep.prepare(spec, directory, variants, Priority.MARKETING, ids);
            if (!p.failed().isEmpty()) {
                throw new IllegalStateException("the fixture prepares everyone, failed " + p.failed());
            }
            messages += p.messages().size();
        }
        return messages;
    }

    /** The variant cases, in the order of {@link VariantCase#variants}. */
    static final List<String> CASES = List.of("single", "hashed3", "sampled3");
    /** Per case, the CPU and wall time the alternating benchmarks spent on it this iteration, ns. */
    private final long[] alternatingCpu = new long[CASES.size()];
    private final long[] alternatingWall = new long[CASES.size()];
    private long alternatingRecipients;
    private int alternatingTurn;

    /**
     * The three cases of {@link #prepareVariants} one after the other in each invocation (the order
     * turning), timed apart by this thread's CPU time: on a shared machine, a comparison of cases in
     * one JVM within a second is fairer than one of separate forks minutes apart. Each iteration
     * prints per case its CPU ns per recipient and the difference to {@code single}.
     *
     * @return the number of messages prepared (one per recipient and case)
     */
    @Benchmark
    @OperationsPerInvocation(3 * AUDIENCE)
    public long prepareAlternating() {
        long messages = 0;
        for (int k = 0; k < CASES.size(); k++) {
            int c = (k + alternatingTurn) % CASES.size();
            long wall = System.nanoTime();
            long cpu = THREADS.getCurrentThreadCpuTime();
            messages += prepareCase(CASES.get(c));
            alternatingCpu[c] += THREADS.getCurrentThreadCpuTime() - cpu;
            alternatingWall[c] += System.nanoTime() - wall;
        }
        alternatingTurn++;
        alternatingRecipients += audienceSize;
        iterationRecipients += (long) CASES.size() * audienceSize;
        return messages;
    }

    /**
     * The three cases of {@link #graphVariants} one after the other in each invocation (the order
     * turning), each timed by the process's CPU time (every thread: the graph runs on both cores)
     * and wall time. Each iteration prints per case its CPU and wall ns per recipient and the
     * differences to {@code single}.
     *
     * @return the runs' results; every id {@code sent} in each
     */
    @Benchmark
    @OperationsPerInvocation(3 * AUDIENCE)
    public List<CampaignResult> graphAlternating() {
        List<CampaignResult> out = new java.util.ArrayList<>();
        for (int k = 0; k < CASES.size(); k++) {
            int c = (k + alternatingTurn) % CASES.size();
            long wall = System.nanoTime();
            long cpu = processCpuNanos();
            out.add(CampaignRun.run(system, nextSpec(CASES.get(c)), deps).toCompletableFuture().join());
            alternatingCpu[c] += processCpuNanos() - cpu;
            alternatingWall[c] += System.nanoTime() - wall;
        }
        alternatingTurn++;
        alternatingRecipients += audienceSize;
        iterationRecipients += (long) CASES.size() * audienceSize;
        return out;
    }

    /** Prints and resets the alternating benchmarks' per-case figures of the iteration. */
    @TearDown(Level.Iteration)
    public void reportAlternating() {
        if (alternatingRecipients == 0) {
            return;
        }
        StringBuilder line = new StringBuilder("[alternating");
        for (int c = 0; c < CASES.size(); c++) {
            double cpu = (double) alternatingCpu[c] / alternatingRecipients;
            double wall = (double) alternatingWall[c] / alternatingRecipients;
            line.append(String.format(" %s cpu=%.1f wall=%.1f", CASES.get(c), cpu, wall));
            if (c > 0) {
                line.append(String.format(" (%+.1f%% cpu, %+.1f%% wall)",
                        100.0 * (alternatingCpu[c] - alternatingCpu[0]) / alternatingCpu[0],
                        100.0 * (alternatingWall[c] - alternatingWall[0]) / alternatingWall[0]));
            }
        }
        System.out.print(line.append("] "));
        java.util.Arrays.fill(alternatingCpu, 0);
        java.util.Arrays.fill(alternatingWall, 0);
        alternatingRecipients = 0;
    }

    private static final java.lang.management.ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** Ids per {@link RenderStep#prepare} call in {@link #prepareVariants}: the send stage's batch at window 1,024. */
    static final int PREPARE_BATCH = AcceptingConnector.WINDOW / 4;

    /**
     * Only the plan's choice, {@link VariantPlan#variantOf}, for every recipient: the part of
     * {@link #prepareVariants} that a campaign with one message does not do.
     *
     * @return the sum of the recipients' variants
     */
    @Benchmark
    @OperationsPerInvocation(AUDIENCE)
    public long variantOf(VariantCase c) {
        VariantPlan plan = nextSpec(c.variants).plan(); // what the render step asks per recipient
        long sum = 0;
        for (int id = 0; id < audienceSize; id++) {
            sum += plan.variantOf(id);
        }
        return sum;
    }

    /**
     * {@link VariantPlan#variantsOf} of every recipient in the send stage's batches of
     * {@value #PREPARE_BATCH} ascending ids: the plan's choice as {@link RenderStep#prepare} makes it.
     *
     * @return the sum of the recipients' variants (as {@link #variantOf})
     */
    @Benchmark
    @OperationsPerInvocation(AUDIENCE)
    public long variantsOf(VariantCase c) {
        VariantPlan plan = nextSpec(c.variants).plan();
        int[] batch = new int[PREPARE_BATCH];
        long sum = 0;
        for (int from = 0; from < audienceSize; from += PREPARE_BATCH) {
            int n = Math.min(PREPARE_BATCH, audienceSize - from);
            int[] ids = n == PREPARE_BATCH ? batch : new int[n];
            for (int i = 0; i < n; i++) {
                ids[i] = from + i;
            }
            for (int v : plan.variantsOf(ids)) {
                sum += v;
            }
        }
        return sum;
    }

    /** @return the outcome counts of the loop's ledger; every id {@code sent} */
    @Benchmark
    @OperationsPerInvocation(AUDIENCE)
    public Map<String, Long> loop() throws IOException {
        iterationRecipients += audienceSize;
        CampaignSpec spec = nextSpec();
        CapContext ctx = CapContext.marketing(CHANNEL, CATEGORY, ZoneOffset.UTC);
        ZoneBuckets buckets = zones.snapshot();
        QuietHoursPlan plan = QuietHoursPlan.of(policy, buckets, CATEGORY, NOW);
        try (OutcomeLedger ledger = OutcomeLedger.open(deps.ledgerRoot().resolve(spec.id()), spec.audience())) {
            for (ImmutableRoaringBitmap chunk : AudienceChunks.split(ledger.pending())) {
                SuppressionSnapshot snapshot = suppression.snapshot();
                MutableRoaringBitmap kept = snapshot.filter(chunk, scopes, (scope, hit) -> {
                    throw new IllegalStateException("the fixture suppresses nobody, got " + hit.getCardinality());
                });
                QuietHoursDecision d = plan.decide(kept);
                if (d.deferredCount() != 0) {
                    throw new IllegalStateException("the fixture defers nobody, got " + d.deferredCount());
                }
                ReservationBatch b = capLedger.reserve(d.sendNow(), ctx, NOW);
                ledger.claim(b.reserved());
                sendChunk(spec, b, ledger);
            }
            ledger.sync();
            return ledger.counts();
        }
    }

    private void sendChunk(CampaignSpec spec, ReservationBatch b, OutcomeLedger ledger) throws IOException {
        MutableRoaringBitmap sent = new MutableRoaringBitmap();
        int inBatch = 0;
        IntIterator it = b.reserved().getIntIterator();
        while (it.hasNext()) {
            int id = it.next();
            OutboundMessage m = message(spec.id(), id);
            SendResult r = connector.send(m).toCompletableFuture().join();
            if (!(r instanceof SendResult.Accepted)) {
                throw new IllegalStateException("the fixture's connector accepts everything, got " + r);
            }
            sent.add(id);
            if (++inBatch == RECORD_BATCH) {
                record(ledger, sent, b.stamp());
                sent = new MutableRoaringBitmap();
                inBatch = 0;
            }
        }
        if (inBatch > 0) {
            record(ledger, sent, b.stamp());
        }
    }

    private void record(OutcomeLedger ledger, MutableRoaringBitmap sent, long stamp) throws IOException {
        ledger.record(Outcomes.SENT, sent);
        capLedger.confirm(sent, stamp);
    }

    /** Directory read, render, message: what the graph's send stage does per recipient before the hand-over. */
    private OutboundMessage message(String campaignId, int id) {
        Recipient r = directory.get(id).orElseThrow(() -> new IllegalStateException("no recipient " + id));
        RenderedMessage rendered = renderer.render(r, Map.of());
        return OutboundMessage.of(campaignId, id, r.e164(), SENDER, rendered, Priority.MARKETING, CHANNEL);
    }

    /**
     * As {@link #prepare}, reading only the number and the template's fields
     * ({@link RecipientDirectory#fields}) instead of the whole recipient: what the send stage would
     * cost with that read.
     *
     * @return the sum of the prepared messages' segment counts (one per recipient)
     */
    @Benchmark
    @OperationsPerInvocation(AUDIENCE)
    public long prepareFields() {
        iterationRecipients += audienceSize;
        List<String> names = renderer.template().fieldNames();
        long segments = 0;
        for (int id = 0; id < audienceSize; id++) {
            RecipientFields r = directory.fields(id, names).orElseThrow(() -> new IllegalStateException("no recipient"));
            RenderedMessage rendered = renderer.render(r, Map.of());
            segments += OutboundMessage.of("bench-prepare", id, r.e164(), SENDER, rendered, Priority.MARKETING, CHANNEL)
                    .segments();
        }
        return segments;
    }

    /** @return the sum of the prepared messages' segment counts (one per recipient) */
    @Benchmark
    @OperationsPerInvocation(AUDIENCE)
    public long prepare() {
        iterationRecipients += audienceSize;
        long segments = 0;
        for (int id = 0; id < audienceSize; id++) {
            segments += message("bench-prepare", id).segments();
        }
        return segments;
    }
}
