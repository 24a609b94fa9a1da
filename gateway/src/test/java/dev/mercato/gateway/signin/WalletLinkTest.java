package dev.mercato.gateway.signin;

import dev.mercato.gateway.TestGateway;
import dev.mercato.gateway.error.Json;
import io.micronaut.data.connection.jdbc.advice.DelegatingDataSource;
import io.micronaut.json.JsonMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Linking more wallets to an account by having each sign a message that names the account, and
 * unlinking them, against a real gateway, a real PostgreSQL and real secp256k1 signatures.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WalletLinkTest {

    private static final String DOMAIN = "127.0.0.1:8080";
    private static final String ORIGIN = "http://127.0.0.1:8080";
    private static final long CHAIN_ID = 31337;
    private static final String SESSION_EXPIRED =
        "Your session has expired or you are signed out; sign in again with your wallet.";

    private static TestGateway gateway;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startGateway() {
        // Every test signs from 127.0.0.1; the per-IP limits belong to SignInTest.
        gateway = TestGateway.start(Map.of("mercato.sign-in.attempts-per-minute-per-ip", 10000,
            "mercato.sign-in.nonces-per-minute-per-ip", 10000));
    }

    @AfterAll
    static void stopGateway() {
        gateway.close();
    }

    @Test
    void linksAWalletThatSignedTheAccountsStatementAndItThenSignsInToThatAccount() throws Exception {
        TestWallet first = TestWallet.create();
        String session = first.signIn(gateway);
        long accountId = accountId(session);
        TestWallet second = TestWallet.create();

        HttpResponse<String> linked = link(gateway, session, second, linkMessage(second, accountId));

        assertEquals(201, linked.statusCode(), linked.body());
        assertEquals("{\"address\":\"" + second.address() + "\",\"linkedAt\":\"" + linkedAt(second) + "\",\"current\":false}",
            linked.body());
        HttpResponse<String> list = call(gateway, "GET", "/account/wallets", session, null);
        assertEquals(200, list.statusCode(), list.body());
        assertEquals("{\"data\":[{\"address\":\"" + first.address() + "\",\"linkedAt\":\"" + linkedAt(first)
            + "\",\"current\":true},{\"address\":\"" + second.address() + "\",\"linkedAt\":\"" + linkedAt(second)
            + "\",\"current\":false}]}", list.body());

        String secondSession = second.signIn(gateway);
        assertEquals(accountId, accountId(secondSession));
        assertEquals("{\"data\":[{\"address\":\"" + first.address() + "\",\"linkedAt\":\"" + linkedAt(first)
                + "\",\"current\":false},{\"address\":\"" + second.address() + "\",\"linkedAt\":\"" + linkedAt(second)
                + "\",\"current\":true}]}",
            call(gateway, "GET", "/account/wallets", secondSession, null).body());
    }

    @Test
    void linkingAWalletTheAccountHasAlreadyChangesNothing() throws Exception {
        TestWallet first = TestWallet.create();
        String session = first.signIn(gateway);
        long accountId = accountId(session);
        TestWallet second = TestWallet.create();
        HttpResponse<String> linked = link(gateway, session, second, linkMessage(second, accountId));
        assertEquals(201, linked.statusCode(), linked.body());

        HttpResponse<String> again = link(gateway, session, second, linkMessage(second, accountId));

        assertEquals(200, again.statusCode(), again.body());
        assertEquals(linked.body(), again.body());
        HttpResponse<String> own = link(gateway, session, first, linkMessage(first, accountId));
        assertEquals(200, own.statusCode(), own.body());
        assertEquals("{\"address\":\"" + first.address() + "\",\"linkedAt\":\"" + linkedAt(first) + "\",\"current\":true}",
            own.body());
        assertEquals(2, linkedWalletCount(accountId));
    }

    @Test
    void refusesAWalletThatBelongsToAnotherAccount() throws Exception {
        TestWallet mine = TestWallet.create();
        String session = mine.signIn(gateway);
        long accountId = accountId(session);
        TestWallet theirs = TestWallet.create();
        long theirAccountId = accountId(theirs.signIn(gateway));

        assertRefused(link(gateway, session, theirs, linkMessage(theirs, accountId)), 409, "wallet_linked_elsewhere",
            "The wallet " + theirs.address() + " belongs to another account; unlink it there first, then link it here.");
        assertEquals(theirAccountId, accountOfWallet(theirs));
        assertEquals(1, linkedWalletCount(accountId));
    }

    @Test
    void anAdminMakesAnAccountForAKnownWalletAndThatWalletSignsInToIt() throws Exception {
        TestWallet wallet = TestWallet.create();

        HttpResponse<String> created = gateway.adminCall("/admin/accounts",
            "{\"name\":\"known wallet\",\"wallet\":\"" + wallet.address() + "\"}");

        assertEquals(201, created.statusCode(), created.body());
        long accountId = ((Number) json(created).get("accountId")).longValue();
        assertEquals(wallet.address().toLowerCase(Locale.ROOT), json(created).get("wallet"));
        assertEquals(accountId, accountOfWallet(wallet));
        assertEquals(accountId, accountId(wallet.signIn(gateway)));
    }

    @Test
    void anAdminAccountForAWalletOfAnotherAccountIsNotMade() throws Exception {
        TestWallet theirs = TestWallet.create();
        long theirAccountId = accountId(theirs.signIn(gateway));
        long accountsBefore = accountCount();

        HttpResponse<String> taken = gateway.adminCall("/admin/accounts",
            "{\"name\":\"taken wallet\",\"wallet\":\"" + theirs.address() + "\"}");
        HttpResponse<String> malformed = gateway.adminCall("/admin/accounts", "{\"name\":\"bad\",\"wallet\":\"0x12\"}");

        assertRefused(taken, 409, "wallet_linked_elsewhere",
            "The wallet " + theirs.address() + " belongs to another account; unlink it there first.");
        assertRefused(malformed, 400, "invalid_request",
            "A wallet is a 0x-prefixed address of 40 hex digits; was '0x12'.");
        // The account, its key and its wallet are made together or not at all.
        assertEquals(accountsBefore, accountCount());
        assertEquals(theirAccountId, accountOfWallet(theirs));
    }

    @Test
    void refusesASignInSignatureReplayedAsALink() throws Exception {
        String session = TestWallet.create().signIn(gateway);
        long accountId = accountId(session);
        TestWallet victim = TestWallet.create();
        String signInMessage = message(victim, "Sign in to Mercato.", newNonce(gateway), null);

        assertRefused(link(gateway, session, victim, signInMessage), 401, "sign_in_failed",
            "A message that links a wallet must have the statement 'Link this wallet to Mercato account " + accountId
                + ".'; it has 'Sign in to Mercato.'.");
        assertRefused(link(gateway, session, victim, message(victim, null, newNonce(gateway), null)), 401,
            "sign_in_failed", "A message that links a wallet must have the statement 'Link this wallet to Mercato account "
                + accountId + ".'; it has none.");
        assertEquals(-1, accountOfWallet(victim));
    }

    @Test
    void refusesALinkSignedForAnotherAccount() throws Exception {
        String session = TestWallet.create().signIn(gateway);
        long accountId = accountId(session);
        long otherAccountId = accountId(TestWallet.create().signIn(gateway));
        TestWallet wallet = TestWallet.create();

        assertRefused(link(gateway, session, wallet, linkMessage(wallet, otherAccountId)), 401, "sign_in_failed",
            "The message links the wallet to account " + otherAccountId + ", but this session is signed in to account "
                + accountId + "; sign the statement 'Link this wallet to Mercato account " + accountId + ".'.");
        assertEquals(-1, accountOfWallet(wallet));
    }

    @Test
    void aLinkSignatureCannotSignIn() throws Exception {
        long accountId = accountId(TestWallet.create().signIn(gateway));
        TestWallet wallet = TestWallet.create();
        String message = linkMessage(wallet, accountId);

        HttpResponse<String> signIn = send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/auth/sign-in"))
            .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body(message,
                wallet.sign(message)))).build());

        assertRefused(signIn, 401, "sign_in_failed", "The message links a wallet to account " + accountId
            + " and cannot sign in; sign a sign-in message instead.");
        assertEquals(-1, accountOfWallet(wallet));
    }

    @Test
    void refusesANonceUsedAlready() throws Exception {
        String session = TestWallet.create().signIn(gateway);
        long accountId = accountId(session);
        TestWallet wallet = TestWallet.create();
        String nonce = newNonce(gateway);
        String message = message(wallet, linkStatement(accountId), nonce, null);
        assertEquals(201, link(gateway, session, wallet, message).statusCode());
        String usedNonce = "The nonce " + nonce + " was not issued by this gateway or was already used; request a new "
            + "one from GET /auth/nonce and sign again.";

        assertRefused(link(gateway, session, wallet, message), 401, "sign_in_failed", usedNonce);

        // A nonce a sign-in used cannot link either.
        TestWallet other = TestWallet.create();
        String signInNonce = newNonce(gateway);
        String signIn = message(other, "Sign in to Mercato.", signInNonce, null);
        assertEquals(200, send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/auth/sign-in"))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body(signIn, other.sign(signIn)))).build()).statusCode());
        TestWallet third = TestWallet.create();
        assertRefused(link(gateway, session, third, message(third, linkStatement(accountId), signInNonce, null)), 401,
            "sign_in_failed", "The nonce " + signInNonce + " was not issued by this gateway or was already used; request "
                + "a new one from GET /auth/nonce and sign again.");
        assertEquals(-1, accountOfWallet(third));
    }

    @Test
    void refusesAnExpiredMessage() throws Exception {
        String session = TestWallet.create().signIn(gateway);
        long accountId = accountId(session);
        TestWallet wallet = TestWallet.create();
        Instant expired = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(1);

        assertRefused(link(gateway, session, wallet, message(wallet, linkStatement(accountId), newNonce(gateway), expired)),
            401, "sign_in_failed", "The message expired at " + expired + "; sign a new one.");
        assertEquals(-1, accountOfWallet(wallet));
    }

    @Test
    void refusesASignatureByAnotherWallet() throws Exception {
        String session = TestWallet.create().signIn(gateway);
        long accountId = accountId(session);
        TestWallet named = TestWallet.create();
        TestWallet signer = TestWallet.create();
        String message = linkMessage(named, accountId);

        assertRefused(call(gateway, "POST", "/account/wallets", session, body(message, signer.sign(message))), 401,
            "sign_in_failed", "The signature was made by " + signer.address() + ", not by the message's address "
                + named.address() + "; sign with the wallet the message names.");
        assertEquals(-1, accountOfWallet(named));
    }

    @Test
    void twoAccountsRacingForOneWalletLeaveItWithExactlyOne() throws Exception {
        String sessionA = TestWallet.create().signIn(gateway);
        String sessionB = TestWallet.create().signIn(gateway);
        long accountA = accountId(sessionA);
        long accountB = accountId(sessionB);
        for (int round = 0; round < 5; round++) {
            TestWallet contested = TestWallet.create();
            String forA = linkMessage(contested, accountA);
            String forB = linkMessage(contested, accountB);
            CompletableFuture<HttpResponse<String>> a = http.sendAsync(request("POST", "/account/wallets", sessionA,
                body(forA, contested.sign(forA))), HttpResponse.BodyHandlers.ofString());
            CompletableFuture<HttpResponse<String>> b = http.sendAsync(request("POST", "/account/wallets", sessionB,
                body(forB, contested.sign(forB))), HttpResponse.BodyHandlers.ofString());

            HttpResponse<String> answerA = a.get(30, TimeUnit.SECONDS);
            HttpResponse<String> answerB = b.get(30, TimeUnit.SECONDS);
            HttpResponse<String> winner = answerA.statusCode() == 201 ? answerA : answerB;
            HttpResponse<String> loser = winner == answerA ? answerB : answerA;
            assertEquals(201, winner.statusCode(), answerA.body() + " / " + answerB.body());
            assertRefused(loser, 409, "wallet_linked_elsewhere", "The wallet " + contested.address()
                + " belongs to another account; unlink it there first, then link it here.");
            assertEquals(winner == answerA ? accountA : accountB, accountOfWallet(contested));
        }
    }

    @Test
    void unlinkingAWalletEndsItsSessionsKeepsTheirRecordAndFreesTheAddress() throws Exception {
        TestWallet first = TestWallet.create();
        String session = first.signIn(gateway);
        long accountId = accountId(session);
        TestWallet second = TestWallet.create();
        assertEquals(201, link(gateway, session, second, linkMessage(second, accountId)).statusCode());
        String secondSession = second.signIn(gateway);

        HttpResponse<String> unlinked = call(gateway, "DELETE", "/account/wallets/" + second.address(), session, null);

        assertEquals(204, unlinked.statusCode(), unlinked.body());
        assertRefused(call(gateway, "GET", "/auth/session", secondSession, null), 401, "session_expired", SESSION_EXPIRED);
        assertEquals(200, call(gateway, "GET", "/auth/session", session, null).statusCode());
        assertEquals("{\"data\":[{\"address\":\"" + first.address() + "\",\"linkedAt\":\"" + linkedAt(first)
            + "\",\"current\":true}]}", call(gateway, "GET", "/account/wallets", session, null).body());
        assertEquals(1, endedSessions(accountId, second));
        assertRefused(call(gateway, "DELETE", "/account/wallets/" + second.address(), session, null), 404, "not_found",
            "No wallet " + second.address() + " is linked to this account.");

        // Free again: another account may link it, and then it signs in there.
        String otherSession = TestWallet.create().signIn(gateway);
        long otherAccountId = accountId(otherSession);
        assertEquals(201, link(gateway, otherSession, second, linkMessage(second, otherAccountId)).statusCode());
        assertEquals(otherAccountId, accountId(second.signIn(gateway)));
    }

    @Test
    void anUnlinkedWalletSigningInStartsANewAccountAndTheOldOneCanLinkItBack() throws Exception {
        TestWallet first = TestWallet.create();
        String session = first.signIn(gateway);
        long accountId = accountId(session);
        TestWallet second = TestWallet.create();
        assertEquals(201, link(gateway, session, second, linkMessage(second, accountId)).statusCode());
        assertEquals(204, call(gateway, "DELETE", "/account/wallets/" + second.address().toLowerCase(Locale.ROOT),
            session, null).statusCode());

        String secondSession = second.signIn(gateway);

        long newAccountId = accountId(secondSession);
        assertNotEquals(accountId, newAccountId);
        assertEquals(newAccountId, accountOfWallet(second));
        assertRefused(link(gateway, session, second, linkMessage(second, accountId)), 409, "wallet_linked_elsewhere",
            "The wallet " + second.address() + " belongs to another account; unlink it there first, then link it here.");
    }

    @Test
    void refusesToUnlinkTheSessionsOwnWalletOrTheOnlyOne() throws Exception {
        TestWallet first = TestWallet.create();
        String session = first.signIn(gateway);
        long accountId = accountId(session);

        assertRefused(call(gateway, "DELETE", "/account/wallets/" + first.address(), session, null), 400,
            "invalid_request", first.address() + " is the account's only wallet, and an account needs one to sign in; "
                + "link another wallet first.");

        TestWallet second = TestWallet.create();
        assertEquals(201, link(gateway, session, second, linkMessage(second, accountId)).statusCode());
        assertRefused(call(gateway, "DELETE", "/account/wallets/" + first.address(), session, null), 400,
            "invalid_request", "This session signed in with " + first.address()
                + "; sign in with another of the account's wallets to unlink it.");

        // From a session of the other wallet, the first one can go.
        String secondSession = second.signIn(gateway);
        assertEquals(204, call(gateway, "DELETE", "/account/wallets/" + first.address(), secondSession, null).statusCode());
        assertRefused(call(gateway, "GET", "/auth/session", session, null), 401, "session_expired", SESSION_EXPIRED);
        assertEquals(1, linkedWalletCount(accountId));
    }

    @Test
    void twoSessionsUnlinkingEachOthersWalletAtOnceLeaveTheAccountOneWallet() throws Exception {
        TestWallet first = TestWallet.create();
        String firstSession = first.signIn(gateway);
        long accountId = accountId(firstSession);
        TestWallet second = TestWallet.create();
        assertEquals(201, link(gateway, firstSession, second, linkMessage(second, accountId)).statusCode());
        String secondSession = second.signIn(gateway);

        CompletableFuture<HttpResponse<String>> a = http.sendAsync(
            request("DELETE", "/account/wallets/" + second.address(), firstSession, null), HttpResponse.BodyHandlers.ofString());
        CompletableFuture<HttpResponse<String>> b = http.sendAsync(
            request("DELETE", "/account/wallets/" + first.address(), secondSession, null), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> answerA = a.get(30, TimeUnit.SECONDS);
        HttpResponse<String> answerB = b.get(30, TimeUnit.SECONDS);

        HttpResponse<String> winner = answerA.statusCode() == 204 ? answerA : answerB;
        HttpResponse<String> loser = winner == answerA ? answerB : answerA;
        assertEquals(204, winner.statusCode(), answerA.body() + " / " + answerB.body());
        TestWallet kept = winner == answerA ? first : second;
        TestWallet loserWallet = winner == answerA ? second : first;
        // The loser either still had its session when it asked (and its wallet is now the last) or had lost it already.
        if (loser.statusCode() == 400) {
            assertRefused(loser, 400, "invalid_request", kept.address() + " is the account's only wallet, and an "
                + "account needs one to sign in; link another wallet first.");
        } else {
            assertRefused(loser, 401, "session_expired", SESSION_EXPIRED);
        }
        assertEquals(1, linkedWalletCount(accountId));
        assertEquals(accountId, accountOfWallet(kept));
        assertEquals(-1, accountOfWallet(loserWallet));
    }

    @Test
    void refusesAMalformedAddressOrBody() throws Exception {
        String session = TestWallet.create().signIn(gateway);

        assertRefused(call(gateway, "DELETE", "/account/wallets/0x1234", session, null), 400, "invalid_request",
            "A wallet address is 0x and 40 hex digits; found '0x1234'.");
        String unknown = TestWallet.create().address();
        assertRefused(call(gateway, "DELETE", "/account/wallets/" + unknown, session, null), 404, "not_found",
            "No wallet " + unknown + " is linked to this account.");
        assertRefused(call(gateway, "POST", "/account/wallets", session, "link please"), 400, "invalid_request",
            "The request needs a JSON body {\"message\": \"<EIP-4361 text>\", \"signature\": \"0x…\"}.");
        assertRefused(call(gateway, "POST", "/account/wallets", session, "{\"signature\":\"0x00\"}"), 400,
            "invalid_request", "The request needs 'message': the EIP-4361 text the wallet signed.");
    }

    @Test
    void everyWalletRouteNeedsASession() {
        TestWallet wallet = TestWallet.create();
        assertRefused(call(gateway, "GET", "/account/wallets", null, null), 401, "session_expired", SESSION_EXPIRED);
        assertRefused(call(gateway, "POST", "/account/wallets", null, body(linkMessage(wallet, 1), "0x00")), 401,
            "session_expired", SESSION_EXPIRED);
        assertRefused(call(gateway, "DELETE", "/account/wallets/" + wallet.address(), null, null), 401,
            "session_expired", SESSION_EXPIRED);
    }

    @Test
    void anAccountLinksAtMostTheConfiguredNumberOfWallets() throws Exception {
        try (TestGateway limited = TestGateway.start(Map.of("mercato.sign-in.max-wallets-per-account", 3,
            "mercato.sign-in.attempts-per-minute-per-ip", 10000, "mercato.sign-in.nonces-per-minute-per-ip", 10000))) {
            String session = TestWallet.create().signIn(limited);
            long accountId = accountId(session);
            List<TestWallet> linked = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                TestWallet wallet = TestWallet.create();
                assertEquals(201, link(limited, session, wallet, linkMessage(wallet, accountId, limited)).statusCode());
                linked.add(wallet);
            }
            TestWallet fourth = TestWallet.create();

            assertRefused(link(limited, session, fourth, linkMessage(fourth, accountId, limited)), 400, "invalid_request",
                "An account may have at most 3 wallets and this one has 3; unlink one first.");
            assertEquals(-1, accountOfWallet(fourth));
            // At the limit, a wallet the account has already is still answered as linked.
            assertEquals(200, link(limited, session, linked.get(0), linkMessage(linked.get(0), accountId, limited))
                .statusCode());

            assertEquals(204, call(limited, "DELETE", "/account/wallets/" + linked.get(1).address(), session, null)
                .statusCode());
            assertEquals(201, link(limited, session, fourth, linkMessage(fourth, accountId, limited)).statusCode());
            assertEquals(3, linkedWalletCount(accountId));
        }
    }

    private static String linkStatement(long accountId) {
        return "Link this wallet to Mercato account " + accountId + ".";
    }

    private String linkMessage(TestWallet wallet, long accountId) {
        return linkMessage(wallet, accountId, gateway);
    }

    private String linkMessage(TestWallet wallet, long accountId, TestGateway target) {
        return message(wallet, linkStatement(accountId), newNonce(target), null);
    }

    private static String message(TestWallet wallet, String statement, String nonce, Instant expirationTime) {
        return new SiweMessage(null, DOMAIN, wallet.address(), statement, ORIGIN, "1", CHAIN_ID, nonce,
            Instant.now().truncatedTo(ChronoUnit.SECONDS), expirationTime, null, null, null).toText();
    }

    private HttpResponse<String> link(TestGateway target, String session, TestWallet signer, String message) {
        return call(target, "POST", "/account/wallets", session, body(message, signer.sign(message)));
    }

    private static String body(String message, String signature) {
        return "{\"message\":" + Json.string(message) + ",\"signature\":" + Json.string(signature) + "}";
    }

    private String newNonce(TestGateway target) {
        HttpResponse<String> response = call(target, "GET", "/auth/nonce", null, null);
        assertEquals(200, response.statusCode(), response.body());
        return (String) json(response).get("nonce");
    }

    private long accountId(String session) {
        HttpResponse<String> response = call(gateway, "GET", "/auth/session", session, null);
        assertEquals(200, response.statusCode(), response.body());
        return ((Number) json(response).get("accountId")).longValue();
    }

    private HttpResponse<String> call(TestGateway target, String method, String path, String session, String body) {
        return send(request(target, method, path, session, body));
    }

    private static HttpRequest request(String method, String path, String session, String body) {
        return request(gateway, method, path, session, body);
    }

    private static HttpRequest request(TestGateway target, String method, String path, String session, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(target.baseUrl() + path))
            .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("content-type", "application/json");
        }
        if (session != null) {
            request.header("cookie", "mercato_session=" + session);
        }
        return request.build();
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

    private static void assertRefused(HttpResponse<String> response, int status, String code, String message) {
        assertEquals(status, response.statusCode(), response.body());
        @SuppressWarnings("unchecked")
        Map<String, Object> error = (Map<String, Object>) json(response).get("error");
        assertEquals(code, error.get("code"), response.body());
        assertEquals(message, error.get("message"));
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

    /** When the wallet was linked to its account, as the API writes it. */
    private static String linkedAt(TestWallet wallet) throws SQLException {
        try (Connection connection = database().getConnection();
             PreparedStatement select = connection.prepareStatement(
                 "select linked_at from wallet where address = ? and unlinked_at is null")) {
            select.setString(1, wallet.address().toLowerCase(Locale.ROOT));
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getTimestamp(1).toInstant().toString();
            }
        }
    }

    /** The account the wallet is linked to, or -1 when none is. */
    private static long accountOfWallet(TestWallet wallet) throws SQLException {
        try (Connection connection = database().getConnection();
             PreparedStatement select = connection.prepareStatement(
                 "select account_id from wallet where address = ? and unlinked_at is null")) {
            select.setString(1, wallet.address().toLowerCase(Locale.ROOT));
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? rows.getLong(1) : -1;
            }
        }
    }

    private static long accountCount() throws SQLException {
        try (Connection connection = database().getConnection();
             PreparedStatement query = connection.prepareStatement("select count(*) from account");
             ResultSet rows = query.executeQuery()) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static long linkedWalletCount(long accountId) throws SQLException {
        try (Connection connection = database().getConnection();
             PreparedStatement select = connection.prepareStatement(
                 "select count(*) from wallet where account_id = ? and unlinked_at is null")) {
            select.setLong(1, accountId);
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    /** Sessions of the account that the wallet opened and that have ended. */
    private static long endedSessions(long accountId, TestWallet wallet) throws SQLException {
        try (Connection connection = database().getConnection();
             PreparedStatement select = connection.prepareStatement(
                 "select count(*) from web_session where account_id = ? and address = ? and signed_out_at is not null")) {
            select.setLong(1, accountId);
            select.setString(2, wallet.address().toLowerCase(Locale.ROOT));
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }
}
