package dev.herald.dispatcher.api;

import dev.herald.dispatcher.links.Clicks;
import dev.herald.dispatcher.links.LinkTokens;

import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * {@code GET /l/{token}} (and {@code HEAD}): a tracked link. A valid token answers {@code 302} to
 * the link's URL at once, and its click is classed and queued to be recorded ({@link Clicks}: the
 * answer never waits for the disk). A malformed, truncated, altered or foreign token, or one whose
 * campaign or link is gone, is a small {@code 404} page. No API key: the recipient's phone follows
 * it. Only the URLs of the campaign's own template are redirected to, so the route is no open
 * redirect.
 *
 * <p>The answer carries {@code Cache-Control: no-store} (each click reaches Herald) and
 * {@code Referrer-Policy: no-referrer} (the token, which names a recipient, does not reach the
 * destination).
 *
 * <p>{@code Route r = new LinkRoutes(tokens, clicks, campaignLinks, blockingIo).route();}
 */
public final class LinkRoutes extends AllDirectives {

    private static final Logger LOG = LoggerFactory.getLogger(LinkRoutes.class);

    /** The endpoints these routes serve. */
    public static final List<Endpoint> ENDPOINTS = List.of(new Endpoint("GET", "/l/{token}"),
            new Endpoint("HEAD", "/l/{token}"));

    /** A campaign's link URLs by index, or empty if there is no such campaign. */
    @FunctionalInterface
    public interface CampaignLinks {
        /** @return the URLs of its template's links (reads its stored record: may block) */
        Optional<List<String>> of(String campaignId) throws java.io.IOException;
    }

    private static final byte[] NOT_FOUND = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            + "<meta name=\"viewport\" content=\"width=device-width\"><title>Link not found</title></head>"
            + "<body style=\"font-family:sans-serif;max-width:30em;margin:3em auto;padding:0 1em\">"
            + "<h1>This link is not valid</h1><p>It may have been mistyped or cut short. Please use the link"
            + " exactly as it was in your message.</p></body></html>").getBytes(StandardCharsets.UTF_8);

    private final LinkTokens tokens;
    private final Clicks clicks;
    private final CampaignLinks campaignLinks;
    private final Executor blockingIo;
    private final Map<String, Optional<List<String>>> cache = new ConcurrentHashMap<>();

    /**
     * @param tokens        verifies the tokens, hashes client addresses
     * @param clicks        where clicks are recorded
     * @param campaignLinks a campaign's link URLs
     * @param blockingIo    where a campaign's record is read, the first time one of its links is followed
     */
    public LinkRoutes(LinkTokens tokens, Clicks clicks, CampaignLinks campaignLinks, Executor blockingIo) {
        this.tokens = tokens;
        this.clicks = clicks;
        this.campaignLinks = campaignLinks;
        this.blockingIo = blockingIo;
    }

    /** @return the routes under {@code /l} */
    public Route route() {
        return pathPrefix("l", () -> path(PathMatchers.segment(), token -> extractRequest(request -> extractClientIP(ip -> {
            Optional<LinkTokens.Link> link = tokens.verify(token);
            if (link.isEmpty()) {
                return complete(notFound());
            }
            LinkTokens.Link l = link.get();
            boolean head = request.method().equals(HttpMethods.HEAD);
            String agent = request.getHeader("User-Agent").map(h -> h.value()).orElse(null);
            String address = ip.getAddress().map(a -> a.getHostAddress()).orElse(null);
            Optional<List<String>> known = cache.get(l.campaignId());
            if (known != null) {
                return complete(answer(l, known, agent, head, address));
            }
            CompletableFuture<Optional<List<String>>> loaded = CompletableFuture.supplyAsync(() -> {
                try {
                    return campaignLinks.of(l.campaignId()).map(urls -> urls.stream().map(LinkRoutes::ascii).toList());
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, blockingIo);
            return onComplete(loaded, t -> {
                if (t.isFailure()) {
                    LOG.warn("link of campaign {}: its record cannot be read: {}", l.campaignId(), t.failed().get().toString());
                    return complete(HttpResponse.create().withStatus(StatusCodes.SERVICE_UNAVAILABLE)
                            .withEntity(ContentTypes.TEXT_PLAIN_UTF8, "Please try again in a minute.")
                            .addHeader(RawHeader.create("Retry-After", "60")));
                }
                cache.put(l.campaignId(), t.get());
                return complete(answer(l, t.get(), agent, head, address));
            });
        }))));
    }

    private HttpResponse answer(LinkTokens.Link l, Optional<List<String>> urls, String agent, boolean head, String address) {
        if (urls.isEmpty() || l.link() >= urls.get().size()) {
            return notFound();
        }
        clicks.record(l, agent, head, tokens.addressHash(address));
        return HttpResponse.create().withStatus(StatusCodes.FOUND)
                .addHeader(RawHeader.create("Location", urls.get().get(l.link())))
                .addHeader(RawHeader.create("Cache-Control", "no-store"))
                .addHeader(RawHeader.create("Referrer-Policy", "no-referrer"))
                .addHeader(RawHeader.create("X-Robots-Tag", "noindex"));
    }

    /**
     * A header carries ASCII only: Pekko drops a Location with any other character, leaving a 302
     * that goes nowhere. {@code https://shop.example/café} is sent as {@code …/caf%C3%A9}.
     */
    private static String ascii(String url) {
        try {
            return new java.net.URI(url).toASCIIString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException("a stored link is not a URL (checked at create): " + url, e);
        }
    }

    private static HttpResponse notFound() {
        return HttpResponse.create().withStatus(StatusCodes.NOT_FOUND).withEntity(ContentTypes.TEXT_HTML_UTF8, NOT_FOUND)
                .addHeader(RawHeader.create("Cache-Control", "no-store"))
                .addHeader(RawHeader.create("X-Robots-Tag", "noindex"));
    }
}
