package dev.jvision.serve;

import java.util.Map;

/**
 * An answer other than 200, thrown inside {@code ApiHandler} and written as
 * {@code {"error": code, "detail": detail}} with the status and any extra headers. Immutable.
 */
final class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int status;
    final String code;
    final transient Map<String, String> headers;

    ApiError(int status, String code, String detail) {
        this(status, code, detail, Map.of());
    }

    ApiError(int status, String code, String detail, Map<String, String> headers) {
        super(detail, null, false, false);
        this.status = status;
        this.code = code;
        this.headers = Map.copyOf(headers);
    }
}
