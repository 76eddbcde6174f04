package dev.herald.dispatcher.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.dispatcher.api.ApiError;
import dev.herald.dispatcher.api.CsvOptOuts;
import dev.herald.dispatcher.api.PhoneMask;
import dev.herald.dispatcher.service.ServiceSettings;
import dev.herald.suppression.CsvReader;
import dev.herald.suppression.PhoneNumbers;
import dev.herald.suppression.Scope;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.stream.Collectors;

import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.StreamConverters;

/**
 * {@code POST /v1/suppressions} as {@code text/csv} on a cluster: the upload is read here once and
 * every record judged as a single node judges it ({@link CsvOptOuts#judge}: a broken record, a
 * missing or invalid number or scope is refused here, numbered by its line in the upload); each
 * taken record is sent to its number's partition in slices (at most {@link #SLICE_ROWS} records,
 * one slice in flight per partition, so memory stays bounded), as a CSV of {@code phone, scope,
 * reason} with the request's own {@code ?scope=} and {@code ?reason=} defaults. Each partition
 * answers a slice once its opt-outs are durable there; the upload is answered when every slice
 * has been, so <b>an acknowledged opt-out is durable in the partition that sends to that
 * recipient</b>.
 *
 * <p>The answer is a single node's: {@code {"suppressed", "alreadySuppressed", "rejected",
 * "errors"}} (the first 100 refusals by line, each {@code {"line", "phone" (masked), "reason"}}),
 * 201 when something was suppressed, else 200; a header, body or default scope a single node refuses
 * gets its refusal (400 {@code missing_body}, {@code invalid_csv}, {@code missing_parameter},
 * {@code invalid_scope}; 413 past the upload limit), and an upload with no valid number 400
 * {@code invalid_csv}. If a partition fails or does not answer, 503 {@code optout_incomplete} names
 * it: the slices already answered are durable, and the same upload can be sent again (an opt-out
 * made twice changes nothing).
 */
final class ClusterOptOutUpload extends AllDirectives {

    /** Records per slice sent to a partition. */
    static final int SLICE_ROWS = 2_000;
    /** As many refusals as a single node lists. */
    private static final int MAX_ERRORS = 100;
    private static final PhoneNumbers NUMBERS = PhoneNumbers.international();
    private static final String HEADER = "phone,scope,reason";

    private final ClusterRoutes routes;
    private final ClusterSettings cluster;
    private final Partitioner partitioner;
    private final Executor blocking;
    private final ServiceSettings settings;

    ClusterOptOutUpload(ClusterRoutes routes, ClusterSettings cluster, Partitioner partitioner, Executor blocking,
                        ServiceSettings settings) {
        this.routes = routes;
        this.cluster = cluster;
        this.partitioner = partitioner;
        this.blocking = blocking;
        this.settings = settings;
    }

    Route route(HttpRequest request, Materializer mat) {
        Optional<String> scopeParam = request.getUri().query().get("scope");
        Scope defaultScope = scopeParam.map(s -> {
            try {
                return Scope.parse(s);
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest("invalid_scope", e.getMessage(), "scope");
            }
        }).orElse(null);
        long max = settings.maxUpload();
        if (request.entity().getContentLengthOption().isPresent() && request.entity().getContentLengthOption().getAsLong() > max) {
            throw new ApiError(413, "body_too_large", "the upload is larger than the " + max + " bytes allowed here", null);
        }
        return withoutRequestTimeout(() -> {
            InputStream body = request.entity().withSizeLimit(max).getDataBytes()
                    .runWith(StreamConverters.asInputStream(settings.bodyTimeout()), mat);
            CompletableFuture<HttpAnswer> done = HttpCall.of(request.withEntity(HttpEntities.EMPTY), 0,
                    settings.bodyTimeout().toMillis(), mat).toCompletableFuture().thenApplyAsync(template -> {
                        try (InputStream in = body) {
                            return upload(template, in, defaultScope);
                        } catch (IOException e) {
                            throw new CompletionException(uploadFailure(e));
                        }
                    }, blocking);
            return onSuccess(done, a -> complete(a.toResponse()));
        });
    }

    /** One partition's records not yet sent, and its slice in flight. */
    private static final class Part {
        final StringBuilder csv = new StringBuilder();
        final List<Long> lines = new ArrayList<>();
        int rows;
        CompletableFuture<Slice> inFlight = CompletableFuture.completedFuture(null);
    }

    /** A slice's answer: the partition's, and the upload's line of each of the slice's lines. */
    private record Slice(int partition, HttpAnswer answer, List<Long> lines) {
    }

    private HttpAnswer upload(HttpCall template, InputStream body, Scope defaultScope) throws IOException {
        Part[] parts = new Part[cluster.partitions()];
        for (int p = 0; p < parts.length; p++) {
            parts[p] = new Part();
        }
        List<ObjectNode> errors = new ArrayList<>();
        List<Slice> answered = new ArrayList<>();
        long[] rejectedHere = {0};
        CsvReader rows = CsvOptOuts.reader(body);
        CsvOptOuts.Columns columns = CsvOptOuts.header(rows, defaultScope);
        try {
            read(rows, columns, defaultScope, parts, template, answered, errors, rejectedHere);
        } catch (IOException broken) {
            // as on one node, the records before the break are taken: what is read goes to its partition first
            for (int p = 0; p < parts.length; p++) {
                if (parts[p].rows > 0) {
                    flush(p, parts[p], template, answered);
                }
                parts[p].inFlight.join();
            }
            throw broken;
        }
        for (int p = 0; p < parts.length; p++) {
            if (parts[p].rows > 0) {
                flush(p, parts[p], template, answered);
            }
        }
        for (Part part : parts) {
            Slice last = part.inFlight.join();
            if (last != null) {
                answered.add(last);
            }
        }
        for (Slice s : answered) {
            failIfRefused(s);
        }
        return merge(answered, errors, rejectedHere[0]);
    }

    /** Judges every record, refusing here what a single node refuses, and sends the others to their partitions. */
    private void read(CsvReader rows, CsvOptOuts.Columns columns, Scope defaultScope, Part[] parts, HttpCall template,
                      List<Slice> answered, List<ObjectNode> errors, long[] rejectedHere) throws IOException {
        for (CsvReader.Row row = rows.next(); row != null; row = rows.next()) {
            CsvOptOuts.Judged j = CsvOptOuts.judge(row, columns, NUMBERS, defaultScope);
            if (j.refusal() != null) {
                rejectedHere[0]++;
                if (errors.size() < MAX_ERRORS) { // in line order: the first are the ones listed
                    errors.add(error(j.line(), PhoneMask.mask(j.phone()), j.refusal()));
                }
                continue;
            }
            int p = partitioner.ofKey(j.number().key());
            String scope = columns.scope() < 0 ? "" : row.fields()[columns.scope()].strip();
            String record = quoted(j.phone()) + "," + quoted(scope) + "," + quoted(j.reasonText());
            Part part = parts[p];
            part.csv.append(record).append('\n');
            for (int k = 0, nl = ClusterUpload.newlines(record); k <= nl; k++) {
                part.lines.add(j.line());
            }
            if (++part.rows >= SLICE_ROWS) {
                flush(p, part, template, answered);
            }
        }
    }

    private HttpAnswer merge(List<Slice> answered, List<ObjectNode> errors, long rejectedHere) {
        long rejected = rejectedHere;
        long suppressed = 0;
        long already = 0;
        for (Slice s : answered) {
            JsonNode n = ClusterRoutes.json(s.answer());
            suppressed += n.path("suppressed").asLong();
            already += n.path("alreadySuppressed").asLong();
            rejected += n.path("rejected").asLong();
            for (JsonNode e : n.path("errors")) {
                int at = e.path("line").asInt() - 2; // the slice's header is its line 1
                long line = at >= 0 && at < s.lines().size() ? s.lines().get(at) : e.path("line").asLong();
                errors.add(error(line, e.path("phone").isNull() ? null : e.path("phone").asText(), e.path("reason").asText()));
            }
        }
        errors.sort(Comparator.comparingLong(e -> e.path("line").asLong()));
        if (answered.isEmpty()) {
            String summary = errors.stream().limit(5).map(e -> e.path("line").asText() + " " + e.path("phone").asText() + " "
                    + e.path("reason").asText()).collect(Collectors.joining("; "));
            throw ApiError.badRequest("invalid_csv", "no valid phone number in the upload (" + rejected + " rejected): "
                    + summary, "phone");
        }
        ObjectNode out = ClusterRoutes.object();
        out.put("suppressed", suppressed);
        out.put("alreadySuppressed", already);
        out.put("rejected", rejected);
        ArrayNode list = out.putArray("errors");
        errors.stream().limit(MAX_ERRORS).forEach(list::add);
        return ClusterRoutes.jsonAnswer(suppressed > 0 ? 201 : 200, out);
    }

    /** Sends {@code part}'s records as one slice, once its previous slice has been answered (and accepted). */
    private void flush(int p, Part part, HttpCall template, List<Slice> answered) {
        Slice previous = part.inFlight.join();
        if (previous != null) {
            failIfRefused(previous);
            answered.add(previous);
        }
        byte[] csv = (HEADER + "\n" + part.csv).getBytes(StandardCharsets.UTF_8);
        List<Long> lines = List.copyOf(part.lines);
        part.inFlight = routes.ask(p, template.withBody(csv, "text/csv; charset=UTF-8"), cluster.uploadTimeout())
                .thenApply(a -> new Slice(p, a, lines)).toCompletableFuture();
        part.csv.setLength(0);
        part.lines.clear();
        part.rows = 0;
    }

    private static void failIfRefused(Slice s) {
        if (s.answer().ok() && ClusterRoutes.json(s.answer()) != null) {
            return;
        }
        JsonNode n = ClusterRoutes.json(s.answer());
        if ((s.answer().status() == 401 || s.answer().status() == 403) && n != null && n.has("error")) {
            // the key may not opt out: every partition refuses it alike, and nothing was taken
            throw new ApiError(s.answer().status(), n.path("error").asText(), n.path("message").asText(), null);
        }
        String why = n != null && n.has("error") ? n.path("error").asText() + ": " + n.path("message").asText() : s.answer().text();
        throw new ApiError(503, "optout_incomplete", "partition " + s.partition() + " did not take its opt-outs ("
                + s.answer().status() + " " + why + "); the opt-outs other partitions acknowledged are durable; send the upload"
                + " again (an opt-out made twice changes nothing)", null);
    }

    private static ObjectNode error(long line, String maskedPhone, String reason) {
        ObjectNode e = ClusterRoutes.object();
        e.put("line", line);
        e.put("phone", maskedPhone);
        e.put("reason", reason);
        return e;
    }

    private static String quoted(String s) {
        return '"' + (s == null ? "" : s.replace("\"", "\"\"")) + '"';
    }

    /** The client-facing form of a broken upload, as a single node words it: 413 past the limit, 400 otherwise. */
    private static RuntimeException uploadFailure(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof org.apache.pekko.http.scaladsl.model.EntityStreamSizeException size) {
                return new ApiError(413, "body_too_large", "the upload is larger than the " + size.limit()
                        + " bytes allowed here; the records before the limit were taken", null);
            }
        }
        return ApiError.badRequest("upload_failed", "the upload broke off: " + e.getMessage(), null);
    }
}
