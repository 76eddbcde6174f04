package dev.herald.dispatcher.api;

import dev.herald.dispatcher.unsubscribe.PreferenceCenter;
import dev.herald.dispatcher.unsubscribe.UnsubscribePages;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaType;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public unsubscribe link (issue 6), no API key (the signed token is the credential):
 * <ul>
 *   <li>{@code GET /u/{token}}: the page; it changes nothing (link scanners prefetch).</li>
 *   <li>{@code POST /u/{token}}: a form of the page ({@code action=unsubscribe|reason|resubscribe|preferences}),
 *       or an RFC 8058 one-click unsubscribe ({@code List-Unsubscribe=One-Click}).</li>
 * </ul>
 * Every answer is HTML: an invalid token gets 404, bad form input 400 naming the problem, a
 * change that cannot be stored 503; never a stack trace.
 *
 * <p>{@code Route r = new UnsubscribeRoutes(center, Duration.ofSeconds(10), blockingIo).route();}
 *
 * <p>Thread-safety: immutable; the center's stores are thread-safe. Its blocking work runs on {@code blockingIo}.
 */
public final class UnsubscribeRoutes extends ApiDirectives {

    /** Every route of this group. */
    public static final List<Endpoint> ENDPOINTS = List.of(new Endpoint("GET", "/u/{token}"), new Endpoint("POST", "/u/{token}"));

    /** The largest form body accepted. */
    public static final int MAX_FORM_BYTES = 16 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(UnsubscribeRoutes.class);
    private static final MediaType FORM = MediaTypes.APPLICATION_X_WWW_FORM_URLENCODED;

    private final PreferenceCenter center;
    private final Duration bodyTimeout;
    private final Executor blockingIo;

    /**
     * @param center      what the page does
     * @param bodyTimeout how long reading a form body may take
     * @param blockingIo  where the center runs (it blocks on disk)
     */
    public UnsubscribeRoutes(PreferenceCenter center, Duration bodyTimeout, Executor blockingIo) {
        super(null, MAX_FORM_BYTES, bodyTimeout);
        this.center = center;
        this.bodyTimeout = bodyTimeout;
        this.blockingIo = blockingIo;
    }

    /** @return the routes under {@code /u} */
    public Route route() {
        return pathPrefix("u", () -> path(PathMatchers.segment(), token -> handleExceptions(htmlErrors(), () -> concat(
                get(() -> answer(CompletableFuture.supplyAsync(() -> center.get(token), blockingIo))),
                post(() -> extractMaterializer(mat -> extractRequestEntity(entity -> {
                    MediaType type = entity.getContentType().mediaType();
                    boolean multipart = type.mainType().equals("multipart") && type.subType().equals("form-data");
                    if (!type.equals(FORM) && !multipart) {
                        return complete(html(new PreferenceCenter.Answer(415, UnsubscribePages.error("This form could not be used",
                                "the body must be application/x-www-form-urlencoded, got " + type, null))));
                    }
                    return onSuccess(ApiDirectives.strictBody(entity, MAX_FORM_BYTES, bodyTimeout, mat), strict -> {
                        byte[] body = strict.getData().toArray();
                        if (multipart) {
                            body = MultipartOneClick.toForm(body, entity.getContentType().toString());
                        }
                        byte[] form = body;
                        return answer(CompletableFuture.supplyAsync(() -> center.post(token, form), blockingIo));
                    });
                })))))));
    }

    private Route answer(CompletableFuture<PreferenceCenter.Answer> a) {
        return onSuccess(a, x -> complete(html(x)));
    }

    /** @return {@code a} as an HTML response that no cache or referrer keeps */
    static HttpResponse html(PreferenceCenter.Answer a) {
        return HttpResponse.create().withStatus(a.status())
                .withEntity(ContentTypes.TEXT_HTML_UTF8, a.html().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .addHeader(RawHeader.create("Cache-Control", "no-store"))
                .addHeader(RawHeader.create("Referrer-Policy", "no-referrer"))
                .addHeader(RawHeader.create("X-Robots-Tag", "noindex"))
                .addHeader(RawHeader.create("Content-Security-Policy",
                        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"));
    }

    private static ExceptionHandler htmlErrors() {
        return ExceptionHandler.newBuilder().matchAny(t -> {
            Throwable e = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
            PreferenceCenter.Answer a;
            boolean tooLarge = e instanceof EntityStreamSizeException || e instanceof ApiError api && api.status() == 413;
            if (tooLarge || e instanceof org.apache.pekko.http.scaladsl.model.EntityStreamException) {
                a = new PreferenceCenter.Answer(tooLarge ? 413 : 400, UnsubscribePages.error(
                        "This form could not be used", "the form is larger than the " + MAX_FORM_BYTES
                                + " bytes accepted, or could not be read", null));
            } else if (e instanceof IllegalArgumentException bad) {
                a = new PreferenceCenter.Answer(400, UnsubscribePages.error("This form could not be used", bad.getMessage(), null));
            } else if (e instanceof java.io.UncheckedIOException) {
                LOG.warn("unsubscribe page: storage failed: {}", PhoneMask.maskText(e.getMessage()));
                a = new PreferenceCenter.Answer(503, UnsubscribePages.error("Please try again",
                        "Your change could not be saved just now; nothing was changed. Please try again in a minute.", null));
            } else {
                LOG.error("unsubscribe page failed", masked(e));
                a = new PreferenceCenter.Answer(500, UnsubscribePages.error("Something went wrong",
                        "Your request could not be completed. Please try again later.", null));
            }
            return org.apache.pekko.http.javadsl.server.Directives.complete(html(a));
        }).build();
    }

    /** An RFC 8058 body sent as {@code multipart/form-data}: only its {@code List-Unsubscribe} part is used. */
    static final class MultipartOneClick {
        private MultipartOneClick() {
        }

        /**
         * @return {@code List-Unsubscribe=<value>} if the body has that part, else an empty form
         * @throws IllegalArgumentException if the body is not UTF-8
         */
        static byte[] toForm(byte[] body, String contentType) {
            String text = new String(body, java.nio.charset.StandardCharsets.UTF_8);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                    "name=\"?" + PreferenceCenter.ONE_CLICK_FIELD + "\"?\\r?\\n(?:[^\\r\\n]+\\r?\\n)*\\r?\\n([^\\r\\n]*)")
                    .matcher(text);
            if (!m.find()) {
                throw new IllegalArgumentException("a multipart body must carry the part '" + PreferenceCenter.ONE_CLICK_FIELD + "'");
            }
            return (PreferenceCenter.ONE_CLICK_FIELD + "=" + java.net.URLEncoder.encode(m.group(1).strip(),
                    java.nio.charset.StandardCharsets.UTF_8)).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        }
    }
}
