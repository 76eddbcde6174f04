package dev.herald.dispatcher.cluster;

import dev.herald.dispatcher.api.ApiDirectives;
import dev.herald.dispatcher.api.ApiKeys;
import dev.herald.dispatcher.api.AuditRoutes;
import dev.herald.dispatcher.api.BodyLimits;
import dev.herald.dispatcher.api.KeyRoutes;
import dev.herald.dispatcher.api.Role;
import dev.herald.dispatcher.service.ServiceSettings;

import java.time.Duration;
import java.util.concurrent.Executor;

import org.apache.pekko.http.javadsl.server.Route;

/**
 * What a cluster node answers itself, before {@link ClusterRoutes}: the cluster's API keys and
 * audit log, and its settings.
 *
 * <ul>
 *   <li>{@code POST /v1/keys}, {@code GET /v1/keys}, {@code DELETE /v1/keys/{id}} (admin) and
 *       {@code GET /v1/me}: a single node's routes ({@link KeyRoutes}) over the cluster's key file
 *       ({@link ClusterKeys}), so every answer, refusal included, is one node's.</li>
 *   <li>{@code GET /v1/audit} (admin): a single node's route ({@link AuditRoutes}: its filters and
 *       refusals) over every node's log ({@link ClusterAudit}).</li>
 *   <li>{@code GET /v1/settings} (viewer): forwarded to partition {@link Partitioner#FALLBACK}. Every
 *       partition decides with the same sender profiles, cap rules and quiet-hours policy: they are read
 *       from the node's configuration, which a partition's only changes in its links' base URLs and its
 *       receipts' capacity ({@link PartitionConfig}), neither of which the answer shows. (Every node must
 *       run the same configuration: the answer is that of the node hosting partition 0.)</li>
 * </ul>
 *
 * <pre>{@code
 * Route api = audit.recording(keys, new ClusterAdminRoutes(keys, settings, audit, routes, cluster, blocking).route(routes.route()));
 * }</pre>
 *
 * <p>Thread-safety: the routes are immutable.
 */
final class ClusterAdminRoutes extends ApiDirectives {

    private final Route keyRoutes;
    private final Route auditRoutes;
    private final ClusterRoutes forward;
    private final ServiceSettings settings;
    private final Duration askTimeout;

    /**
     * @param keys     the cluster's keys ({@link ClusterKeys})
     * @param settings {@code herald.service} (body limits)
     * @param audit    the cluster's audit log
     * @param forward  how the settings reach a partition
     * @param cluster  {@code herald.cluster} (the partitions' answer time)
     * @param blocking where the audit logs are read and key changes run
     */
    ClusterAdminRoutes(ApiKeys keys, ServiceSettings settings, ClusterAudit audit, ClusterRoutes forward,
                       ClusterSettings cluster, Executor blocking) {
        super(keys, settings.maxJsonBody(), settings.bodyTimeout());
        this.keyRoutes = new KeyRoutes(keys, settings.maxJsonBody(), settings.bodyTimeout(), blocking).route();
        this.auditRoutes = new AuditRoutes(keys, new BodyLimits(settings.maxJsonBody(), settings.bodyTimeout()), audit::read,
                blocking).route();
        this.forward = forward;
        this.settings = settings;
        this.askTimeout = cluster.askTimeout();
    }

    /** @return this group's routes (sealed: errors as JSON), and {@code rest} for every other request */
    Route route(Route rest) {
        Route own = concat(keyRoutes, auditRoutes, settingsRoute()).seal(rejectionHandler(), exceptionHandler());
        return extractUri(uri -> {
            String path = uri.path();
            boolean mine = path.equals("/v1/keys") || path.equals("/v1/keys/") || path.startsWith("/v1/keys/")
                    || path.equals("/v1/me") || path.equals("/v1/audit") || path.equals("/v1/settings");
            return mine ? own : rest;
        });
    }

    /** {@code GET /v1/settings}: a valid key here, its role checked by the partition (as every forwarded request). */
    private Route settingsRoute() {
        return path(org.apache.pekko.http.javadsl.server.PathMatchers.segment("v1").slash("settings"), () -> get(() ->
                authorized(Role.ANALYST, key -> extractRequest(request -> extractMaterializer(mat -> onSuccess(
                        HttpCall.of(request, settings.maxJsonBody(), settings.bodyTimeout().toMillis(), mat)
                                .thenCompose(c -> forward.ask(Partitioner.FALLBACK, c, askTimeout))
                                .thenApply(HttpAnswer::toResponse), this::complete))))));
    }
}
