package dev.herald.dispatcher.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.Materializer;

/**
 * An HTTP request a node forwards to a partition, as a message: the partition answers it with its
 * own API, exactly as a single node would ({@link HttpAnswer}).
 *
 * <pre>{@code
 * HttpCall.of(request, timeout, mat).thenApply(call -> call.withBody(json, "application/json"));
 * HttpRequest again = call.toRequest();     // on the partition's node
 * }</pre>
 *
 * @param method      GET, POST, ...
 * @param uri         the path and query ({@code /v1/recipients/%2B44...?limit=5})
 * @param headers     the request's headers but its body's, as name and value pairs
 * @param contentType the body's content type, or null without a body
 * @param body        the body (empty without one)
 */
public record HttpCall(String method, String uri, List<List<String>> headers, String contentType, byte[] body)
        implements ClusterMessage {

    /** Headers a node never forwards: its own connection's, and those the partition's server would set itself. */
    private static final java.util.Set<String> HOP = java.util.Set.of("connection", "host", "content-length",
            "transfer-encoding", "timeout-access", "keep-alive", "upgrade", "te", "trailer");

    /** @return {@code request}, its body read (at most {@code maxBytes}, else the stage fails with a 413 error) */
    public static CompletionStage<HttpCall> of(HttpRequest request, long maxBytes, long timeoutMillis, Materializer mat) {
        List<List<String>> headers = new ArrayList<>();
        for (HttpHeader h : request.getHeaders()) {
            if (!HOP.contains(h.lowercaseName())) {
                headers.add(List.of(h.name(), h.value()));
            }
        }
        String uri = request.getUri().toRelative().toString();
        String type = request.entity().getContentType().toString();
        return request.entity().withSizeLimit(maxBytes).toStrict(timeoutMillis, mat)
                .thenApply(strict -> new HttpCall(request.method().value(), uri, headers,
                        strict.getData().isEmpty() && !request.method().isEntityAccepted() ? null : type,
                        strict.getData().toArray()));
    }

    /** @return this call with another body (and content type) */
    public HttpCall withBody(byte[] newBody, String newContentType) {
        return new HttpCall(method, uri, headers, newContentType, newBody);
    }

    /** @return this call to another path, its query kept */
    public HttpCall withPath(String path) {
        int q = uri.indexOf('?');
        return new HttpCall(method, path + (q < 0 ? "" : uri.substring(q)), headers, contentType, body);
    }

    /** @return this call with header {@code name} set to {@code value} (any earlier value of it dropped) */
    public HttpCall withHeader(String name, String value) {
        List<List<String>> h = new ArrayList<>();
        for (List<String> pair : headers) {
            if (!pair.get(0).equalsIgnoreCase(name)) {
                h.add(pair);
            }
        }
        h.add(List.of(name, value));
        return new HttpCall(method, uri, h, contentType, body);
    }

    /** @return the value of header {@code name}, if sent */
    public Optional<String> header(String name) {
        return headers.stream().filter(p -> p.get(0).equalsIgnoreCase(name)).map(p -> p.get(1)).findFirst();
    }

    /** @return the request again, as the partition's API takes it */
    public HttpRequest toRequest() {
        HttpRequest r = HttpRequest.create(uri).withMethod(HttpMethods.lookup(method)
                .orElseThrow(() -> new IllegalArgumentException("unknown HTTP method " + method)));
        for (List<String> h : headers) {
            r = r.addHeader(RawHeader.create(h.get(0), h.get(1)));
        }
        if (contentType != null) {
            ContentType type = ContentTypes.parse(contentType);
            r = r.withEntity(HttpEntities.create(type, body));
        }
        return r;
    }
}
