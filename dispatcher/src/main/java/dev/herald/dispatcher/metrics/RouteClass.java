package dev.herald.dispatcher.metrics;

import java.util.Set;

/**
 * The bounded {@code route} label of an HTTP request: the path with every id, name and phone
 * number replaced by a placeholder, so that the number of series stays small whatever clients send.
 *
 * <pre>{@code
 * RouteClass.of("/v1/campaigns/c-42/pause");   // "/v1/campaigns/{id}/pause"
 * RouteClass.of("/wp-login.php");              // "other"
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class RouteClass {

    private static final Set<String> TOP = Set.of("health", "metrics", "console");
    /** Top-level pages a token follows: tracked links, unsubscribe pages. */
    private static final Set<String> TOKEN_PAGES = Set.of("l", "u");
    private static final Set<String> GROUPS = Set.of("campaigns", "segments", "suppressions", "keys", "openapi.yaml", "recipients",
            "reports", "conversions", "inbound", "receipts", "journeys", "events", "me");
    /** Literal words in the third position ({@code /v1/campaigns/preview}). */
    private static final Set<String> LITERAL_THIRD = Set.of("preview", "optouts", "funnel", "sms", "kannel");
    /** Literal words in the fourth position ({@code /v1/campaigns/{id}/pause}). */
    private static final Set<String> ACTIONS = Set.of("pause", "resume", "cancel", "events", "recipients", "optouts",
            "consent", "funnel", "resend-unknown", "preferences", "archive", "report", "attributes");

    private RouteClass() {
    }

    /**
     * @param path the request path (no query), e.g. {@code /v1/campaigns/c-42}
     * @return one of a fixed, small set of labels; {@code other} for anything Herald has no route for
     */
    public static String of(String path) {
        if (path == null) {
            return "other";
        }
        int from = 0;
        int to = path.length();
        while (from < to && path.charAt(from) == '/') {
            from++;
        }
        while (to > from && path.charAt(to - 1) == '/') {
            to--;
        }
        String[] s = path.substring(from, to).split("/+", 6);
        if (s.length == 1 && TOP.contains(s[0])) {
            return "/" + s[0];
        }
        if (s.length == 2 && s[0].equals("console")) {
            return "/console/{name}";
        }
        if (s.length == 2 && TOKEN_PAGES.contains(s[0])) {
            return "/" + s[0] + "/{token}";
        }
        if (s.length < 2 || !s[0].equals("v1") || !GROUPS.contains(s[1])) {
            return "other";
        }
        StringBuilder b = new StringBuilder("/v1/").append(s[1]);
        if (s.length >= 3) {
            b.append('/').append(LITERAL_THIRD.contains(s[2]) ? s[2] : "{id}");
        }
        if (s.length >= 4) {
            b.append('/').append(ACTIONS.contains(s[3]) ? s[3] : "{x}");
        }
        if (s.length == 5) {
            b.append("/{x}");
        } else if (s.length > 5) {
            return "other";
        }
        return b.toString();
    }
}
