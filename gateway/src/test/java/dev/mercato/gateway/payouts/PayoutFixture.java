package dev.mercato.gateway.payouts;

import dev.mercato.contracts.LocalChain;
import dev.mercato.gateway.TestGateway;
import dev.mercato.gateway.billing.Billing;
import dev.mercato.gateway.signin.TestWallet;
import dev.mercato.ledger.AccountBalance;
import dev.mercato.ledger.AccountFlags;
import dev.mercato.ledger.Ledger;
import dev.mercato.ledger.TransferIds;
import io.micronaut.json.JsonMapper;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.crypto.Keys;
import org.web3j.tx.response.PollingTransactionReceiptProcessor;
import org.web3j.utils.Numeric;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * A real anvil chain with the 6-decimal test token, a hot wallet holding 1,000 of it and gas
 * money, a gateway paying out from that wallet (final at 2 confirmations, worker steps driven
 * by the test), and an operator whose account has a signed-in wallet and 10 USDC of earnings.
 */
final class PayoutFixture implements AutoCloseable {

    static final long CHAIN_ID = LocalChain.CHAIN_ID;
    static final long HOT_WALLET_UNITS = 1_000_000_000L;
    static final long EARNINGS_NANO = 10_000_000_000L;
    /** The test token keeps balances in the mapping at storage slot 1 (totalSupply is slot 0). */
    private static final String BALANCES_SLOT = "0".repeat(63) + "1";

    final LocalChain chain;
    final String token;
    final Credentials hotWallet;
    final String hotAddress;
    private final Map<String, Object> gatewaySettings;
    TestGateway gateway;
    String session;
    String operatorWallet;
    String operator;
    long operatorId;
    private final HttpClient http = HttpClient.newHttpClient();

    private PayoutFixture(LocalChain chain, String token, Credentials hotWallet, Map<String, Object> gatewaySettings) {
        this.chain = chain;
        this.token = token;
        this.hotWallet = hotWallet;
        this.hotAddress = hotWallet.getAddress().toLowerCase(Locale.ROOT);
        this.gatewaySettings = gatewaySettings;
        this.gateway = TestGateway.start(gatewaySettings);
    }

    /** A chain and a paying gateway; {@code dropAfter} is how long a transfer may stay unmined before its cancel. */
    static PayoutFixture start(String dropAfter) throws Exception {
        LocalChain chain = LocalChain.start();
        try {
            String token = chain.deployTestUsd(chain.account(0)).getContractAddress().toLowerCase(Locale.ROOT);
            Credentials hot = Credentials.create(Keys.createEcKeyPair());
            chain.rpc("anvil_setBalance", List.of(hot.getAddress(), "0x56bc75e2d63100000")); // 100 ETH
            chain.testUsd(token, chain.account(0)).mint(hot.getAddress(), BigInteger.valueOf(HOT_WALLET_UNITS)).send();
            // An earlier test's chain had this id too; its payouts and cursor mean nothing on this one.
            TestGateway.execute("""
                do $$ begin
                  if to_regclass('payout') is not null then
                    delete from payout_tx where chain_id = %1$d;
                    delete from payout where chain_id = %1$d;
                    delete from deposit where chain_id = %1$d;
                    delete from chain_scan where chain_id = %1$d;
                  end if;
                end $$""".formatted(CHAIN_ID));
            Map<String, Object> settings = new HashMap<>();
            settings.put("mercato.chains", List.of(Map.ofEntries(Map.entry("id", CHAIN_ID), Map.entry("name", "anvil"),
                Map.entry("rpc-urls", List.of(chain.rpcUrl())), Map.entry("usdc-address", token),
                Map.entry("treasury-address", hot.getAddress()), Map.entry("finality", "confirmations"),
                Map.entry("confirmations", 2), Map.entry("poll-interval", "1h"), Map.entry("request-timeout", "5s"),
                Map.entry("initial-backoff", "10ms"), Map.entry("max-backoff", "200ms"))));
            settings.put("mercato.payouts.hot-wallet-key",
                Numeric.toHexStringNoPrefixZeroPadded(hot.getEcKeyPair().getPrivateKey(), 64));
            settings.put("mercato.payouts.poll-interval", "1h"); // one step at start-up; the tests take the others
            settings.put("mercato.payouts.drop-after", dropAfter);
            PayoutFixture fixture = new PayoutFixture(chain, token, hot, settings);
            fixture.operatorWithEarnings();
            return fixture;
        } catch (Exception | Error e) {
            chain.close();
            throw e;
        }
    }

    private void operatorWithEarnings() throws Exception {
        TestWallet wallet = TestWallet.create();
        operatorWallet = wallet.address().toLowerCase(Locale.ROOT);
        session = wallet.signIn(gateway);
        operator = "payout-" + UUID.randomUUID().toString().substring(0, 8);
        HttpResponse<String> node = call("POST", "/operator/nodes", null,
            "{\"operator\":\"" + operator + "\",\"name\":\"n1\"}");
        if (node.statusCode() != 201) {
            throw new IllegalStateException("registering a node answered " + node.statusCode() + ": " + node.body());
        }
        operatorId = count("select id from operator where name = '" + operator + "'");
        Ledger ledger = gateway.bean(Ledger.class);
        ledger.ensureAccount(Billing.providerAccount(operatorId), AccountFlags.PROVIDER);
        // Earnings backed by USDC the treasury received: a payout may not take out more than came in.
        ledger.transfer(TransferIds.of("test-earnings", operator), "asset:usdc:" + CHAIN_ID,
            Billing.providerAccount(operatorId), EARNINGS_NANO, "test_earnings", null);
    }

    /** Stops the gateway (its payout worker with it) and starts another on the same database and chain. */
    void restartGateway() {
        gateway.close();
        gateway = TestGateway.start(gatewaySettings);
    }

    /** One step of the chain's payout worker, taken once the worker's own start-up step has let go of the lock. */
    void step() throws Exception {
        PayoutWorker worker = gateway.bean(PayoutWorkers.class).worker(CHAIN_ID).orElseThrow();
        for (int attempt = 0; !worker.step(); attempt++) {
            if (attempt == 100) {
                throw new IllegalStateException("the payout lock stayed taken for 5 s");
            }
            Thread.sleep(50);
        }
    }

    /** Waits until the payout's transfer is mined: automine mines it soon after the send returns, not before. */
    void awaitMined(String payoutId) throws Exception {
        String txHash = text("select tx_hash from payout_tx where kind = 'transfer' and payout_id = '" + payoutId + "'");
        new PollingTransactionReceiptProcessor(chain.web3j(), LocalChain.RECEIPT_POLL_INTERVAL_MILLIS, 200)
            .waitForTransactionReceipt(txHash);
    }

    HttpResponse<String> requestPayout(String idempotencyKey, String amountUsdc) throws Exception {
        return requestPayoutJson(idempotencyKey, "{\"amountUsdc\":\"" + amountUsdc + "\",\"wallet\":\"" + operatorWallet
            + "\"}");
    }

    HttpResponse<String> requestPayoutJson(String idempotencyKey, String json) throws Exception {
        return call("POST", "/operator/payouts", idempotencyKey, json);
    }

    HttpResponse<String> call(String method, String path, String idempotencyKey, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gateway.baseUrl() + path))
            .header("content-type", "application/json")
            .header("cookie", "mercato_session=" + session)
            .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (idempotencyKey != null) {
            request.header("Idempotency-Key", idempotencyKey);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The admin's list of open payouts. */
    List<?> openPayouts() throws Exception {
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/admin/payouts"))
            .header("authorization", "Bearer " + TestGateway.ADMIN_TOKEN).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() != 200) {
            throw new IllegalStateException("GET /admin/payouts answered " + answer.statusCode() + ": " + answer.body());
        }
        return (List<?>) json(answer.body()).get("payouts");
    }

    Map<?, ?> json(String body) throws IOException {
        return gateway.bean(JsonMapper.class).readValue(body, Map.class);
    }

    /** The payout's row as the API shows it. */
    Map<?, ?> payout(String id) throws Exception {
        HttpResponse<String> list = call("GET", "/operator/payouts", null, null);
        for (Object payout : (List<?>) json(list.body()).get("payouts")) {
            if (id.equals(((Map<?, ?>) payout).get("id"))) {
                return (Map<?, ?>) payout;
            }
        }
        throw new IllegalStateException("no payout " + id + " in " + list.body());
    }

    AccountBalance earnings() {
        return gateway.bean(Ledger.class).balance(Billing.providerAccount(operatorId));
    }

    AccountBalance asset() {
        return gateway.bean(Ledger.class).balance("asset:usdc:" + CHAIN_ID);
    }

    long tokenUnits(String address) throws Exception {
        return chain.testUsd(token, chain.account(0)).balanceOf(address).send().longValueExact();
    }

    /** Sets the hot wallet's token balance directly in the token's storage (anvil_setStorageAt). */
    void setHotWalletUnits(long units) {
        String slot = Hash.sha3("0x" + "0".repeat(24) + hotAddress.substring(2) + BALANCES_SLOT);
        chain.rpc("anvil_setStorageAt", List.of(token, slot, "0x" + String.format("%064x", units)));
    }

    void automine(boolean on) {
        chain.rpc("evm_setAutomine", List.of(on));
    }

    /** Transactions waiting in the node's pool. */
    int pooled() {
        return Integer.decode(chain.rpc("txpool_status", List.of()).get("pending").asText());
    }

    long count(String sql) {
        return gateway.queryLong(sql);
    }

    String text(String sql) {
        return gateway.queryText(sql);
    }

    @Override
    public void close() {
        try {
            gateway.close();
        } finally {
            chain.close();
        }
    }
}
