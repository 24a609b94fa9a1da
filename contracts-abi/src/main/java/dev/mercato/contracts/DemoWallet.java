package dev.mercato.contracts;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;

/**
 * The local marketplace's demo wallet (anvil's dev account {@value DevChain#DEMO_WALLET_INDEX}) acting
 * as its owner would in a dashboard: it signs in to the gateway with Sign-In with Ethereum and,
 * as the operator of the local node, withdraws its earnings.
 *
 * <pre>
 *   DemoWallet sign-in GATEWAY_URL            prints a session cookie value
 *   DemoWallet payout GATEWAY_URL [AMOUNT]    withdraws AMOUNT USDC (default: all available) and follows it
 * </pre>
 *
 * <p>For a local marketplace only: its key is anvil's published dev key.
 */
public final class DemoWallet {

    static final long LOCAL_CHAIN_ID = LocalChain.CHAIN_ID;
    static final Duration FOLLOW_FOR = Duration.ofSeconds(60);
    private static final Pattern NONCE = Pattern.compile("\"nonce\":\"([A-Za-z0-9]+)\"");
    private static final Pattern SESSION_COOKIE = Pattern.compile("mercato_session=([^;]+);.*");
    private static final Pattern AVAILABLE = Pattern.compile("\"availableUsdc\":\"([0-9.]+)\"");
    private static final Pattern ID = Pattern.compile("\"id\":\"([0-9a-f-]{36})\"");
    private static final Pattern STATUS = Pattern.compile("\"status\":\"([a-z]+)\"");

    private final URI gateway;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Credentials wallet = LocalChain.devAccount(DevChain.DEMO_WALLET_INDEX);

    private DemoWallet(String gatewayUrl) {
        this.gateway = URI.create(gatewayUrl.endsWith("/") ? gatewayUrl.substring(0, gatewayUrl.length() - 1) : gatewayUrl);
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("sign-in")) {
            System.out.println(new DemoWallet(args[1]).signIn());
        } else if ((args.length == 2 || args.length == 3) && args[0].equals("payout")) {
            System.exit(new DemoWallet(args[1]).payout(args.length == 3 ? args[2] : null));
        } else {
            System.err.println("usage: DemoWallet sign-in GATEWAY_URL | DemoWallet payout GATEWAY_URL [AMOUNT_USDC]");
            System.exit(2);
        }
    }

    /** Signs in as a wallet does (EIP-4361 message, personal_sign) and answers the session cookie's value. */
    String signIn() throws IOException, InterruptedException {
        String issued = send(HttpRequest.newBuilder(gateway.resolve("/auth/nonce")).GET()).body();
        Matcher nonce = NONCE.matcher(issued);
        if (!nonce.find()) {
            throw new IllegalStateException("the gateway gave no sign-in nonce: " + issued);
        }
        String message = gateway.getAuthority() + " wants you to sign in with your Ethereum account:\n"
            + Keys.toChecksumAddress(wallet.getAddress()) + "\n\nSign in to Mercato.\n\nURI: " + gateway + "\nVersion: 1\n"
            + "Chain ID: " + LOCAL_CHAIN_ID + "\nNonce: " + nonce.group(1) + "\nIssued At: "
            + Instant.now().truncatedTo(ChronoUnit.SECONDS);
        HttpResponse<String> signedIn = send(HttpRequest.newBuilder(gateway.resolve("/auth/sign-in"))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"" + message.replace("\n", "\\n")
                + "\",\"signature\":\"" + sign(message) + "\"}")));
        Matcher cookie = SESSION_COOKIE.matcher(signedIn.headers().firstValue("set-cookie").orElse(""));
        if (signedIn.statusCode() != 200 || !cookie.matches()) {
            throw new IllegalStateException("sign-in answered " + signedIn.statusCode() + ": " + signedIn.body());
        }
        return cookie.group(1);
    }

    /** Requests a payout to the demo wallet and prints its progress until it is paid or failed; answers an exit code. */
    int payout(String amountUsdc) throws IOException, InterruptedException {
        String session = "mercato_session=" + signIn();
        String amount = amountUsdc;
        if (amount == null) {
            String nodes = send(HttpRequest.newBuilder(gateway.resolve("/operator/nodes")).header("cookie", session).GET())
                .body();
            Matcher available = AVAILABLE.matcher(nodes);
            if (!available.find()) {
                System.err.println("The demo account runs no operator: " + nodes);
                return 1;
            }
            // USDC has 6 decimals; earnings are counted to the nano.
            amount = new BigDecimal(available.group(1)).setScale(6, RoundingMode.DOWN).stripTrailingZeros().toPlainString();
        }
        HttpResponse<String> requested = send(HttpRequest.newBuilder(gateway.resolve("/operator/payouts"))
            .header("cookie", session).header("content-type", "application/json")
            .header("Idempotency-Key", "demo-" + UUID.randomUUID())
            .POST(HttpRequest.BodyPublishers.ofString("{\"amountUsdc\":\"" + amount + "\",\"wallet\":\""
                + wallet.getAddress() + "\"}")));
        if (requested.statusCode() != 202) {
            System.err.println("The payout of " + amount + " USDC was refused (" + requested.statusCode() + "): "
                + requested.body());
            return 1;
        }
        Matcher id = ID.matcher(requested.body());
        if (!id.find()) {
            throw new IllegalStateException("the payout answer has no id: " + requested.body());
        }
        System.out.println("Requested payout " + id.group(1) + " of " + amount + " USDC to the demo wallet "
            + wallet.getAddress() + ".");
        String last = "requested";
        Instant until = Instant.now().plus(FOLLOW_FOR);
        while (Instant.now().isBefore(until)) {
            Thread.sleep(1_000);
            String list = send(HttpRequest.newBuilder(gateway.resolve("/operator/payouts?limit=20"))
                .header("cookie", session).GET()).body();
            String row = row(list, id.group(1));
            Matcher status = STATUS.matcher(row);
            if (status.find() && !status.group(1).equals(last)) {
                last = status.group(1);
                System.out.println("  " + last + ": " + row);
            }
            if (last.equals("paid") || last.equals("failed")) {
                return last.equals("paid") ? 0 : 1;
            }
        }
        System.out.println("Still " + last + " after " + FOLLOW_FOR.toSeconds() + " s; GET /operator/payouts shows it.");
        return 0;
    }

    /** The JSON object of payout {@code id} in a payouts list (they hold no nested objects). */
    private static String row(String list, String id) {
        int at = list.indexOf("\"id\":\"" + id + "\"");
        if (at < 0) {
            return "";
        }
        return list.substring(list.lastIndexOf('{', at), list.indexOf('}', at) + 1);
    }

    private String sign(String message) {
        Sign.SignatureData signature = Sign.signPrefixedMessage(message.getBytes(StandardCharsets.UTF_8),
            wallet.getEcKeyPair());
        byte[] rsv = new byte[65];
        System.arraycopy(signature.getR(), 0, rsv, 0, 32);
        System.arraycopy(signature.getS(), 0, rsv, 32, 32);
        rsv[64] = signature.getV()[0];
        return "0x" + HexFormat.of().formatHex(rsv);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        try {
            return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IOException("the gateway at " + gateway + " does not answer (" + e.getMessage()
                + "); is ./mercato run still running?", e);
        }
    }
}
