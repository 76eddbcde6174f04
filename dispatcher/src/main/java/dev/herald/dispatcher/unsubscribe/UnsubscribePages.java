package dev.herald.dispatcher.unsubscribe;

import java.util.List;
import java.util.Set;

/**
 * The HTML of the unsubscribe and preference pages: one self-contained document each (mobile
 * viewport, inline CSS, no script, no external resource), every dynamic value escaped.
 *
 * <pre>{@code
 * String html = UnsubscribePages.start(new UnsubscribePages.State(token, "ACME", false, cats, Set.of(), Frequency.AS_SENT));
 * }</pre>
 *
 * <p>Forms post to the token itself, relative to the page ({@code action="<token>"}), so the
 * pages work behind any base URL. Stateless and thread-safe.
 */
public final class UnsubscribePages {

    private UnsubscribePages() {
    }

    /**
     * What a page shows.
     *
     * @param token        the link's token (the forms' target)
     * @param brand        the sender's brand
     * @param unsubscribed whether the recipient is unsubscribed from the sender
     * @param categories   the sender's categories, in order
     * @param off          the categories the recipient is unsubscribed from
     * @param frequency    the recipient's frequency choice
     */
    public record State(String token, String brand, boolean unsubscribed, List<String> categories, Set<String> off,
                        Frequency frequency) {
    }

    private static final String CSS = "body{font-family:system-ui,-apple-system,sans-serif;margin:0;padding:1rem;"
            + "background:#f6f6f6;color:#222;line-height:1.4}main{max-width:30rem;margin:0 auto;background:#fff;"
            + "border-radius:8px;padding:1rem 1.25rem}h1{font-size:1.3rem}h2{font-size:1.1rem;margin-top:1.5rem}"
            + "button{font-size:1.05rem;padding:.75rem 1rem;width:100%;border:0;border-radius:6px;background:#0b57d0;"
            + "color:#fff;margin-top:.5rem}button.secondary{background:#e8e8e8;color:#222}label{display:block;"
            + "padding:.45rem 0}input[type=text]{width:100%;box-sizing:border-box;font-size:1rem;padding:.5rem}"
            + "fieldset{border:1px solid #ddd;border-radius:6px;margin:.75rem 0}.notice{background:#e6f4ea;"
            + "padding:.75rem;border-radius:6px}.error{background:#fce8e6;padding:.75rem;border-radius:6px}";

    /** @return the first page a link opens: one button that unsubscribes (GET itself changes nothing) */
    public static String start(State s) {
        StringBuilder b = head("Unsubscribe from " + s.brand());
        b.append("<h1>Unsubscribe from ").append(esc(s.brand())).append("?</h1>")
                .append("<p>Tap the button to stop marketing messages from ").append(esc(s.brand())).append(".</p>")
                .append(form(s.token(), "unsubscribe"))
                .append("<button type=\"submit\" id=\"unsubscribe\">Unsubscribe</button></form>");
        preferences(b, s);
        return tail(b);
    }

    /**
     * @param notice what just happened ("You are unsubscribed from …"), shown first
     * @return the page after an action: the reason and resubscribe forms when unsubscribed, the
     *     unsubscribe button otherwise, and the preferences
     */
    public static String manage(State s, String notice) {
        StringBuilder b = head(s.unsubscribed() ? "Unsubscribed from " + s.brand() : s.brand() + " preferences");
        b.append("<p class=\"notice\" id=\"notice\" role=\"status\">").append(esc(notice)).append("</p>");
        if (s.unsubscribed()) {
            b.append("<h2>Tell us why (optional)</h2>").append(form(s.token(), "reason")).append("<fieldset><legend>Reason</legend>");
            for (Reason r : Reason.values()) {
                b.append("<label><input type=\"radio\" name=\"reason\" id=\"reason-").append(r.wire()).append("\" value=\"")
                        .append(r.wire()).append("\"> ").append(esc(r.label())).append("</label>");
            }
            b.append("<label for=\"reason-text\">Anything else? (at most ").append(ReasonLog.MAX_TEXT)
                    .append(" characters)</label><input type=\"text\" name=\"text\" id=\"reason-text\" maxlength=\"")
                    .append(ReasonLog.MAX_TEXT).append("\"></fieldset>")
                    .append("<button type=\"submit\" id=\"send-reason\" class=\"secondary\">Send</button></form>");
            b.append("<h2>Changed your mind?</h2>").append(form(s.token(), "resubscribe"))
                    .append("<button type=\"submit\" id=\"resubscribe\">Resubscribe to ").append(esc(s.brand()))
                    .append("</button></form>");
        } else {
            b.append(form(s.token(), "unsubscribe"))
                    .append("<button type=\"submit\" id=\"unsubscribe\">Unsubscribe from ").append(esc(s.brand()))
                    .append("</button></form>");
        }
        preferences(b, s);
        return tail(b);
    }

    private static void preferences(StringBuilder b, State s) {
        b.append("<h2>Your preferences</h2>").append(form(s.token(), "preferences"));
        if (!s.categories().isEmpty()) {
            b.append("<fieldset><legend>Messages about</legend>");
            for (String c : s.categories()) {
                b.append("<label><input type=\"checkbox\" name=\"category\" id=\"cat-").append(esc(c)).append("\" value=\"")
                        .append(esc(c)).append('"').append(s.off().contains(c) ? "" : " checked").append("> ")
                        .append(esc(label(c))).append("</label>");
            }
            b.append("</fieldset>");
        }
        b.append("<fieldset><legend>How often</legend>");
        for (Frequency f : Frequency.values()) {
            b.append("<label><input type=\"radio\" name=\"frequency\" id=\"freq-").append(f.wire()).append("\" value=\"")
                    .append(f.wire()).append('"').append(f == s.frequency() ? " checked" : "").append("> ")
                    .append(esc(f.label())).append("</label>");
        }
        b.append("</fieldset><button type=\"submit\" id=\"save-preferences\" class=\"secondary\">Save preferences</button></form>");
    }

    /** {@code order-updates} → {@code Order updates}. */
    static String label(String category) {
        String t = category.replace('-', ' ').replace('_', ' ');
        return t.isEmpty() ? t : Character.toUpperCase(t.charAt(0)) + t.substring(1);
    }

    /** @return a page for a refused request: {@code title} and what is wrong, and a way back if the link is valid */
    public static String error(String title, String message, String token) {
        StringBuilder b = head(title);
        b.append("<h1>").append(esc(title)).append("</h1><p class=\"error\" id=\"error\">").append(esc(message)).append("</p>");
        if (token != null) {
            b.append("<p><a href=\"").append(esc(token)).append("\">Back to your preferences</a></p>");
        }
        return tail(b);
    }

    private static String form(String token, String action) {
        return "<form method=\"post\" action=\"" + esc(token) + "\"><input type=\"hidden\" name=\"action\" value=\""
                + action + "\">";
    }

    private static StringBuilder head(String title) {
        return new StringBuilder(4096).append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
                .append("<meta name=\"robots\" content=\"noindex\"><title>").append(esc(title)).append("</title><style>")
                .append(CSS).append("</style></head><body><main>");
    }

    private static String tail(StringBuilder b) {
        return b.append("</main></body></html>").toString();
    }

    /** @return {@code s} safe as HTML text and as a quoted attribute value */
    public static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
