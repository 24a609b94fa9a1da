package dev.mercato.gateway.signin;

import dev.mercato.gateway.auth.Secrets;
import dev.mercato.gateway.error.ApiError;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.cookie.Cookie;
import io.micronaut.json.JsonMapper;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.serde.annotation.Serdeable;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * The dashboard's sign-in with an Ethereum wallet (EIP-4361): {@code GET /auth/nonce} hands out
 * what the message must contain, {@code POST /auth/sign-in} trades the signed message for a
 * session cookie, {@code GET /auth/session} tells who is signed in, {@code POST /auth/sign-out}
 * ends the session. Errors are in the OpenAI shape, as on every dashboard route.
 */
@Controller("/auth")
@ExecuteOn(TaskExecutors.BLOCKING)
public class SignInController {

    private final SignInService signIn;
    private final SessionAuthenticator sessions;
    private final SignInSettings settings;
    private final JsonMapper jsonMapper;

    SignInController(SignInService signIn, SessionAuthenticator sessions, SignInSettings settings,
                     JsonMapper jsonMapper) {
        this.signIn = signIn;
        this.sessions = sessions;
        this.settings = settings;
        this.jsonMapper = jsonMapper;
    }

    @Get("/nonce")
    public NonceAnswer nonce(HttpRequest<?> request) {
        SignInService.IssuedNonce issued = signIn.issueNonce(clientIp(request));
        return new NonceAnswer(issued.nonce(), settings.domain(), settings.uri(), settings.chainId(),
            issued.expiresAt().toString());
    }

    @Post("/sign-in")
    public MutableHttpResponse<SignedInAnswer> signIn(HttpRequest<?> request, @Nullable @Body String json) {
        SignInBody body = parseBody(jsonMapper, json);
        String secret = Secrets.newSecret(SessionAuthenticator.SECRET_PREFIX);
        SignInService.SignedIn signedIn = signIn.signIn(body.message(), body.signature(), clientIp(request), secret);
        return HttpResponse.ok(new SignedInAnswer(signedIn.accountId(), signedIn.address(),
                signedIn.expiresAt().toString(), signedIn.created()))
            .header(HttpHeaders.SET_COOKIE, cookie(secret, settings.sessionTtl().toSeconds()));
    }

    @Post("/sign-out")
    public MutableHttpResponse<?> signOut(HttpRequest<?> request) {
        Optional<Cookie> cookie = request.getCookies().findCookie(SessionAuthenticator.COOKIE_NAME);
        cookie.ifPresent(c -> signIn.signOut(c.getValue()));
        return HttpResponse.noContent().header(HttpHeaders.SET_COOKIE, cookie("", 0));
    }

    @Get("/session")
    public SessionAnswer session(HttpRequest<?> request) {
        SessionAuthenticator.Session session = sessions.require(request);
        return new SessionAnswer(session.accountId(), session.address(), session.expiresAt().toString());
    }

    /**
     * The body of a signed message (a sign-in or a wallet link), read here rather than bound by
     * Micronaut, so that one which is not JSON is the caller's mistake (400) and not a failure of
     * the gateway.
     */
    static SignInBody parseBody(JsonMapper jsonMapper, @Nullable String json) {
        SignInBody body = null;
        if (json != null && !json.isBlank()) {
            try {
                body = jsonMapper.readValue(json, SignInBody.class);
            } catch (IOException e) {
                // answered below, like an empty body
            }
        }
        if (body == null) {
            throw new ApiError.Exception(ApiError.invalidParam("message",
                "The request needs a JSON body {\"message\": \"<EIP-4361 text>\", \"signature\": \"0x…\"}."));
        }
        return body;
    }

    /**
     * The session cookie: script cannot read it (HttpOnly), it travels only over HTTPS or to
     * localhost (Secure), and never with a request another site starts (SameSite=Strict).
     */
    private static String cookie(String value, long maxAgeSeconds) {
        return SessionAuthenticator.COOKIE_NAME + "=" + value + "; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age="
            + maxAgeSeconds;
    }

    /**
     * The connection's peer. Forwarding headers are not read: anyone can write them, and the
     * attempt limits are only as good as the address they count.
     */
    static String clientIp(HttpRequest<?> request) {
        InetSocketAddress remote = request.getRemoteAddress();
        InetAddress address = remote.getAddress();
        return address != null ? address.getHostAddress() : remote.getHostString();
    }

    /** A signed EIP-4361 message: the text exactly as signed, and the wallet's personal_sign signature. */
    @Serdeable
    public record SignInBody(@Nullable String message, @Nullable String signature) {
    }

    /** What the wallet's message must contain; {@code expiresAt} is RFC 3339. */
    @Serdeable
    public record NonceAnswer(String nonce, String domain, String uri, long chainId, String expiresAt) {
    }

    /** {@code created} is true at a wallet's first sign-in, which created its account. */
    @Serdeable
    public record SignedInAnswer(long accountId, String address, String expiresAt, boolean created) {
    }

    @Serdeable
    public record SessionAnswer(long accountId, String address, String expiresAt) {
    }
}
