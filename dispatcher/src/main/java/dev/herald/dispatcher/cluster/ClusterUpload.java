package dev.herald.dispatcher.cluster;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.dispatcher.api.ApiError;
import dev.herald.dispatcher.service.ServiceSettings;
import dev.herald.suppression.CsvReader;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.StreamConverters;

/**
 * {@code POST /v1/segments/{name}} on a cluster: the CSV is read here once, each row sent to the
 * partition of its number in slices (at most {@link #SLICE_ROWS} rows, one slice in flight per
 * partition, so memory stays bounded whatever the upload's size), and the segment is stored on every
 * partition once all rows are in: with its recipients there, or empty.
 *
 * <p>The answer is a single node's ({@code {"name", "size", "lines", "rejected", "errors"}}), every
 * rejected line numbered as in the upload. An upload with no valid line stores nothing (400
 * {@code empty_segment}); a header without a phone column is refused before any row is read
 * (400 {@code invalid_csv}, in the importer's words). If a partition fails or does not answer,
 * the upload is answered 503 {@code upload_incomplete} naming it: the recipients already taken
 * stay registered, and the same upload can be sent again (registering a number twice changes
 * nothing).
 */
final class ClusterUpload extends AllDirectives {

    /** Rows per slice sent to a partition. */
    static final int SLICE_ROWS = 2_000;

    private final ClusterRoutes routes;
    private final ClusterSettings cluster;
    private final Partitioner partitioner;
    private final Executor blocking;
    private final ServiceSettings settings;

    ClusterUpload(ClusterRoutes routes, ClusterSettings cluster, Partitioner partitioner, Executor blocking,
                  ServiceSettings settings) {
        this.routes = routes;
        this.cluster = cluster;
        this.partitioner = partitioner;
        this.blocking = blocking;
        this.settings = settings;
    }

    Route route(String name, HttpRequest request, Materializer mat) {
        // refused before the body is read, as one node does (else every row is registered first and
        // each partition refuses to store the segment: 503 instead of 400)
        dev.herald.dispatcher.api.SegmentRoutes.checkUploadable(name);
        return withoutRequestTimeout(() -> {
            dev.herald.dispatcher.api.SegmentRoutes.requireCsv(request.entity().getContentType());
            InputStream body = request.entity().withSizeLimit(settings.maxUpload()).getDataBytes()
                    .runWith(StreamConverters.asInputStream(settings.bodyTimeout()), mat);
            CompletableFuture<ObjectNode> done = CompletableFuture.supplyAsync(() -> {
                try {
                    return upload(name, body);
                } catch (IOException e) {
                    throw new CompletionException(new ApiError(400, "upload_failed", "the upload could not be read"
                            + " completely: " + e.getMessage(), null));
                }
            }, blocking);
            return onSuccess(done, out -> complete(ClusterRoutes.jsonAnswer(201, out).toResponse()));
        });
    }

    /** One partition's part of the upload: its rows not yet sent, and the slice in flight. */
    private static final class Part {
        final StringBuilder csv = new StringBuilder();
        final List<Long> lines = new ArrayList<>();
        int rows;
        /** Slices of the upload sent to the partition so far. */
        int sent;
        CompletableFuture<PartitionEntity.SliceDone> inFlight = CompletableFuture.completedFuture(null);
    }

    private ObjectNode upload(String name, InputStream body) throws IOException {
        String upload = UUID.randomUUID().toString();
        Duration timeout = cluster.uploadTimeout();
        List<PartitionEntity.SliceDone> done = new ArrayList<>();
        long rejectedHere = 0;
        List<Object[]> errors = new ArrayList<>();
        long rows = 0;
        Part[] parts = new Part[cluster.partitions()];
        for (int p = 0; p < parts.length; p++) {
            parts[p] = new Part();
        }
        String header;
        int phoneColumn;
        try (CsvReader csv = CsvReader.utf8(body, CsvReader.DEFAULT_MAX_RECORD_BYTES)) {
            CsvReader.Row head = csv.next();
            header = head == null || !head.ok() ? "" : line(head.fields());
            // the importer itself judges the header, on one partition, before any row is sent
            PartitionEntity.SliceDone probe = send(Partitioner.FALLBACK, parts[Partitioner.FALLBACK].sent++, upload, name,
                    header, List.of(), false, true, timeout);
            if (probe.failure() != null) {
                throw ApiError.badRequest("invalid_csv", probe.failure(), "phone");
            }
            phoneColumn = phoneColumn(head.fields());
            for (CsvReader.Row row = csv.next(); row != null; row = csv.next()) {
                rows++;
                if (!row.ok()) {
                    rejectedHere++;
                    if (errors.size() < PartitionEntity.MAX_LISTED_ERRORS) { // in line order: the first are the ones listed
                        errors.add(new Object[] {row.line(), row.error()});
                    }
                    continue;
                }
                String[] f = row.fields();
                int p = phoneColumn < f.length ? partitioner.ofInput(f[phoneColumn]) : Partitioner.FALLBACK;
                Part part = parts[p];
                String text = line(f);
                part.csv.append(text).append('\n');
                for (int k = 0, nl = newlines(text); k <= nl; k++) {
                    part.lines.add(row.line());
                }
                if (++part.rows >= SLICE_ROWS) {
                    flush(p, part, upload, name, header, done, timeout);
                }
            }
        }
        for (int p = 0; p < parts.length; p++) {
            if (parts[p].rows > 0) {
                flush(p, parts[p], upload, name, header, done, timeout);
            }
        }
        for (Part part : parts) {
            done.add(part.inFlight.join());
        }
        done.removeIf(d -> d == null);
        failIfAny(done, "no segment was stored");
        long accepted = done.stream().mapToLong(PartitionEntity.SliceDone::accepted).sum();
        long rejected = rejectedHere + done.stream().mapToLong(PartitionEntity.SliceDone::rejected).sum();
        for (PartitionEntity.SliceDone d : done) {
            for (List<Object> e : d.errors()) {
                errors.add(new Object[] {((Number) e.get(0)).longValue(), e.get(1)});
            }
        }
        errors.sort(Comparator.comparingLong(e -> (Long) e[0]));
        boolean store = accepted > 0;
        List<CompletableFuture<PartitionEntity.SliceDone>> ends = new ArrayList<>();
        for (int p = 0; p < parts.length; p++) {
            ends.add(sendAsync(p, parts[p].sent++, upload, name, header, List.of(), true, store, timeout));
        }
        List<PartitionEntity.SliceDone> ended = ends.stream().map(CompletableFuture::join).toList();
        if (!store) {
            throw ApiError.badRequest("empty_segment", "no valid line in the upload (" + rows + " lines, " + rejected
                    + " rejected)" + (errors.isEmpty() ? "" : "; first: line " + errors.get(0)[0] + ": " + errors.get(0)[1]), null);
        }
        failIfAny(ended, "the segment may be stored on some partitions only");
        ObjectNode out = ClusterRoutes.object();
        out.put("name", name);
        out.put("size", ended.stream().mapToLong(PartitionEntity.SliceDone::segmentSize).sum());
        out.put("lines", rows);
        out.put("rejected", rejected);
        ArrayNode list = out.putArray("errors");
        errors.stream().limit(PartitionEntity.MAX_LISTED_ERRORS).forEach(e -> list.addObject().put("line", (Long) e[0])
                .put("reason", String.valueOf(e[1])));
        return out;
    }

    /** Sends {@code part}'s rows as one slice, once its previous slice has been answered. */
    private void flush(int p, Part part, String upload, String name, String header, List<PartitionEntity.SliceDone> done,
                       Duration timeout) {
        PartitionEntity.SliceDone previous = part.inFlight.join();
        if (previous != null) {
            done.add(previous);
            failIfAny(List.of(previous), "the recipients taken so far stay registered");
        }
        part.inFlight = sendAsync(p, part.sent++, upload, name, header + "\n" + part.csv, List.copyOf(part.lines), false,
                true, timeout);
        part.csv.setLength(0);
        part.lines.clear();
        part.rows = 0;
    }

    private PartitionEntity.SliceDone send(int p, int seq, String upload, String name, String csv, List<Long> lines,
                                           boolean last, boolean store, Duration timeout) {
        return sendAsync(p, seq, upload, name, csv, lines, last, store, timeout).join();
    }

    private CompletableFuture<PartitionEntity.SliceDone> sendAsync(int p, int seq, String upload, String name, String csv,
                                                                   List<Long> lines, boolean last, boolean store,
                                                                   Duration timeout) {
        String body = csv.endsWith("\n") ? csv : csv + "\n";
        return routes.sharding().entityRefFor(PartitionEntity.TYPE, Integer.toString(p))
                .<PartitionEntity.SliceDone>ask(r -> new PartitionEntity.ImportSlice(upload, name, body, lines, last, store, seq, r),
                        timeout)
                .exceptionally(e -> new PartitionEntity.SliceDone(p, 0, 0, 0, List.of(), -1, "partition " + p
                        + " did not answer within " + timeout.toSeconds() + " s"))
                .toCompletableFuture();
    }

    private static void failIfAny(List<PartitionEntity.SliceDone> answers, String consequence) {
        for (PartitionEntity.SliceDone d : answers) {
            if (d != null && d.failure() != null) {
                throw new ApiError(503, "upload_incomplete", "partition " + d.partition() + ": " + d.failure() + "; "
                        + consequence + "; send the upload again", null);
            }
        }
    }

    private static int phoneColumn(String[] header) {
        for (int i = 0; i < header.length; i++) {
            if (header[i].strip().toLowerCase(java.util.Locale.ROOT).equals("phone")) {
                return i;
            }
        }
        return -1; // the probe refused such a header already
    }

    /** The fields as one CSV record, each quoted (a quote doubled). */
    private static String line(String[] fields) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < fields.length; i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append('"').append(fields[i].replace("\"", "\"\"")).append('"');
        }
        return b.toString();
    }

    /**
     * Line ends inside a record, counted as {@link CsvReader} counts physical lines (CRLF, LF and a
     * bare CR each end one), so that a slice's line numbers map back to the upload's.
     */
    static int newlines(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n' || (c == '\r' && (i + 1 == s.length() || s.charAt(i + 1) != '\n'))) {
                n++;
            }
        }
        return n;
    }
}
