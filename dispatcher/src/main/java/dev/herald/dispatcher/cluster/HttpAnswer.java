package dev.herald.dispatcher.cluster;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.Materializer;

/**
 * A partition's answer to an {@link HttpCall}, sent back to the node that forwarded it.
 *
 * @param partition   the partition that answered (-1: the node itself, e.g. when it timed out)
 * @param status      the HTTP status
 * @param headers     its headers but the body's, as name and value pairs
 * @param contentType the body's content type
 * @param body        the body
 */
public record HttpAnswer(int partition, int status, List<List<String>> headers, String contentType, byte[] body)
        implements ClusterMessage {

    private static final java.util.Set<String> OWN = java.util.Set.of("content-length", "content-type", "date", "server",
            "transfer-encoding", "connection");

    /** @return {@code response} read whole (within {@code timeoutMillis}) as partition {@code partition}'s answer */
    public static CompletionStage<HttpAnswer> of(int partition, HttpResponse response, long timeoutMillis, Materializer mat) {
        List<List<String>> headers = new ArrayList<>();
        for (HttpHeader h : response.getHeaders()) {
            if (!OWN.contains(h.lowercaseName())) {
                headers.add(List.of(h.name(), h.value()));
            }
        }
        String type = response.entity().getContentType().toString();
        return response.entity().toStrict(timeoutMillis, mat).thenApply(strict -> new HttpAnswer(partition,
                response.status().intValue(), headers, type, strict.getData().toArray()));
    }

    /** @return a JSON error answer of the node itself, in the API's form {@code {"error", "message", "field"}} */
    public static HttpAnswer error(int status, String code, String message) {
        String json = dev.herald.dispatcher.api.ApiDirectives.JSON.createObjectNode().put("error", code)
                .put("message", message).putNull("field").toString();
        return new HttpAnswer(-1, status, List.of(), "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    /** @return the body as text (UTF-8) */
    public String text() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** @return whether the status is 2xx */
    public boolean ok() {
        return status >= 200 && status < 300;
    }

    /** @return the answer as the node's HTTP response */
    public HttpResponse toResponse() {
        HttpResponse r = HttpResponse.create().withStatus(status);
        for (List<String> h : headers) {
            r = r.addHeader(RawHeader.create(h.get(0), h.get(1)));
        }
        return r.withEntity(HttpEntities.create(contentType == null || contentType.equals("none/none")
                ? ContentTypes.APPLICATION_OCTET_STREAM : ContentTypes.parse(contentType), body));
    }
}
