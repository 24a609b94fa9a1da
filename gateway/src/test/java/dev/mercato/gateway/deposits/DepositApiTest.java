package dev.mercato.gateway.deposits;


import dev.mercato.gateway.TestGateway;
import dev.mercato.gateway.deposits.DepositFixture.Depositor;
import dev.mercato.gateway.signin.TestWallet;
import io.micronaut.json.JsonMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.web3j.crypto.Keys;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The account's and the admin's deposit APIs, with the exact values they answer. */
@Timeout(180)
class DepositApiTest {

    @Test
    void instructionsNameEachChainsTreasuryAndTokenAndTheAccountsWallets() throws Exception {
        try (DepositFixture fixture = DepositFixture.start()) {
            Depositor alice = fixture.depositor(0, true);

            HttpResponse<String> instructions = fixture.call("GET", "/account/deposits/instructions", alice.session(), null);

            assertEquals(200, instructions.statusCode(), instructions.body());
            assertEquals(Map.of("chains", List.of(Map.of("chainId", 31337, "name", "anvil", "token", "USDC",
                    "tokenAddress", Keys.toChecksumAddress(fixture.token), "tokenDecimals", 6,
                    "treasuryAddress", Keys.toChecksumAddress(fixture.treasury), "finality", "finalized")),
                "wallets", List.of(Keys.toChecksumAddress(alice.address()))), fixture.json(instructions.body()));
            HttpResponse<String> unsigned = fixture.call("GET", "/account/deposits/instructions", null, null);
            assertEquals(401, unsigned.statusCode());
            assertEquals("session_expired", ((Map<?, ?>) fixture.json(unsigned.body()).get("error")).get("code"));
        }
    }

    @Test
    void theDepositsListShowsPendingAndCreditedDepositsWithTheirHashAndConfirmations() throws Exception {
        try (DepositFixture fixture = DepositFixture.start()) {
            Depositor alice = fixture.depositor(10_000_000, true);
            Depositor bob = fixture.depositor(0, true);
            TransactionReceipt first = fixture.deposit(alice, 1_500_000);
            fixture.finalizeAll();
            TransactionReceipt second = fixture.deposit(alice, 250);
            fixture.chain.mine(4);
            fixture.scan();
            long latest = fixture.chain.blockNumber();

            HttpResponse<String> list = fixture.call("GET", "/account/deposits", alice.session(), null);

            assertEquals(200, list.statusCode(), list.body());
            List<?> data = (List<?>) fixture.json(list.body()).get("data");
            assertEquals(2, data.size());
            Map<String, Object> pending = withoutTimes((Map<?, ?>) data.get(0));
            Map<String, Object> credited = withoutTimes((Map<?, ?>) data.get(1));
            assertEquals(Map.of("chainId", 31337, "txHash", second.getTransactionHash(), "logIndex", 0,
                "blockNumber", second.getBlockNumber().intValueExact(), "fromAddress", Keys.toChecksumAddress(alice.address()),
                "amountUsdc", "0.00025", "status", "pending", "confirmations", 5), without(pending, "id"));
            assertEquals(Map.of("chainId", 31337, "txHash", first.getTransactionHash(), "logIndex", 0,
                "blockNumber", first.getBlockNumber().intValueExact(), "fromAddress", Keys.toChecksumAddress(alice.address()),
                "amountUsdc", "1.5", "status", "credited",
                "confirmations", (int) (latest - first.getBlockNumber().longValueExact() + 1)), without(credited, "id"));
            assertNull(((Map<?, ?>) data.get(0)).get("creditedAt"));
            assertNotNull(((Map<?, ?>) data.get(1)).get("creditedAt"));
            assertNotNull(((Map<?, ?>) data.get(0)).get("seenAt"));

            HttpResponse<String> one = fixture.call("GET", "/account/deposits?limit=1", alice.session(), null);
            assertEquals(List.of(second.getTransactionHash()), ((List<?>) fixture.json(one.body()).get("data")).stream()
                .map(deposit -> ((Map<?, ?>) deposit).get("txHash")).toList());
            assertEquals(Map.of("data", List.of()), fixture.json(fixture.call("GET", "/account/deposits", bob.session(),
                null).body()));
            HttpResponse<String> tooMany = fixture.call("GET", "/account/deposits?limit=501", alice.session(), null);
            assertEquals(400, tooMany.statusCode());
            assertEquals("limit must be 1 to 500, was 501.", ((Map<?, ?>) fixture.json(tooMany.body()).get("error"))
                .get("message"));
        }
    }

    @Test
    void theAdminSeesEachChainsScanAndIsToldWhatCannotBeAssigned() throws Exception {
        try (DepositFixture fixture = DepositFixture.start()) {
            Depositor alice = fixture.depositor(10_000_000, true);
            fixture.deposit(alice, 1_000_000);
            fixture.finalizeAll();
            fixture.scan();
            long finalized = fixture.chain.finalizedBlockNumber();
            String finalizedHash = fixture.chain.web3j().ethGetBlockByNumber(
                DefaultBlockParameter.valueOf(BigInteger.valueOf(finalized)), false).send().getBlock().getHash();

            HttpResponse<String> chains = fixture.call("GET", "/admin/chains", null, null);

            assertEquals(200, chains.statusCode(), chains.body());
            Map<String, Object> chain = new HashMap<>((Map<String, Object>) ((List<?>) fixture.json(chains.body())
                .get("chains")).getFirst());
            assertNotNull(chain.remove("updatedAt"));
            Map<String, Object> expected = new HashMap<>(Map.of("chainId", 31337, "name", "anvil", "finality", "finalized",
                "nextBlock", (int) finalized + 1, "lastScannedBlock", (int) finalized, "lastScannedHash", finalizedHash,
                "finalizedBlock", (int) finalized, "latestBlock", (int) fixture.chain.blockNumber(), "halted", false));
            expected.put("haltedAt", null);
            expected.put("haltReason", null);
            expected.put("lastError", null);
            assertEquals(expected, chain);

            long credited = fixture.count("select id from deposit where chain_id = 31337 and status = 'credited'");
            assertError(fixture.call("POST", "/admin/deposits/review/" + credited + "/assign", null, "{\"accountId\":1}"),
                400, "invalid_request", "Deposit " + credited + " came from a registered wallet and was credited to account "
                    + alice.accountId() + "; there is nothing to assign.");
            assertError(fixture.call("POST", "/admin/deposits/review/987654321/assign", null, "{\"accountId\":1}"),
                404, "not_found", "There is no deposit 987654321.");
            assertError(fixture.call("POST", "/admin/chains/1/resume", null, "{\"fromBlock\":0}"),
                404, "not_found", "Chain 1 is not configured; configured: [31337].");
            HttpResponse<String> noToken = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(fixture.gateway.baseUrl() + "/admin/chains")).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertError(noToken, 401, "admin_unauthorized",
                "The admin token is missing or wrong: send 'Authorization: Bearer <admin token>'.");
        }
    }

    @Test
    void withNoChainConfiguredDepositsAreOff() throws Exception {
        try (TestGateway gateway = TestGateway.start()) {
            TestWallet wallet = TestWallet.create();
            String session = wallet.signIn(gateway);
            HttpClient http = HttpClient.newHttpClient();
            JsonMapper json = gateway.bean(JsonMapper.class);

            HttpResponse<String> instructions = http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl()
                + "/account/deposits/instructions")).header("cookie", "mercato_session=" + session).GET().build(),
                HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> chains = gateway.adminCall("/admin/chains", null);

            assertEquals(Map.of("chains", List.of(), "wallets", List.of(wallet.address())),
                json.readValue(instructions.body(), Map.class));
            assertEquals(Map.of("chains", List.of()), json.readValue(chains.body(), Map.class));
            assertEquals(List.of(), gateway.bean(DepositScanners.class).chains());
        }
    }

    private static void assertError(HttpResponse<String> response, int status, String code, String message)
            throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        Map<?, ?> error = (Map<?, ?>) new com.fasterxml.jackson.databind.ObjectMapper().readValue(response.body(), Map.class)
            .get("error");
        assertEquals(code, error.get("code"));
        assertEquals(message, error.get("message"));
    }

    private static Map<String, Object> withoutTimes(Map<?, ?> deposit) {
        Map<String, Object> copy = new HashMap<>();
        deposit.forEach((key, value) -> copy.put((String) key, value));
        copy.remove("seenAt");
        copy.remove("creditedAt");
        return copy;
    }

    private static Map<String, Object> without(Map<String, Object> map, String key) {
        Map<String, Object> copy = new HashMap<>(map);
        copy.remove(key);
        return copy;
    }
}
