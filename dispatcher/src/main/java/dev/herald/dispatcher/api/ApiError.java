package dev.herald.dispatcher.api;

import java.util.Objects;

/**
 * A request Herald refuses, with what the client sees: the HTTP status and the JSON body
 * {@code {"error": code, "message": what is wrong, "field": the offending field or null}}.
 *
 * <pre>{@code
 * throw new ApiError(400, "missing_field", "'sender' is required", "sender");
 * }</pre>
 *
 * <p>Thrown inside a route, it is answered by {@link ApiDirectives}' exception handler.
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final String code;
    private final String field;

    /**
     * @param status  HTTP status, 400–599
     * @param code    machine-readable code, e.g. {@code invalid_json}
     * @param message what is wrong, for a human
     * @param field   the offending field (JSON name, query parameter or header), or null
     */
    public ApiError(int status, String code, String message, String field) {
        super(message);
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("error status must be 400-599, got " + status);
        }
        this.status = status;
        this.code = Objects.requireNonNull(code, "code");
        this.field = field;
    }

    /** A 400 naming {@code field}. */
    public static ApiError badRequest(String code, String message, String field) {
        return new ApiError(400, code, message, field);
    }

    /** A 404 {@code not_found}. */
    public static ApiError notFound(String message) {
        return new ApiError(404, "not_found", message, null);
    }

    /** A 409 {@code conflict}. */
    public static ApiError conflict(String message) {
        return new ApiError(409, "conflict", message, null);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    /** @return the offending field, or null */
    public String field() {
        return field;
    }
}
