package dev.herald.dispatcher.cluster;

import dev.herald.dispatcher.api.ApiKeys;
import dev.herald.dispatcher.api.AuditLog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The cluster's audit log: every change made through a node's API by a key, recorded once, by the
 * node that answered the request (however many partitions it reached; the partitions record
 * nothing), in that node's own log under the storage root:
 * {@code <storage-root>/cluster/audit/<host>_<port>/audit/audit.log} (the format of a single node's).
 * {@code GET /v1/audit} on any node reads every node's log and merges them, newest first.
 *
 * <pre>{@code
 * ClusterAudit audit = ClusterAudit.open(root, "10.0.0.1:25520");
 * Route api = audit.recording(keys, routes);            // every change a key makes, once answered
 * AuditLog.Page p = audit.read(null, null, null, 100);  // every node's, merged
 * }</pre>
 *
 * <p>One writer per log: a node appends only to its own (a node's address is its own while it
 * runs), so logs of nodes writing at once never interleave, and a reader reads each up to its last
 * whole line. Thread-safe.
 */
final class ClusterAudit implements AutoCloseable {

    /** The folder of every node's log, relative to the storage root. */
    static final String DIR = "cluster/audit";

    private final Path nodes;
    private final AuditLog own;
    /** This node's hold on its log: a second process with the same address is refused rather than interleaving lines. */
    private final java.nio.channels.FileChannel lockChannel;

    private ClusterAudit(Path nodes, AuditLog own, java.nio.channels.FileChannel lockChannel) {
        this.nodes = nodes;
        this.own = own;
        this.lockChannel = lockChannel;
    }

    /**
     * @param root the storage root
     * @param node this node's cluster address, {@code host:port} (the name of its log's folder)
     * @throws IOException if the node's log cannot be opened for appending
     */
    static ClusterAudit open(Path root, String node) throws IOException {
        Path nodes = root.resolve(DIR);
        Path folder = nodes.resolve(node.replaceAll("[^A-Za-z0-9.\\-]", "_"));
        Files.createDirectories(folder);
        java.nio.channels.FileChannel lock = java.nio.channels.FileChannel.open(folder.resolve("audit.lock"),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
        try {
            java.nio.channels.FileLock held;
            try {
                held = lock.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException sameProcess) {
                held = null;
            }
            if (held == null) {
                throw new IOException("the audit log in " + folder + " is being written by another node with the address " + node
                        + " (each node needs its own cluster address)");
            }
            return new ClusterAudit(nodes, AuditLog.open(folder), lock);
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /**
     * {@code inner}, with every change a valid key asks for (POST, PUT, PATCH, DELETE) recorded in this
     * node's log once answered, with the answer's status. The key is known before the request runs (a
     * key revoking itself is recorded as itself).
     */
    Route recording(ApiKeys keys, Route inner) {
        return dev.herald.dispatcher.api.HttpApi.audited(new AllDirectives() { }, inner, keys, own);
    }

    /**
     * Every node's entries in {@code [from, to)} (either may be null: open), of {@code keyId} if given,
     * newest first, at most {@code limit}: {@code more} if any log had more, {@code damaged} summed.
     *
     * @throws UncheckedIOException if a log cannot be read (naming it)
     */
    AuditLog.Page read(Instant from, Instant to, String keyId, int limit) {
        List<AuditLog.Entry> all = new ArrayList<>();
        boolean more = false;
        long damaged = 0;
        for (Path log : logs()) {
            AuditLog.Page p = AuditLog.readComplete(log, from, to, keyId, limit);
            all.addAll(p.entries());
            more |= p.more();
            damaged += p.damaged();
        }
        all.sort(Comparator.comparing(AuditLog.Entry::at).reversed());
        if (all.size() > limit) {
            more = true;
            all = all.subList(0, limit);
        }
        return new AuditLog.Page(List.copyOf(all), more, damaged);
    }

    /** @return every node's log (a node that never recorded a change may have none) */
    private List<Path> logs() {
        if (!Files.isDirectory(nodes)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(nodes)) {
            return s.map(n -> n.resolve(AuditLog.FILE)).filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("the cluster's audit logs in " + nodes + " could not be listed: " + e.getMessage(), e);
        }
    }

    /** Writes what is queued, then closes this node's log. */
    @Override
    public void close() throws IOException {
        try {
            own.close();
        } finally {
            lockChannel.close(); // releases the lock
        }
    }
}
