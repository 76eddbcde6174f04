package dev.herald.dispatcher.api;

import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * The answer to a request Pekko's HTTP parser refuses before any route sees it (a header or URI
 * too long, a bad {@code Content-Length}, an unknown method, a malformed request line): the API's
 * JSON error {@code {"error", "message", "field"}} with the parser's status, as every other refusal.
 *
 * <p>Configured, not called: {@code pekko.http.server.parsing.error-handler =
 * "dev.herald.dispatcher.api.JsonParsingErrorHandler"} (herald-service.conf); Pekko makes one
 * instance per server through the public no-argument constructor.
 *
 * <p>Thread-safety: stateless.
 */
public final class JsonParsingErrorHandler extends ParsingErrorHandler {

    /** For Pekko, which instantiates the class named in the configuration. */
    public JsonParsingErrorHandler() {
    }

    @Override
    public HttpResponse handle(StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
        int code = status.intValue() < 400 || status.intValue() > 599 ? 400 : status.intValue();
        String header = info.errorHeaderName() == null || info.errorHeaderName().isEmpty() ? headerIn(info.summary())
                : info.errorHeaderName();
        log.debug("refused before routing: {} {}", code, info.formatPretty());
        return ApiDirectives.error(toApiError(code, info, header));
    }

    private static final java.util.regex.Pattern QUOTED_HEADER = java.util.regex.Pattern.compile("`([A-Za-z0-9-]+)` header");

    /** The header a summary such as {@code Illegal `Content-Length` header value} names, or null. */
    static String headerIn(String summary) {
        java.util.regex.Matcher m = summary == null ? null : QUOTED_HEADER.matcher(summary);
        return m != null && m.find() ? m.group(1) : null;
    }

    /** The API error of a parser refusal with HTTP status {@code code}. */
    static ApiError toApiError(int code, ErrorInfo info, String header) {
        String what = info.formatPretty();
        return switch (code) {
            case 431 -> new ApiError(431, "header_too_large", "a request header is too large: " + what
                    + " (headers must fit in the server's limits)", header);
            case 414 -> new ApiError(414, "uri_too_long", "the request URI is too long: " + what, null);
            case 413 -> new ApiError(413, "body_too_large", "the request body is too large: " + what, null);
            case 501 -> new ApiError(501, "not_implemented", "the request cannot be served: " + what, null);
            case 505 -> new ApiError(505, "http_version_not_supported", what, null);
            default -> new ApiError(code, code == 400 ? "malformed_request" : "rejected", "the request is malformed: " + what,
                    header);
        };
    }
}
