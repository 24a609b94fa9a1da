package dev.mercato.gateway.admin;

import dev.mercato.gateway.auth.Secrets;
import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.error.ErrorCode;
import io.micronaut.context.annotation.Value;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import jakarta.inject.Singleton;

/**
 * The admin token check every admin route makes ({@code mercato.admin.token}, sent as
 * {@code Authorization: Bearer <token>}); with no token configured, every call is refused.
 */
@Singleton
public class AdminGuard {

    private final String adminToken;

    AdminGuard(@Value("${mercato.admin.token:}") String adminToken) {
        this.adminToken = adminToken;
    }

    /** @throws ApiError.Exception {@code admin_unauthorized} unless the request carries the admin token */
    public void require(HttpRequest<?> request) {
        String authorization = request.getHeaders().get(HttpHeaders.AUTHORIZATION);
        String presented = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
            ? authorization.substring(7).trim() : "";
        if (adminToken.isBlank() || !Secrets.constantTimeEquals(presented, adminToken)) {
            throw new ApiError.Exception(ApiError.of(ErrorCode.ADMIN_UNAUTHORIZED, adminToken.isBlank()
                ? "The admin API is off: set mercato.admin.token (MERCATO_ADMIN_TOKEN) to enable it."
                : "The admin token is missing or wrong: send 'Authorization: Bearer <admin token>'."));
        }
    }
}
