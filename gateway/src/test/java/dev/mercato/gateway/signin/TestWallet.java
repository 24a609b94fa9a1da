package dev.mercato.gateway.signin;

import dev.mercato.gateway.TestGateway;
import dev.mercato.gateway.error.Json;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A fresh Ethereum key and its address in checksum case; signs as wallets do for personal_sign. */
public record TestWallet(ECKeyPair key, String address) {

    private static final Pattern NONCE = Pattern.compile("\"nonce\":\"([A-Za-z0-9]+)\"");
    private static final Pattern SESSION_COOKIE = Pattern.compile("mercato_session=([^;]+);.*");

    public static TestWallet create() {
        try {
            ECKeyPair key = Keys.createEcKeyPair();
            return new TestWallet(key, Keys.toChecksumAddress(Keys.getAddress(key)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public String sign(String message) {
        Sign.SignatureData signature = Sign.signPrefixedMessage(message.getBytes(StandardCharsets.UTF_8), key);
        byte[] rsv = new byte[65];
        System.arraycopy(signature.getR(), 0, rsv, 0, 32);
        System.arraycopy(signature.getS(), 0, rsv, 32, 32);
        rsv[64] = signature.getV()[0];
        return "0x" + HexFormat.of().formatHex(rsv);
    }

    /** Signs in to the gateway (its default domain, URI and chain) as a dashboard would; returns the session cookie's value. */
    public String signIn(TestGateway gateway) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newHttpClient();
        String issued = http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/auth/nonce")).GET().build(),
            HttpResponse.BodyHandlers.ofString()).body();
        Matcher nonce = NONCE.matcher(issued);
        if (!nonce.find()) {
            throw new IllegalStateException("no nonce in " + issued);
        }
        String message = new SiweMessage(null, "127.0.0.1:8080", address, "Sign in to Mercato.", "http://127.0.0.1:8080",
            "1", 31337, nonce.group(1), Instant.now().truncatedTo(ChronoUnit.SECONDS), null, null, null, null).toText();
        HttpResponse<String> signedIn = http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/auth/sign-in"))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"message\":" + Json.string(message) + ",\"signature\":"
                + Json.string(sign(message)) + "}")).build(), HttpResponse.BodyHandlers.ofString());
        Matcher cookie = SESSION_COOKIE.matcher(signedIn.headers().firstValue("set-cookie").orElse(""));
        if (signedIn.statusCode() != 200 || !cookie.matches()) {
            throw new IllegalStateException("sign-in answered " + signedIn.statusCode() + ": " + signedIn.body());
        }
        return cookie.group(1);
    }
}
