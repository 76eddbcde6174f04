package dev.herald.dispatcher.api;

import java.util.List;
import java.util.Objects;

/**
 * One route the server answers: a method and a path template whose {@code {name}} parts match
 * any one non-empty path segment. Every route group lists its endpoints; {@link HttpApi} answers
 * nothing else (404, or 405 naming the allowed methods), and a test checks that the OpenAPI
 * description lists exactly these.
 *
 * <pre>{@code
 * new Endpoint("POST", "/v1/campaigns/{id}/pause").matchesPath("/v1/campaigns/c-1/pause") // true
 * }</pre>
 *
 * @param method   HTTP method, upper case
 * @param template path template, e.g. {@code /v1/segments/{name}}
 */
public record Endpoint(String method, String template) {

    /** @throws IllegalArgumentException if the method is not upper case or the template does not start with '/' */
    public Endpoint {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(template, "template");
        if (!method.matches("[A-Z]+") || !template.startsWith("/")) {
            throw new IllegalArgumentException("endpoint: method in upper case and a template starting with '/', got "
                    + method + " " + template);
        }
    }

    /** @return true if {@code path} (without query) fits the template */
    public boolean matchesPath(String path) {
        return matches(parts(), path);
    }

    /** @return the template's segments, to match many paths against ({@link #matches(String[], String)}) */
    public String[] parts() {
        return template.substring(1).split("/", -1);
    }

    /** @return true if {@code path} (without query) fits the template whose {@link #parts()} are {@code want} */
    public static boolean matches(String[] want, String path) {
        String p = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        String[] got = p.substring(p.startsWith("/") ? 1 : 0).split("/", -1);
        if (want.length != got.length) {
            return false;
        }
        for (int i = 0; i < want.length; i++) {
            boolean variable = want[i].startsWith("{") && want[i].endsWith("}");
            if (variable ? got[i].isEmpty() : !want[i].equals(got[i])) {
                return false;
            }
        }
        return true;
    }

    /** @return the endpoints of {@code method} for each of {@code templates} */
    public static List<Endpoint> of(String method, String... templates) {
        return java.util.Arrays.stream(templates).map(t -> new Endpoint(method, t)).toList();
    }
}
