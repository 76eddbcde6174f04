package dev.herald.dispatcher.api;

import dev.herald.dispatcher.console.ConsoleAssets;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The operator console (issue 18), no API key (the files are public; every call the page makes
 * goes to {@code /v1} with the operator's key):
 * <ul>
 *   <li>{@code GET /console}: 308 to {@code /console/} (the page's modules are relative to it).</li>
 *   <li>{@code GET /console/}: {@code index.html}.</li>
 *   <li>{@code GET /console/{name}}: one file of {@link ConsoleAssets}; any other name is a plain-text 404.</li>
 * </ul>
 * Every answer carries a Content-Security-Policy that allows scripts, styles and images from this
 * origin only (no inline script or style, no framing, no form posts), {@code nosniff}, no referrer,
 * and {@code Cache-Control: no-cache} with a strong {@code ETag}: file names carry no version, so
 * a browser revalidates each (a 304, no body) and never runs one module of an old jar with another of a new one.
 *
 * <p>{@code Route r = new ConsoleRoutes(ConsoleAssets.fromJar()).route();}
 *
 * <p>Thread-safety: immutable; the assets are thread-safe.
 */
public final class ConsoleRoutes extends ApiDirectives {

    /** Every route of this group. */
    public static final List<Endpoint> ENDPOINTS = List.of(new Endpoint("GET", "/console"), new Endpoint("GET", "/console/{name}"));

    /** The policy of every console answer: this origin's scripts, styles, images and API only. */
    public static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static final List<HttpHeader> HEADERS = List.of(
            RawHeader.create("Content-Security-Policy", CONTENT_SECURITY_POLICY),
            RawHeader.create("X-Content-Type-Options", "nosniff"),
            RawHeader.create("Referrer-Policy", "no-referrer"),
            RawHeader.create("X-Frame-Options", "DENY"),
            RawHeader.create("Cross-Origin-Opener-Policy", "same-origin"),
            RawHeader.create("Cache-Control", "no-cache"));

    private final ConsoleAssets assets;

    /** @param assets the console's files */
    public ConsoleRoutes(ConsoleAssets assets) {
        super(null, 1, Duration.ofSeconds(1));
        this.assets = assets;
    }

    /** @return the routes under {@code /console} */
    public Route route() {
        return pathPrefix("console", () -> get(() -> respondWithHeaders(HEADERS, () -> concat(
                pathEnd(() -> redirect(Uri.create("/console/"), StatusCodes.PERMANENT_REDIRECT)),
                pathSingleSlash(() -> file("index.html")),
                path(PathMatchers.segment(), this::file)))));
    }

    private Route file(String name) {
        Optional<ConsoleAssets.Asset> found = assets.get(name);
        if (found.isEmpty()) {
            return complete(HttpResponse.create().withStatus(404).withEntity(ContentTypes.TEXT_PLAIN_UTF8,
                    "Not found: the console has no such file. It is at /console/.\n"));
        }
        ConsoleAssets.Asset a = found.get();
        return optionalHeaderValueByName("If-None-Match", tags -> {
            HttpHeader etag = RawHeader.create("ETag", a.etag());
            if (tags.isPresent() && matches(tags.get(), a.etag())) {
                return complete(HttpResponse.create().withStatus(StatusCodes.NOT_MODIFIED).addHeader(etag));
            }
            return complete(HttpResponse.create().withEntity(ContentTypes.parse(a.contentType()), a.bytes()).addHeader(etag));
        });
    }

    /** @return true if an {@code If-None-Match} value names {@code etag} (or is {@code *}) */
    static boolean matches(String ifNoneMatch, String etag) {
        for (String t : ifNoneMatch.split(",")) {
            String s = t.strip();
            if (s.equals("*") || s.equals(etag) || s.equals("W/" + etag)) {
                return true;
            }
        }
        return false;
    }
}
