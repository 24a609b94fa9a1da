package dev.mercato.gateway.signin;

import dev.mercato.gateway.TestGateway;
import dev.mercato.gateway.auth.Secrets;
import dev.mercato.gateway.billing.Billing;
import dev.mercato.gateway.error.Json;
import dev.mercato.ledger.Ledger;
import io.micronaut.data.connection.jdbc.advice.DelegatingDataSource;
import io.micronaut.json.JsonMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Signing in to the dashboard with a wallet, against a real gateway and real secp256k1 signatures. */
class SignInTest {

    private static final String DOMAIN = "127.0.0.1:8080";
    private static final String ORIGIN = "http://127.0.0.1:8080";
    private static final long CHAIN_ID = 31337;
    private static final String STATEMENT = "Sign in to Mercato. This costs nothing and moves no funds.";
    private static final Pattern SESSION_COOKIE = Pattern.compile(
        "mercato_session=(msess_[A-Za-z0-9_-]{43}); Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=86400");
    private static final String SESSION_EXPIRED =
        "Your session has expired or you are signed out; sign in again with your wallet.";

    private static TestGateway gateway;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startGateway() {
        // Every test signs in from 127.0.0.1; the per-IP limits are proved by their own gateway below.
        gateway = TestGateway.start(Map.of("mercato.sign-in.attempts-per-minute-per-ip", 1000,
            "mercato.sign-in.nonces-per-minute-per-ip", 1000));
    }

    @AfterAll
    static void stopGateway() {
        gateway.close();
    }

    @Test
    void issuesAnAlphanumericNonceNamingThisGatewaysDomainUriAndChain() {
        Instant before = Instant.now();
        HttpResponse<String> response = get(gateway, "/auth/nonce", null);

        assertEquals(200, response.statusCode());
        Map<String, Object> nonce = json(response);
        assertEquals(5, nonce.size());
        assertTrue(((String) nonce.get("nonce")).matches("[A-Za-z0-9]{22}"), nonce.toString());
        assertEquals(DOMAIN, nonce.get("domain"));
        assertEquals(ORIGIN, nonce.get("uri"));
        assertEquals(CHAIN_ID, ((Number) nonce.get("chainId")).longValue());
        Instant expiresAt = Instant.parse((String) nonce.get("expiresAt"));
        assertFalse(expiresAt.isBefore(before.plus(Duration.ofMinutes(10)).truncatedTo(ChronoUnit.MILLIS)));
        assertFalse(expiresAt.isAfter(Instant.now().plus(Duration.ofMinutes(10))));
        assertNotEquals(nonce.get("nonce"), json(get(gateway, "/auth/nonce", null)).get("nonce"));
    }

    @Test
    void firstSignInCreatesTheWalletsAccountAndLaterSignInsReturnToIt() throws SQLException {
        TestWallet wallet = TestWallet.create();
        Instant before = Instant.now();

        HttpResponse<String> first = signIn(gateway, wallet, message(wallet.address(), newNonce(gateway)));

        assertEquals(200, first.statusCode(), first.body());
        Map<String, Object> created = json(first);
        long accountId = ((Number) created.get("accountId")).longValue();
        assertEquals(wallet.address(), created.get("address"));
        assertEquals(true, created.get("created"));
        Instant expiresAt = Instant.parse((String) created.get("expiresAt"));
        assertFalse(expiresAt.isBefore(before.plus(Duration.ofHours(24)).truncatedTo(ChronoUnit.MILLIS)));
        assertFalse(expiresAt.isAfter(Instant.now().plus(Duration.ofHours(24))));
        String firstSecret = sessionSecret(first);
        assertEquals(List.of(wallet.address()), accountNamesOfWallet(wallet));
        assertEquals(0, gateway.bean(Ledger.class).balance(Billing.userAccount(accountId)).availableNano());

        HttpResponse<String> second = signIn(gateway, wallet, message(wallet.address(), newNonce(gateway)));

        assertEquals(200, second.statusCode(), second.body());
        assertEquals(accountId, ((Number) json(second).get("accountId")).longValue());
        assertEquals(false, json(second).get("created"));
        assertNotEquals(firstSecret, sessionSecret(second));
        assertEquals(List.of(wallet.address()), accountNamesOfWallet(wallet));

        HttpResponse<String> session = get(gateway, "/auth/session", firstSecret);
        assertEquals(200, session.statusCode(), session.body());
        Map<String, Object> current = json(session);
        assertEquals(3, current.size());
        assertEquals(accountId, ((Number) current.get("accountId")).longValue());
        assertEquals(wallet.address(), current.get("address"));
        assertEquals(created.get("expiresAt"), current.get("expiresAt"));
        assertEquals(200, get(gateway, "/auth/session", sessionSecret(second)).statusCode());
    }

    @Test
    void twoSimultaneousFirstSignInsOfOneWalletMakeOneAccount() throws SQLException {
        TestWallet wallet = TestWallet.create();
        List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
        List<HttpRequest> requests = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String message = message(wallet.address(), newNonce(gateway));
            requests.add(signInRequest(gateway, message, wallet.sign(message)));
        }
        for (HttpRequest request : requests) {
            pending.add(http.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
        }

        List<Long> accountIds = new ArrayList<>();
        int createdCount = 0;
        for (CompletableFuture<HttpResponse<String>> response : pending) {
            HttpResponse<String> answer = response.join();
            assertEquals(200, answer.statusCode(), answer.body());
            accountIds.add(((Number) json(answer).get("accountId")).longValue());
            createdCount += Boolean.TRUE.equals(json(answer).get("created")) ? 1 : 0;
        }
        assertEquals(1, createdCount);
        assertEquals(1, accountIds.stream().distinct().count(), accountIds.toString());
        assertEquals(List.of(wallet.address()), accountNamesOfWallet(wallet));
        assertEquals(1, count("select count(*) from account where name = ?", wallet.address()));
    }

    @Test
    void acceptsASignatureWhoseVIsTheBareRecoveryId() {
        TestWallet wallet = TestWallet.create();
        String message = message(wallet.address(), newNonce(gateway));
        String signature = wallet.sign(message);
        int v = HexFormat.fromHexDigits(signature, 130, 132);
        String bareRecoveryId = signature.substring(0, 130) + HexFormat.of().toHexDigits((byte) (v - 27));

        HttpResponse<String> response = signIn(gateway, message, bareRecoveryId);

        assertEquals(200, response.statusCode(), response.body());
        assertEquals(wallet.address(), json(response).get("address"));
    }

    @Test
    void refusesAReplayedNonce() {
        TestWallet wallet = TestWallet.create();
        String nonce = newNonce(gateway);
        String message = message(wallet.address(), nonce);
        String signature = wallet.sign(message);
        assertEquals(200, signIn(gateway, message, signature).statusCode());

        assertRefused(signIn(gateway, message, signature), 401, "sign_in_failed", "The nonce " + nonce
            + " was not issued by this gateway or was already used; request a new one from GET /auth/nonce and sign again.");
    }

    @Test
    void refusesANonceThisGatewayNeverIssued() {
        TestWallet wallet = TestWallet.create();

        assertRefused(signIn(gateway, wallet, message(wallet.address(), "neverIssued12345")), 401, "sign_in_failed",
            "The nonce neverIssued12345 was not issued by this gateway or was already used; request a new one from "
                + "GET /auth/nonce and sign again.");
    }

    @Test
    void refusesAMessageForAnotherDomain() {
        TestWallet wallet = TestWallet.create();
        String message = message("mercato.example", wallet.address(), CHAIN_ID, newNonce(gateway), null);

        assertRefused(signIn(gateway, wallet, message), 401, "sign_in_failed",
            "The message is for domain 'mercato.example', but this gateway signs in for '127.0.0.1:8080'.");
    }

    @Test
    void refusesAMessageForAnotherChain() {
        TestWallet wallet = TestWallet.create();
        String message = message(DOMAIN, wallet.address(), 1, newNonce(gateway), null);

        assertRefused(signIn(gateway, wallet, message), 401, "sign_in_failed",
            "The message is for chain ID 1, but this gateway signs in on chain ID 31337.");
    }

    @Test
    void refusesAMessagePastItsExpirationTime() {
        TestWallet wallet = TestWallet.create();
        Instant expired = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(1);
        String message = message(DOMAIN, wallet.address(), CHAIN_ID, newNonce(gateway), expired);

        assertRefused(signIn(gateway, wallet, message), 401, "sign_in_failed",
            "The message expired at " + expired + "; sign a new one.");
    }

    @Test
    void refusesAMessageChangedAfterItWasSigned() {
        TestWallet wallet = TestWallet.create();
        String message = message(wallet.address(), newNonce(gateway));
        String signature = wallet.sign(message);
        String tampered = message.replace("moves no funds", "moves all funds");

        HttpResponse<String> response = signIn(gateway, tampered, signature);

        assertEquals(401, response.statusCode(), response.body());
        assertEquals("sign_in_failed", error(response).get("code"));
        String refusal = (String) error(response).get("message");
        Matcher signer = Pattern.compile("The signature was made by (0x[0-9a-fA-F]{40}), not by the message's address "
            + Pattern.quote(wallet.address()) + "; sign with the wallet the message names\\.").matcher(refusal);
        assertTrue(signer.matches(), refusal);
        assertNotEquals(wallet.address(), signer.group(1));
    }

    @Test
    void refusesASignatureFromAnotherKey() {
        TestWallet wallet = TestWallet.create();
        TestWallet other = TestWallet.create();
        String message = message(wallet.address(), newNonce(gateway));

        assertRefused(signIn(gateway, message, other.sign(message)), 401, "sign_in_failed",
            "The signature was made by " + other.address() + ", not by the message's address " + wallet.address()
                + "; sign with the wallet the message names.");
    }

    @Test
    void refusesAMalformedMessageOrSignatureAsAnInvalidRequest() {
        TestWallet wallet = TestWallet.create();
        String message = message(wallet.address(), newNonce(gateway));

        assertRefused(signIn(gateway, message.replace(wallet.address(), wallet.address().toLowerCase()), wallet.sign(message)),
            400, "invalid_request", "The address " + wallet.address().toLowerCase()
                + " is not in EIP-55 checksum case; write it as " + wallet.address() + ".");
        assertRefused(signIn(gateway, message, "0x1234"), 400, "invalid_request",
            "The signature must be 0x and 130 hex digits (65 bytes: r, s, v); it has 6 characters.");
        String badV = wallet.sign(message).substring(0, 130) + "1d";
        assertRefused(signIn(gateway, message, badV), 400, "invalid_request",
            "The signature's v must be 27 or 28 (or 0 or 1); it is 29.");
    }

    @Test
    void refusesABodyThatIsNotJsonOrLacksTheMessage() {
        String needsBody = "The request needs a JSON body {\"message\": \"<EIP-4361 text>\", \"signature\": \"0x…\"}.";
        assertRefused(postSignIn("message=hi"), 400, "invalid_request", needsBody);
        assertRefused(postSignIn(""), 400, "invalid_request", needsBody);
        assertRefused(postSignIn("{}"), 400, "invalid_request",
            "The request needs 'message': the EIP-4361 text the wallet signed.");
    }

    @Test
    void aSessionOlderThanTwentyFourHoursHasExpired() throws SQLException {
        TestWallet wallet = TestWallet.create();
        String secret = sessionSecret(signIn(gateway, wallet, message(wallet.address(), newNonce(gateway))));
        assertEquals(200, get(gateway, "/auth/session", secret).statusCode());

        try (Connection connection = database().getConnection();
             PreparedStatement age = connection.prepareStatement(
                 "update web_session set created_at = created_at - interval '24 hours 1 second' where token_hash = ?")) {
            age.setString(1, Secrets.hash(secret));
            assertEquals(1, age.executeUpdate());
        }

        assertRefused(get(gateway, "/auth/session", secret), 401, "session_expired", SESSION_EXPIRED);
    }

    @Test
    void signingOutEndsTheSessionAndClearsTheCookie() {
        TestWallet wallet = TestWallet.create();
        String secret = sessionSecret(signIn(gateway, wallet, message(wallet.address(), newNonce(gateway))));

        HttpResponse<String> signOut = send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/auth/sign-out"))
            .header("cookie", "mercato_session=" + secret).POST(HttpRequest.BodyPublishers.noBody()).build());

        assertEquals(204, signOut.statusCode());
        assertEquals("mercato_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0",
            signOut.headers().firstValue("set-cookie").orElseThrow());
        assertRefused(get(gateway, "/auth/session", secret), 401, "session_expired", SESSION_EXPIRED);
    }

    @Test
    void withoutAKnownSessionCookieThereIsNoSession() {
        assertRefused(get(gateway, "/auth/session", null), 401, "session_expired", SESSION_EXPIRED);
        assertRefused(get(gateway, "/auth/session", Secrets.newSecret("msess_")), 401, "session_expired", SESSION_EXPIRED);
        assertRefused(get(gateway, "/auth/session", "not-a-session"), 401, "session_expired", SESSION_EXPIRED);
    }

    @Test
    void limitsSignInAttemptsPerWalletWithRetryAfter() {
        try (TestGateway limited = TestGateway.start(Map.of("mercato.sign-in.attempts-per-minute-per-address", 3))) {
            TestWallet wallet = TestWallet.create();
            for (int attempt = 1; attempt <= 3; attempt++) {
                HttpResponse<String> refused = signIn(limited, wallet, message(wallet.address(), "unknownNonce" + attempt));
                assertEquals(401, refused.statusCode(), refused.body());
            }

            HttpResponse<String> limitedAttempt = signIn(limited, wallet, message(wallet.address(), newNonce(limited)));

            int retryAfterSeconds = Integer.parseInt(limitedAttempt.headers().firstValue("retry-after").orElseThrow());
            assertTrue(retryAfterSeconds >= 1 && retryAfterSeconds <= 60, "retry-after " + retryAfterSeconds);
            assertRefused(limitedAttempt, 429, "sign_in_rate_limited", "Too many sign-in attempts for wallet "
                + wallet.address() + " (limit 3 a minute); retry in " + retryAfterSeconds + " seconds.");

            // The limit is the wallet's: another wallet from the same IP still signs in.
            TestWallet other = TestWallet.create();
            assertEquals(200, signIn(limited, other, message(other.address(), newNonce(limited))).statusCode());
        }
    }

    private static String message(String address, String nonce) {
        return message(DOMAIN, address, CHAIN_ID, nonce, null);
    }

    private static String message(String domain, String address, long chainId, String nonce, Instant expirationTime) {
        return new SiweMessage(null, domain, address, STATEMENT, ORIGIN, "1", chainId, nonce,
            Instant.now().truncatedTo(ChronoUnit.SECONDS), expirationTime, null, null, null).toText();
    }

    private String newNonce(TestGateway target) {
        HttpResponse<String> response = get(target, "/auth/nonce", null);
        assertEquals(200, response.statusCode(), response.body());
        return (String) json(response).get("nonce");
    }

    private HttpResponse<String> signIn(TestGateway target, TestWallet wallet, String message) {
        return signIn(target, message, wallet.sign(message));
    }

    private HttpResponse<String> signIn(TestGateway target, String message, String signature) {
        return send(signInRequest(target, message, signature));
    }

    private static HttpRequest signInRequest(TestGateway target, String message, String signature) {
        String body = "{\"message\":" + Json.string(message) + ",\"signature\":" + Json.string(signature) + "}";
        return HttpRequest.newBuilder(URI.create(target.baseUrl() + "/auth/sign-in"))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private HttpResponse<String> postSignIn(String body) {
        return send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/auth/sign-in"))
            .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private HttpResponse<String> get(TestGateway target, String path, String sessionSecret) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(target.baseUrl() + path)).GET();
        if (sessionSecret != null) {
            request.header("cookie", "mercato_session=" + sessionSecret);
        }
        return send(request.build());
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String sessionSecret(HttpResponse<String> signedIn) {
        assertEquals(200, signedIn.statusCode(), signedIn.body());
        String cookie = signedIn.headers().firstValue("set-cookie").orElseThrow();
        Matcher matcher = SESSION_COOKIE.matcher(cookie);
        assertTrue(matcher.matches(), cookie);
        return matcher.group(1);
    }

    private static void assertRefused(HttpResponse<String> response, int status, String code, String message) {
        assertEquals(status, response.statusCode(), response.body());
        Map<String, Object> error = error(response);
        assertEquals(code, error.get("code"), response.body());
        assertEquals(message, error.get("message"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> error(HttpResponse<String> response) {
        return (Map<String, Object>) json(response).get("error");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(HttpResponse<String> response) {
        try {
            return gateway.bean(JsonMapper.class).readValue(response.body(), Map.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static DataSource database() {
        return DelegatingDataSource.unwrapDataSource(gateway.bean(DataSource.class));
    }

    /** The names of the accounts the wallet is bound to (one, if binding is right). */
    private static List<String> accountNamesOfWallet(TestWallet wallet) throws SQLException {
        try (Connection connection = database().getConnection();
             PreparedStatement select = connection.prepareStatement(
                 "select a.name from wallet w join account a on a.id = w.account_id where w.address = ?")) {
            select.setString(1, wallet.address().toLowerCase());
            List<String> names = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    names.add(rows.getString(1));
                }
            }
            return names;
        }
    }

    private static long count(String sql, String parameter) throws SQLException {
        try (Connection connection = database().getConnection();
             PreparedStatement select = connection.prepareStatement(sql)) {
            select.setString(1, parameter);
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }
}
