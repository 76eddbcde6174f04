package dev.herald.dispatcher.cluster;

import dev.herald.dispatcher.api.ApiDirectives;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Who sent a reply to {@code POST /v1/inbound/sms}, read from the body as the partition will read
 * it: {@code from} of a JSON body, {@code From} of a form ({@code application/x-www-form-urlencoded}).
 */
final class InboundSender {

    private InboundSender() {
    }

    /** @return the sender's number as written, or null if the body names none (the partition answers the error) */
    static String of(HttpCall call) {
        String type = call.contentType() == null ? "" : call.contentType().toLowerCase(java.util.Locale.ROOT);
        String body = new String(call.body(), StandardCharsets.UTF_8);
        if (type.startsWith("application/x-www-form-urlencoded")) {
            for (String pair : body.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0 && pair.substring(0, eq).equals("From")) {
                    try {
                        return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                    } catch (IllegalArgumentException malformed) {
                        return null;
                    }
                }
            }
            return null;
        }
        try {
            com.fasterxml.jackson.databind.JsonNode n = ApiDirectives.JSON.readTree(body);
            return n != null && n.path("from").isTextual() ? n.path("from").asText() : null;
        } catch (java.io.IOException notJson) {
            return null;
        }
    }
}
