package dev.herald.dispatcher.api;

import dev.herald.dispatcher.segment.SegmentExpression;
import dev.herald.dispatcher.segment.SegmentStore;
import dev.herald.suppression.ImportListener;
import dev.herald.suppression.ImportReport;
import dev.herald.suppression.RecipientDirectory;

import java.io.IOException;
import java.util.Map;
import java.util.LinkedHashMap;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.stream.javadsl.StreamConverters;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audience-segment routes of the HTTP API.
 *
 * <ul>
 *   <li>{@code POST /v1/segments/{name}} (sender), a {@code text/csv} body with a header row and a
 *       {@code phone} column: registers every valid line's recipient and stores the segment →
 *       {@code 201 {"name", "size", "lines", "rejected", "errors": [{"line", "reason"}…]}} (at most
 *       {@value #MAX_LISTED_ERRORS} errors listed);</li>
 *   <li>{@code GET /v1/segments} (viewer) → the metas, by name; {@code GET /v1/segments/{name}}
 *       (viewer) → one meta or 404; {@code DELETE /v1/segments/{name}} (sender) → 204 or 404.</li>
 * </ul>
 *
 * <pre>{@code
 * Route r = new SegmentRoutes(keys, 1 << 20, Duration.ofSeconds(30), 2L << 30, segments, directory, blockingIo).route();
 * }</pre>
 *
 * <p>Uploads are streamed: the body is read through a size limit ({@code maxUploadBytes}, 413
 * beyond) and decoded and imported line by line on {@code blockingIo}, so memory holds the id
 * bitmap, not the CSV. The segment is stored only when the whole body was read and at least one
 * line was valid; recipients registered by an upload that then fails stay registered (registration
 * is idempotent), but no segment appears. Phone numbers are never logged: rejection reasons (which
 * name the offending value) go to the client only.
 *
 * <p>Thread-safety: immutable; the store and directory are thread-safe.
 */
public final class SegmentRoutes extends ApiDirectives {

    /** Every route of this group. */
    public static final java.util.List<Endpoint> ENDPOINTS = java.util.List.of(new Endpoint("GET", "/v1/segments"), new Endpoint("POST", "/v1/segments/{name}"),
            new Endpoint("GET", "/v1/segments/{name}"), new Endpoint("DELETE", "/v1/segments/{name}"));

    private static final Logger LOG = LoggerFactory.getLogger(SegmentRoutes.class);

    /** Most rejected lines listed in an upload's answer (all are counted). */
    public static final int MAX_LISTED_ERRORS = 100;

    /** One rejected line of an upload. */
    public record LineError(long line, String reason) {
    }

    /** The answer to an upload. */
    public record Uploaded(String name, long size, long lines, long rejected, List<LineError> errors) {
    }

    private final Duration bodyTimeout;
    private final long maxUploadBytes;
    private final SegmentStore segments;
    private final RecipientDirectory directory;
    private final Executor blockingIo;

    /**
     * @param keys           who may call
     * @param maxJsonBytes   the largest JSON request body
     * @param bodyTimeout    how long an upload may wait for its next bytes
     * @param maxUploadBytes the largest CSV upload (bigger: 413)
     * @param segments       where segments are stored
     * @param directory      where uploaded recipients are registered
     * @param blockingIo     runs the blocking imports and file reads (never Pekko's dispatcher)
     * @throws IllegalArgumentException if {@code maxUploadBytes} is not positive
     */
    public SegmentRoutes(ApiKeys keys, long maxJsonBytes, Duration bodyTimeout, long maxUploadBytes,
                         SegmentStore segments, RecipientDirectory directory, Executor blockingIo) {
        super(keys, maxJsonBytes, bodyTimeout);
        if (maxUploadBytes <= 0) {
            throw new IllegalArgumentException("maxUploadBytes must be > 0, got " + maxUploadBytes);
        }
        this.bodyTimeout = Objects.requireNonNull(bodyTimeout, "bodyTimeout");
        this.maxUploadBytes = maxUploadBytes;
        this.segments = Objects.requireNonNull(segments, "segments");
        this.directory = Objects.requireNonNull(directory, "directory");
        this.blockingIo = Objects.requireNonNull(blockingIo, "blockingIo");
    }

    /** @return the routes under {@code /v1/segments} */
    public Route route() {
        return pathPrefix("v1", () -> pathPrefix("segments", () -> concat(
                pathEndOrSingleSlash(() -> get(() -> authorized(Role.ANALYST, key -> list()))),
                path(PathMatchers.segment(), name -> concat(
                        post(() -> authorized(Role.SENDER, key -> upload(name))),
                        get(() -> authorized(Role.ANALYST, key -> show(name))),
                        delete(() -> authorized(Role.SENDER, key -> remove(name))))))));
    }

    /** Every segment's meta; a damaged one as {@code {"name", "status": "damaged", "file", "error"}}, by name. */
    private Route list() {
        return onSuccess(blocking(segments::listing), listing -> {
            List<Object> out = new ArrayList<>(listing.segments());
            for (SegmentStore.Damaged d : listing.damaged()) {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("name", d.name());
                entry.put("status", "damaged");
                entry.put("file", d.file());
                entry.put("error", d.error());
                out.add(entry);
            }
            return completeJson(200, out);
        });
    }

    private Route show(String name) {
        checkName(name);
        return onSuccess(blocking(() -> segments.meta(name)), meta -> completeJson(200,
                meta.orElseThrow(() -> ApiError.notFound("no segment named '" + name + "'"))));
    }

    private Route remove(String name) {
        checkUploadable(name);
        return onSuccess(blocking(() -> segments.delete(name)), deleted -> {
            if (!deleted) {
                throw ApiError.notFound("no segment named '" + name + "'");
            }
            LOG.info("segment {} deleted", name);
            return complete(HttpResponse.create().withStatus(StatusCodes.NO_CONTENT));
        });
    }

    private Route upload(String name) {
        checkUploadable(name);
        // a 10M-line upload takes longer than the server's request timeout; the per-read body
        // timeout below still bounds a client that stops sending
        return withoutRequestTimeout(() -> extractMaterializer(mat -> extractRequestEntity(entity -> {
            requireCsv(entity.getContentType());
            InputStream body = entity.withSizeLimit(maxUploadBytes).getDataBytes()
                    .runWith(StreamConverters.asInputStream(bodyTimeout), mat);
            return onSuccess(blocking(() -> importAndStore(name, body)), uploaded -> completeJson(201, uploaded));
        })));
    }

    /**
     * @throws ApiError 415 {@code unsupported_media_type} unless {@code type} is {@code text/csv} in
     *                  UTF-8 (or US-ASCII, or no charset named)
     */
    public static void requireCsv(ContentType type) {
        if (!type.mediaType().equals(MediaTypes.TEXT_CSV)) {
            throw new ApiError(415, "unsupported_media_type", "the body must be text/csv, got " + type.mediaType(), null);
        }
        if (type.getCharsetOption().isPresent() && !type.getCharsetOption().get().equals(HttpCharsets.UTF_8)
                && !type.getCharsetOption().get().equals(HttpCharsets.US_ASCII)) {
            throw new ApiError(415, "unsupported_media_type", "the CSV must be UTF-8, got charset "
                    + type.getCharsetOption().get().value(), null);
        }
    }

    /** Runs on {@code blockingIo}: reads the whole body into the directory, then stores the segment. */
    private Uploaded importAndStore(String name, InputStream body) throws IOException {
        long started = System.nanoTime();
        MutableRoaringBitmap ids = new MutableRoaringBitmap();
        List<LineError> errors = new ArrayList<>();
        ImportReport report;
        // the default decoder turns invalid bytes into U+FFFD, which the importer rejects per line
        List<String> fields = new ArrayList<>();
        try (Reader reader = new InputStreamReader(body, StandardCharsets.UTF_8)) {
            report = directory.importCsv(reader, "upload of segment " + name, new ImportListener() {
                @Override
                public void onHeader(List<String> columns) {
                    // the personal fields: every column but phone, tz and locale
                    columns.stream().filter(c -> !c.equals("phone") && !c.equals("tz") && !c.equals("locale"))
                            .forEach(fields::add);
                }

                @Override
                public void onAccepted(long lineNumber, int id, boolean created) {
                    ids.add(id);
                }

                @Override
                public void onRejected(long lineNumber, String reason) {
                    if (errors.size() < MAX_LISTED_ERRORS) {
                        errors.add(new LineError(lineNumber, reason));
                    }
                }
            });
        } catch (IllegalArgumentException e) {
            // header missing or without a phone column: the importer's message names what it found
            throw ApiError.badRequest("invalid_csv", e.getMessage(), "phone");
        } catch (IOException e) {
            throw uploadFailed(e);
        }
        if (report.imported() == 0) {
            throw ApiError.badRequest("empty_segment", "no valid line in the upload (" + report.lines() + " lines, "
                    + report.rejected() + " rejected)" + (errors.isEmpty() ? "" : "; first: line " + errors.get(0).line()
                    + ": " + errors.get(0).reason()), null);
        }
        SegmentStore.Meta meta = segments.put(name, ids, report.lines(), report.rejected(), fields);
        LOG.info("segment {} stored: {} recipients from {} lines ({} new, {} rejected) in {} ms", name, meta.size(),
                report.lines(), report.created(), report.rejected(), (System.nanoTime() - started) / 1_000_000);
        return new Uploaded(name, meta.size(), report.lines(), report.rejected(), List.copyOf(errors));
    }

    private ApiError uploadFailed(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof EntityStreamSizeException size) {
                return new ApiError(413, "body_too_large", "the upload is larger than the " + size.limit()
                        + " bytes allowed; nothing was stored", null);
            }
            if (t.getCause() == t) {
                break;
            }
        }
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (message.toLowerCase(java.util.Locale.ROOT).contains("timeout")) {
            return new ApiError(408, "body_timeout", "the upload stalled for more than " + bodyTimeout.toSeconds()
                    + " s; nothing was stored", null);
        }
        LOG.warn("segment upload failed while reading the body: {}", e.toString());
        return ApiError.badRequest("upload_failed", "the upload could not be read completely; nothing was stored", null);
    }

    /**
     * Resolves an audience written as a segment expression (see {@link SegmentExpression}), with
     * {@code !x} relative to every recipient of the directory; for routes that take an
     * {@code "expression"} field, e.g. campaigns.
     *
     * @return the audience's ids
     * @throws ApiError     400 {@code invalid_expression} (naming the position and what was expected) or
     *                      {@code unknown_segment} (naming every unknown segment), both with field {@code expression}
     * @throws IOException  if a segment cannot be read
     */
    public static ImmutableRoaringBitmap audience(String expression, SegmentStore segments, RecipientDirectory directory)
            throws IOException {
        SegmentExpression parsed;
        try {
            parsed = SegmentExpression.parse(expression);
        } catch (SegmentExpression.ParseException e) {
            throw ApiError.badRequest("invalid_expression", e.getMessage(), "expression");
        }
        MutableRoaringBitmap universe = new MutableRoaringBitmap();
        universe.add(0L, (long) directory.size());
        try {
            return parsed.evaluate(name -> segments.get(name).map(SegmentStore.Segment::ids), universe);
        } catch (SegmentExpression.UnknownSegmentsException e) {
            throw ApiError.badRequest("unknown_segment", e.getMessage(), "expression");
        }
    }

    /** A computed segment's name ({@code rfm:<tier>}, ...) is 400 for an upload or a delete. */
    /**
     * @param name a segment's name as a client sent it for an upload
     * @throws ApiError 400 {@code invalid_name} if it is not a valid name or names a computed segment
     */
    public static void checkUploadable(String name) {
        checkName(name);
        if (SegmentStore.isComputedName(name)) {
            throw ApiError.badRequest("invalid_name", "segment '" + name + "' is computed by Herald (a name with ':'):"
                    + " it cannot be uploaded or deleted", "name");
        }
    }

    private static void checkName(String name) {
        if (!SegmentStore.isValidName(name)) {
            throw ApiError.badRequest("invalid_name", "invalid segment name '" + name + "': 1-"
                    + SegmentStore.MAX_NAME_LENGTH + " characters of A-Z, a-z, 0-9, '_' and '-', not starting with '-'", "name");
        }
    }

    /**
     * @return 409 {@code damaged} naming the segment, its file (relative to the data directory) and
     *     what is wrong: retrying does not help; storing the segment again or deleting it does
     */
    public static ApiError damaged(dev.herald.dispatcher.segment.DamagedSegmentException e) {
        return new ApiError(409, "damaged", "segment '" + e.segment() + "' is damaged (store it again or delete it): "
                + e.getMessage(), null);
    }

    @FunctionalInterface
    private interface IoSupplier<T> {
        T get() throws IOException;
    }

    /**
     * Runs {@code work} on the blocking executor. A damaged or unreadable store is logged (naming
     * the file) and answered 500 {@code storage_error}.
     */
    private <T> CompletionStage<T> blocking(IoSupplier<T> work) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return work.get();
            } catch (dev.herald.dispatcher.segment.DamagedSegmentException e) {
                LOG.error("segment {} is damaged: {}", e.segment(), e.getMessage(), e);
                throw new CompletionException(damaged(e));
            } catch (IOException e) {
                LOG.error("segment storage failed: {}", e.getMessage(), e);
                throw new CompletionException(new ApiError(500, "storage_error",
                        "the segment store could not be read or written; see the server log", null));
            }
        }, blockingIo);
    }
}
