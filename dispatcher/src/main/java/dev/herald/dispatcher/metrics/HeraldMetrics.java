package dev.herald.dispatcher.metrics;

import dev.herald.dispatcher.campaign.CampaignStatus;
import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.outcome.Outcome;
import dev.herald.suppression.store.TornTails;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Herald's metrics, exposed by {@code GET /metrics} in Prometheus text format. Nothing is pushed
 * anywhere: the registry only answers scrapes.
 *
 * <pre>{@code
 * HeraldMetrics metrics = HeraldMetrics.prometheus();          // or HeraldMetrics.noop()
 * Connector counted = metrics.meter(connector);               // connector sends, answers, in flight
 * metrics.campaigns(() -> askManagerForEveryCampaign());      // outcome totals, campaigns, lag
 * String text = metrics.scrape().toCompletableFuture().join();
 * }</pre>
 *
 * <p><b>Series.</b>
 * <ul>
 * <li>{@code herald_messages_total{outcome}}: recipients of all campaigns with the final outcome
 *     family {@code sent}, {@code suppressed}, {@code capped}, {@code failed}, {@code unknown} or
 *     {@code expired}. Final outcomes never change, so these only grow.</li>
 * <li>{@code herald_recipients_decided_total}: their sum; its rate is recipients decided per second.</li>
 * <li>{@code herald_recipients_waiting{state}}: recipients of scheduled, running and paused
 *     campaigns still {@code pending}, {@code deferred} (quiet hours) or {@code in_flight} — the
 *     stream's lag. Deferred is here, not among the totals, because a deferred recipient later gets
 *     a final outcome: a count of it goes down, which a Prometheus counter must not.</li>
 * <li>{@code herald_campaigns{status}}: campaigns per status.</li>
 * <li>{@code herald_store_torn_tails_total}: incomplete last records dropped from any log-like store
 *     (see {@link TornTails}); each is also logged naming the file, offset and bytes.</li>
 * <li>{@code herald_connector_*}: see {@link MeteredConnector}.</li>
 * <li>{@code herald_http_requests_seconds{method, route, status}}: see {@link RouteClass}.</li>
 * <li>JVM: memory, GC, threads, class loading, CPU and uptime (Micrometer's binders).</li>
 * <li>A cluster node's own: {@code herald_cluster_partitions_open}, {@code herald_cluster_event_streams}
 *     ({@link #clusterNode}). On a cluster the node shows the JVM's series ({@link #node()}) and each
 *     partition it hosts the rest ({@link #partition()}).</li>
 * </ul>
 *
 * <p><b>Campaign counts are read, not counted.</b> Each scrape first asks the campaign source
 * (the campaign manager: stored records, live counts for campaigns with an actor) and sums what
 * the outcome ledgers say. So the totals are exactly what {@code GET /v1/campaigns/{id}} shows,
 * survive restarts, and the campaign pipeline is untouched; a scrape costs one look at each campaign.
 *
 * <p>Thread-safety: thread-safe; the last campaign totals are published through a volatile field.
 */
public final class HeraldMetrics implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HeraldMetrics.class);

    /** Final outcome families ({@link Outcome.Family} but deferred and held), as {@code herald_messages_total}'s {@code outcome} label. */
    public static final List<String> OUTCOMES = java.util.Arrays.stream(Outcome.Family.values())
            .filter(f -> f != Outcome.Family.DEFERRED && f != Outcome.Family.HELD).map(Outcome.Family::wire).toList();

    private static final HeraldMetrics NOOP = new HeraldMetrics(null, Scope.SERVICE);

    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gc;
    private volatile CampaignTotals totals = CampaignTotals.EMPTY;
    private volatile Supplier<CompletionStage<List<CampaignTotals.Campaign>>> campaigns;

    /**
     * Which series a registry shows: a single node shows them all; on a cluster, the node shows the
     * process's own (JVM, process-wide counters) once and each partition its own Herald series.
     */
    private enum Scope {
        /** {@code herald serve}: everything. */
        SERVICE(true, true),
        /** A partition on a cluster node: its campaigns, stores and connectors; nothing of the JVM. */
        PARTITION(false, true),
        /** A cluster node itself: the JVM and process-wide series; no campaigns (its partitions have them). */
        NODE(true, false);

        final boolean process;
        final boolean campaigns;

        Scope(boolean process, boolean campaigns) {
            this.process = process;
            this.campaigns = campaigns;
        }
    }

    private HeraldMetrics(PrometheusMeterRegistry registry, Scope scope) {
        this.registry = registry;
        if (registry == null || !scope.process) {
            gc = null;
        } else {
            new JvmMemoryMetrics().bindTo(registry);
            gc = new JvmGcMetrics();
            gc.bindTo(registry);
            new JvmThreadMetrics().bindTo(registry);
            new ClassLoaderMetrics().bindTo(registry);
            new ProcessorMetrics().bindTo(registry);
            new UptimeMetrics().bindTo(registry);
            FunctionCounter.builder("herald.store.torn.tails", this, m -> TornTails.count())
                    .description("incomplete last records (writes torn by a crash) dropped from Herald's logs since the start;"
                            + " each is also logged with its file, offset and size")
                    .register(registry);
        }
        if (registry == null || !scope.campaigns) {
            return;
        }
        for (String outcome : OUTCOMES) {
            FunctionCounter.builder("herald.messages", this, m -> m.totals.family(outcome))
                    .description("recipients of all campaigns with this final outcome family")
                    .tag("outcome", outcome).register(registry);
        }
        FunctionCounter.builder("herald.recipients.decided", this,
                        m -> OUTCOMES.stream().mapToLong(m.totals::family).sum())
                .description("recipients of all campaigns with a final outcome; rate() is recipients decided per second")
                .register(registry);
        for (String state : List.of("pending", "deferred", "inFlight", "held")) {
            Gauge.builder("herald.recipients.waiting", this, m -> m.totals.waiting().getOrDefault(state, 0L))
                    .description("recipients of scheduled, running and paused campaigns without a final outcome yet")
                    .tag("state", state.equals("inFlight") ? "in_flight" : state).strongReference(true).register(registry);
        }
        for (CampaignStatus s : CampaignStatus.values()) {
            Gauge.builder("herald.campaigns", this, m -> m.totals.campaigns().getOrDefault(s, 0L))
                    .description("campaigns by status").tag("status", s.wire()).strongReference(true).register(registry);
        }
    }

    /**
     * Counts one inbound reply: {@code herald_inbound_total{outcome}}, the outcome being the action
     * taken ({@code opt-out}, {@code opt-in}, {@code help}, {@code none}) or why it was refused
     * ({@code invalid_signature}, {@code replayed}, {@code stale_request}, {@code bad_request}).
     */
    public void inbound(String outcome) {
        if (registry != null) {
            registry.counter("herald.inbound", "outcome", outcome).increment();
        }
    }

    /**
     * Counts a delivery receipt ({@code herald_receipts_total{connector,status}}).
     *
     * @param connector the connector it came through
     * @param status    its state, e.g. {@code delivered}, or {@code invalid} for one that could not be read
     */
    public void receipt(String connector, String status) {
        if (registry != null) {
            registry.counter("herald.receipts", "connector", connector, "status", status).increment();
        }
    }

    /**
     * Shows how receipts matched: {@code herald_receipts_matched_total},
     * {@code herald_receipts_unmatched_total} (counted, logged and kept in receipts/unmatched.log),
     * {@code herald_receipts_held} (waiting for their message's id now) and
     * {@code herald_message_ids} (ids in the durable message-id map).
     *
     * @param d the deliveries
     */
    public void deliveries(dev.herald.dispatcher.delivery.Deliveries d) {
        if (registry == null) {
            return;
        }
        io.micrometer.core.instrument.FunctionCounter.builder("herald.receipts.matched", d, x -> x.matched() + x.heldThenMatched())
                .description("receipts matched to their recipient").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("herald.receipts.unmatched", d, x -> x.unmatched())
                .description("receipts that matched no message (kept in receipts/unmatched.log)").register(registry);
        io.micrometer.core.instrument.Gauge.builder("herald.receipts.held", d, x -> x.held())
                .description("receipts waiting for their message's id or for their campaign's delivery ledger to load").register(registry);
        io.micrometer.core.instrument.Gauge.builder("herald.message.ids", d, x -> x.ids().size())
                .description("message ids in the durable message-id map").register(registry);
    }

    /**
     * Shows the clicks on tracked links: {@code herald_clicks_total{class}} (human, preview, bot,
     * suspicious; counted as each redirect is answered), {@code herald_clicks_dropped_total} (not
     * recorded: the queue was full), {@code herald_clicks_failed_total} (not written: a disk error)
     * and {@code herald_clicks_waiting} (queued for the next group commit).
     *
     * @param c the clicks
     */
    public void clicks(dev.herald.dispatcher.links.Clicks c) {
        if (registry == null) {
            return;
        }
        for (dev.herald.dispatcher.links.ClickRules.ClickClass k : dev.herald.dispatcher.links.ClickRules.ClickClass.values()) {
            FunctionCounter.builder("herald.clicks", c, x -> x.recorded(k)).tag("class", k.label())
                    .description("clicks on tracked links, by class").register(registry);
        }
        FunctionCounter.builder("herald.clicks.dropped", c, x -> x.dropped())
                .description("clicks not recorded because too many waited to be written").register(registry);
        FunctionCounter.builder("herald.clicks.failed", c, x -> x.failed())
                .description("clicks that could not be written (a disk error)").register(registry);
        io.micrometer.core.instrument.Gauge.builder("herald.clicks.waiting", c, x -> x.waiting())
                .description("clicks waiting for the next group commit").register(registry);
    }

    /**
     * Shows the conversions: {@code herald_conversions_total} (stored, each order once) and
     * {@code herald_conversions_unattributed_total} (of them, with no campaign).
     *
     * @param c the conversions
     */
    public void conversions(dev.herald.dispatcher.funnel.Conversions c) {
        if (registry == null) {
            return;
        }
        FunctionCounter.builder("herald.conversions", c, x -> x.size())
                .description("conversions recorded (each order once)").register(registry);
        FunctionCounter.builder("herald.conversions.unattributed", c, x -> x.unattributed().count())
                .description("conversions recorded without a campaign (no touch within the windows)").register(registry);
    }

    /**
     * Shows the events posted to {@code POST /v1/events}: {@code herald_events_total} (stored, each
     * event id once).
     *
     * @param e the events
     */
    public void events(dev.herald.dispatcher.journey.Events e) {
        if (registry == null) {
            return;
        }
        FunctionCounter.builder("herald.events", e, x -> x.size())
                .description("events recorded (each event id once)").register(registry);
    }

    /**
     * Shows the journeys' figures ({@code herald_journeys}, {@code herald_journey_instances_waiting},
     * {@code herald_journey_entered_total}, {@code herald_journey_exited_total{reason}}), as of the
     * engine's last change.
     *
     * @param totals  the engine (its {@code totals()} are read on any thread; held strongly here, as
     *                Micrometer keeps only a weak reference to a meter's object)
     * @param reasons the exit reasons shown (others are summed under {@code other})
     */
    public void journeys(dev.herald.dispatcher.journey.JourneyEngine engine, java.util.List<String> reasons) {
        if (registry == null) {
            return;
        }
        io.micrometer.core.instrument.Gauge.builder("herald.journeys", engine, e -> e.totals().journeys())
                .description("journeys the engine runs").register(registry);
        io.micrometer.core.instrument.Gauge.builder("herald.journey.instances.waiting", engine, e -> e.totals().waiting())
                .description("journey instances not ended").register(registry);
        FunctionCounter.builder("herald.journey.entered", engine, e -> e.totals().entered())
                .description("journey instances entered").register(registry);
        for (String reason : reasons) {
            FunctionCounter.builder("herald.journey.exited", engine, e -> e.totals().exited().getOrDefault(reason, 0L))
                    .tag("reason", reason).description("journey instances ended, by reason").register(registry);
        }
        FunctionCounter.builder("herald.journey.exited", engine, e -> e.totals().exited().entrySet().stream()
                        .filter(x -> !reasons.contains(x.getKey())).mapToLong(java.util.Map.Entry::getValue).sum())
                .tag("reason", "other").description("journey instances ended, by reason").register(registry);
    }

    /**
     * Shows an SMPP connector's sessions and window ({@code herald_smpp_binds_up},
     * {@code herald_smpp_binds}, {@code herald_smpp_window_in_use}, {@code herald_smpp_window}) and
     * its counters ({@code herald_smpp_unconfirmed_total}, {@code herald_smpp_invalid_deliveries_total},
     * {@code herald_smpp_parts_accepted_total}, {@code herald_smpp_rebinds_total}).
     *
     * @param smpp the connector
     */
    public void smpp(dev.herald.dispatcher.connector.smpp.SmppConnector smpp) {
        if (registry == null) {
            return;
        }
        String name = smpp.name();
        io.micrometer.core.instrument.Gauge.builder("herald.smpp.binds.up", smpp, c -> c.sessionsBound())
                .description("SMPP sessions bound now").tag("connector", name).register(registry);
        io.micrometer.core.instrument.Gauge.builder("herald.smpp.binds", smpp, c -> c.sessionsConfigured())
                .description("SMPP sessions configured").tag("connector", name).register(registry);
        io.micrometer.core.instrument.Gauge.builder("herald.smpp.window.in.use", smpp, c -> c.inFlight())
                .description("sends handed to the connector, not yet answered").tag("connector", name).register(registry);
        io.micrometer.core.instrument.Gauge.builder("herald.smpp.window", smpp, c -> c.window())
                .description("the most sends unanswered at once").tag("connector", name).register(registry);
        dev.herald.dispatcher.connector.smpp.SmppConnector.Counters k = smpp.counters();
        io.micrometer.core.instrument.FunctionCounter.builder("herald.smpp.unconfirmed", k, x -> x.unconfirmed.sum())
                .description("sends never answered: the recipient is unknown").tag("connector", name).register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("herald.smpp.invalid.deliveries", k, x -> x.invalidDeliveries.sum())
                .description("deliver_sm that could not be read").tag("connector", name).register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("herald.smpp.parts.accepted", k, x -> x.partsAccepted.sum())
                .description("message parts the SMSC accepted").tag("connector", name).register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("herald.smpp.binds.made", k, x -> x.binds.sum())
                .description("binds made, first and again").tag("connector", name).register(registry);
    }

    /** Counts one confirmation or help reply by its connector answer: {@code herald_inbound_replies_total{result}}. */
    public void inboundReply(String result) {
        if (registry != null) {
            registry.counter("herald.inbound.replies", "result", result).increment();
        }
    }

    /** @return metrics that record nothing: {@link #meter} returns the connector itself, {@link #scrape} answers "" */
    public static HeraldMetrics noop() {
        return NOOP;
    }

    /** @return metrics in a new Prometheus registry of their own (not Micrometer's global one), JVM binders bound */
    public static HeraldMetrics prometheus() {
        return new HeraldMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), Scope.SERVICE);
    }

    /**
     * @return a partition's metrics on a cluster node: as {@link #prometheus()}, without the series of
     *     the process (the JVM binders' and {@code herald_store_torn_tails_total}, which counts for
     *     the whole process): the node shows those once ({@link #node()})
     */
    public static HeraldMetrics partition() {
        return new HeraldMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), Scope.PARTITION);
    }

    /**
     * @return a cluster node's own metrics: the JVM binders and {@code herald_store_torn_tails_total};
     *     no campaign series (each partition shows its own, {@link #partition()}); the node's SMPP
     *     binds through {@link #smpp}, its own figures through {@link #clusterNode}
     */
    public static HeraldMetrics node() {
        return new HeraldMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), Scope.NODE);
    }

    /**
     * Shows a cluster node's own figures: {@code herald_cluster_partitions_open} (partitions open on
     * this node now) and {@code herald_cluster_event_streams} (live progress streams it serves now).
     *
     * @param partitionsOpen read at each scrape
     * @param eventStreams   read at each scrape
     */
    public void clusterNode(java.util.function.IntSupplier partitionsOpen, java.util.function.IntSupplier eventStreams) {
        if (registry == null) {
            return;
        }
        Gauge.builder("herald.cluster.partitions.open", partitionsOpen, java.util.function.IntSupplier::getAsInt)
                .description("partitions open on this node now").strongReference(true).register(registry);
        Gauge.builder("herald.cluster.event.streams", eventStreams, java.util.function.IntSupplier::getAsInt)
                .description("live campaign progress streams (GET /v1/campaigns/{id}/events) this node serves now")
                .strongReference(true).register(registry);
    }

    /** @return whether anything is recorded (false for {@link #noop()}) */
    public boolean enabled() {
        return registry != null;
    }

    /**
     * @param connector a connector
     * @return {@code connector} counted by a {@link MeteredConnector}; itself if not {@link #enabled()}
     */
    public Connector meter(Connector connector) {
        return registry == null ? connector : new MeteredConnector(connector, registry);
    }

    /**
     * Sets where the campaign meters read from; asked once per {@link #scrape()}.
     *
     * @param source every campaign with its status and outcome families, asynchronously
     * @throws NullPointerException if {@code source} is null
     */
    public void campaigns(Supplier<CompletionStage<List<CampaignTotals.Campaign>>> source) {
        this.campaigns = Objects.requireNonNull(source, "source");
    }

    /**
     * Counts one answered HTTP request.
     *
     * @param method  the HTTP method
     * @param route   a {@link RouteClass} label (bounded)
     * @param status  the answer's status code
     * @param nanos   how long the request took to answer (to the response head, for streams)
     */
    public void httpRequest(String method, String route, int status, long nanos) {
        if (registry == null) {
            return;
        }
        Timer.builder("herald.http.requests").description("HTTP requests by method, route class and status")
                .tag("method", method).tag("route", route).tag("status", Integer.toString(status))
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Reads the campaign source (if set), then renders every series.
     *
     * @return the Prometheus text exposition; if the campaign source fails, the last totals are
     *     kept and the failure logged
     */
    public CompletionStage<String> scrape() {
        if (registry == null) {
            return CompletableFuture.completedFuture("");
        }
        Supplier<CompletionStage<List<CampaignTotals.Campaign>>> source = campaigns;
        CompletionStage<List<CampaignTotals.Campaign>> read = source == null
                ? CompletableFuture.completedFuture(null) : source.get();
        return read.handle((list, e) -> {
            if (list != null) {
                totals = CampaignTotals.of(list);
            } else if (e != null) {
                LOG.warn("metrics: campaign counts could not be read; the last ones are shown: {}", e.toString());
            }
            return registry.scrape();
        });
    }

    /** @return the last campaign totals read */
    public CampaignTotals totals() {
        return totals;
    }

    /** Unbinds the GC listener and closes the registry. Idempotent; not for {@link #noop()} callers to worry about. */
    @Override
    public void close() {
        if (registry != null) {
            if (gc != null) {
                gc.close();
            }
            registry.close();
        }
    }
}
