package dev.mercato.gateway.deposits;


import dev.mercato.contracts.LocalChain;
import dev.mercato.gateway.TestGateway;
import dev.mercato.gateway.signin.TestWallet;
import dev.mercato.ledger.AccountBalance;
import dev.mercato.ledger.Ledger;
import io.micronaut.json.JsonMapper;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;
import org.web3j.crypto.RawTransaction;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.tx.gas.StaticEIP1559GasProvider;
import org.web3j.tx.response.PollingTransactionReceiptProcessor;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A real anvil chain with the 6-decimal test token deployed, a fresh treasury address, and a
 * gateway scanning that chain for deposits. Depositors are fresh wallets, so their transactions
 * (and the ledger ids derived from them) are new in every test, though the chain id is not.
 */
final class DepositFixture implements AutoCloseable {

    static final long CHAIN_ID = LocalChain.CHAIN_ID;
    /** anvil's finalized tag trails the head by two epochs of 32 blocks. */
    static final int FINALITY_DEPTH = 64;

    final LocalChain chain;
    final String token;
    final String treasury;
    private final Map<String, Object> gatewaySettings;
    TestGateway gateway;
    private final HttpClient http = HttpClient.newHttpClient();

    private DepositFixture(LocalChain chain, String token, String treasury, Map<String, Object> gatewaySettings) {
        this.chain = chain;
        this.token = token;
        this.treasury = treasury;
        this.gatewaySettings = gatewaySettings;
        this.gateway = TestGateway.start(gatewaySettings);
    }

    /** Stops the gateway (its scanner with it) and starts another on the same database and chain, as a redeploy would. */
    void restartGateway() {
        gateway.close();
        gateway = TestGateway.start(gatewaySettings);
    }

    /** A chain, and a gateway scanning it at {@code rpcUrl} (the chain's own, or a proxy in front of it) with these chain settings. */
    static DepositFixture start(java.util.function.Function<LocalChain, String> rpcUrl, Map<String, Object> chainSettings) {
        LocalChain chain = LocalChain.start();
        try {
            String token = chain.deployTestUsd(chain.account(0)).getContractAddress().toLowerCase(Locale.ROOT);
            String treasury = "0x" + Keys.getAddress(Keys.createEcKeyPair());
            // An earlier test's chain had this id too; its cursor and deposits mean nothing on this one.
            TestGateway.execute("""
                do $$ begin
                  if to_regclass('deposit') is not null then
                    delete from deposit where chain_id = %d;
                    delete from chain_scan where chain_id = %d;
                  end if;
                end $$""".formatted(CHAIN_ID, CHAIN_ID));
            Map<String, Object> settings = new HashMap<>(Map.of("id", CHAIN_ID, "name", "anvil",
                "rpc-urls", List.of(rpcUrl.apply(chain)), "usdc-address", token, "treasury-address", treasury,
                // One pass at start-up, then the tests drive the passes themselves.
                "poll-interval", "1h", "request-timeout", "5s", "initial-backoff", "10ms", "max-backoff", "200ms"));
            settings.putAll(chainSettings);
            return new DepositFixture(chain, token, treasury, Map.of("mercato.chains", List.of(settings)));
        } catch (GeneralSecurityException | RuntimeException e) {
            chain.close();
            throw new IllegalStateException("could not start the deposit fixture", e);
        }
    }

    static DepositFixture start() {
        return start(LocalChain::rpcUrl, Map.of());
    }

    DepositScanner scanner() {
        return gateway.bean(DepositScanners.class).scanner(CHAIN_ID).orElseThrow();
    }

    /** One pass of the scanner, as the loop would run it. */
    void scan() throws Exception {
        scanner().scanOnce();
    }

    /** Enough blocks that everything mined so far is final by anvil's finalized tag. */
    void finalizeAll() {
        chain.mine(FINALITY_DEPTH);
    }

    /** A wallet with gas money and {@code units} of the token; signed in, if {@code signIn}, so it belongs to an account. */
    Depositor depositor(long units, boolean signIn) throws Exception {
        TestWallet wallet = TestWallet.create();
        chain.rpc("anvil_setBalance", List.of(wallet.address(), "0x56bc75e2d63100000")); // 100 ETH
        chain.testUsd(token, chain.account(0)).mint(wallet.address(), BigInteger.valueOf(units)).send();
        Long accountId = null;
        String session = null;
        if (signIn) {
            session = wallet.signIn(gateway);
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/auth/session"))
                .header("cookie", "mercato_session=" + session).GET().build(), HttpResponse.BodyHandlers.ofString());
            accountId = ((Number) json(answer.body()).get("accountId")).longValue();
        }
        return new Depositor(Credentials.create(wallet.key()), wallet.address().toLowerCase(Locale.ROOT), accountId,
            session);
    }

    /** Sends {@code units} of the token to the treasury and waits for its receipt. */
    TransactionReceipt deposit(Depositor from, long units) throws Exception {
        return chain.testUsd(token, from.credentials()).transfer(treasury, BigInteger.valueOf(units)).send();
    }

    /** A deposit signed but not sent, to send or to replay into a reorg. */
    String signedDeposit(Depositor from, long units, long nonce) {
        String data = FunctionEncoder.encode(new Function("transfer",
            List.of(new Address(treasury), new Uint256(BigInteger.valueOf(units))), List.of()));
        StaticEIP1559GasProvider gas = chain.gasProvider();
        return chain.transactionManager(from.credentials()).sign(RawTransaction.createTransaction(chain.chainId(),
            BigInteger.valueOf(nonce), gas.getGasLimit(), token, BigInteger.ZERO, data, gas.getMaxPriorityFeePerGas(),
            gas.getMaxFeePerGas()));
    }

    String sendRaw(String signed) throws IOException {
        return chain.web3j().ethSendRawTransaction(signed).send().getTransactionHash();
    }

    /** The receipt of a transaction sent raw, once it is mined: automine mines it soon after the send returns, not before. */
    TransactionReceipt receipt(String txHash) throws Exception {
        return new PollingTransactionReceiptProcessor(chain.web3j(), LocalChain.RECEIPT_POLL_INTERVAL_MILLIS, 200)
            .waitForTransactionReceipt(txHash);
    }

    long balanceNano(long accountId) {
        return gateway.bean(Ledger.class).balance("user:" + accountId).availableNano();
    }

    AccountBalance ledgerBalance(String key) {
        return gateway.bean(Ledger.class).balance(key);
    }

    /** Runs one query on the gateway's database and answers the first column of its first row. */
    long count(String sql) {
        return gateway.queryLong(sql);
    }

    /** An HTTP call on the gateway with a session cookie (or none) or, for admin paths, the admin token. */
    HttpResponse<String> call(String method, String path, String session, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gateway.baseUrl() + path))
            .header("content-type", "application/json")
            .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (session != null) {
            request.header("cookie", "mercato_session=" + session);
        }
        if (path.startsWith("/admin")) {
            request.header("authorization", "Bearer " + TestGateway.ADMIN_TOKEN);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    Map<?, ?> json(String body) throws IOException {
        return gateway.bean(JsonMapper.class).readValue(body, Map.class);
    }

    @Override
    public void close() {
        try {
            gateway.close();
        } finally {
            chain.close();
        }
    }

    /** A wallet that deposits: its keys, lower-case address, and its account and session when signed in. */
    record Depositor(Credentials credentials, String address, Long accountId, String session) {
    }
}
