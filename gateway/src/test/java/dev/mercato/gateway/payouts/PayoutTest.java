package dev.mercato.gateway.payouts;

import dev.mercato.gateway.TestGateway;
import dev.mercato.gateway.billing.Billing;
import dev.mercato.gateway.signin.TestWallet;
import dev.mercato.ledger.AccountBalance;
import dev.mercato.ledger.Ledger;
import dev.mercato.ledger.TransferIds;
import dev.mercato.ledger.Usdc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.mercato.gateway.payouts.PayoutFixture.EARNINGS_NANO;
import static dev.mercato.gateway.payouts.PayoutFixture.HOT_WALLET_UNITS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Operator payouts against a real anvil chain and a real PostgreSQL: a payout moves exactly its
 * amount on chain and in the ledger, once, whatever is retried or restarted; a transfer that
 * reverts, or is not mined in time and is cancelled, fails with the earnings back.
 */
@Timeout(180)
class PayoutTest {

    private PayoutFixture fixture;

    @AfterEach
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void aPayoutMovesExactlyItsAmountOnChainAndInTheLedgerOnceWhateverIsRepeated() throws Exception {
        fixture = PayoutFixture.start("1h");
        AccountBalance assetBefore = fixture.asset();

        HttpResponse<String> requested = fixture.requestPayout("withdraw-1", "2.5");
        assertEquals(202, requested.statusCode(), requested.body());
        Map<?, ?> payout = fixture.json(requested.body());
        String id = (String) payout.get("id");
        assertEquals("requested", payout.get("status"));
        assertEquals("2.5", payout.get("amountUsdc"));
        assertEquals(fixture.operatorWallet, payout.get("wallet"));
        assertEquals(fixture.operator, payout.get("operator"));
        // Held at once: the same earnings cannot be withdrawn twice.
        assertEquals(new AccountBalance(EARNINGS_NANO, 0, 0, 2_500_000_000L), fixture.earnings());

        HttpResponse<String> again = fixture.requestPayout("withdraw-1", "2.5");
        assertEquals(200, again.statusCode(), again.body());
        assertEquals(id, fixture.json(again.body()).get("id"));
        HttpResponse<String> changed = fixture.requestPayout("withdraw-1", "3");
        assertEquals(409, changed.statusCode(), changed.body());
        assertEquals("idempotency_key_reused", error(changed).get("code"));
        assertEquals(new AccountBalance(EARNINGS_NANO, 0, 0, 2_500_000_000L), fixture.earnings());

        fixture.step(); // signs, stores and sends; automine mines it
        fixture.awaitMined(id);
        assertEquals("sent", fixture.payout(id).get("status"));
        assertEquals(2_500_000, fixture.tokenUnits(fixture.operatorWallet));
        fixture.step(); // mined, one confirmation of the two that make it final
        assertEquals("sent", fixture.payout(id).get("status"));
        assertEquals(new AccountBalance(EARNINGS_NANO, 0, 0, 2_500_000_000L), fixture.earnings());

        fixture.chain.mine(1);
        fixture.step();
        Map<?, ?> paid = fixture.payout(id);
        assertEquals("paid", paid.get("status"));
        String txHash = fixture.text("select tx_hash from payout_tx where kind = 'transfer' and payout_id = '" + id + "'");
        assertEquals(txHash, paid.get("txHash"));
        assertEquals(new AccountBalance(EARNINGS_NANO, 2_500_000_000L, 0, 0), fixture.earnings());
        assertEquals(assetBefore.creditsPosted() + 2_500_000_000L, fixture.asset().creditsPosted());
        assertEquals(0, fixture.asset().creditsPending());

        // A redeploy, more steps and the same request again pay nothing more.
        fixture.restartGateway();
        fixture.step();
        fixture.chain.mine(3);
        fixture.step();
        HttpResponse<String> afterPaid = fixture.requestPayout("withdraw-1", "2.5");
        assertEquals(200, afterPaid.statusCode(), afterPaid.body());
        assertEquals("paid", fixture.json(afterPaid.body()).get("status"));
        assertEquals(2_500_000, fixture.tokenUnits(fixture.operatorWallet));
        assertEquals(HOT_WALLET_UNITS - 2_500_000, fixture.tokenUnits(fixture.hotAddress));
        assertEquals(1, fixture.count("select count(*) from payout_tx where payout_id = '" + id + "'"));
        assertEquals(new AccountBalance(EARNINGS_NANO, 2_500_000_000L, 0, 0), fixture.earnings());
    }

    @Test
    void aPayoutWaitsWhileTheHotWalletIsShortAndIsPaidOnceItIsFunded() throws Exception {
        fixture = PayoutFixture.start("1h");
        fixture.setHotWalletUnits(1_000_000);
        String id = (String) fixture.json(fixture.requestPayout("withdraw-1", "2").body()).get("id");
        fixture.step();
        fixture.step();

        Map<?, ?> waiting = fixture.payout(id);
        assertEquals("requested", waiting.get("status"));
        assertEquals("the hot wallet " + fixture.hotAddress + " holds 1 USDC on chain 31337, less than this payout's 2",
            waiting.get("waitingFor"));
        assertEquals(List.of(waiting), fixture.openPayouts());
        assertEquals(0, fixture.count("select count(*) from payout_tx where payout_id = '" + id + "'"));

        fixture.setHotWalletUnits(HOT_WALLET_UNITS);
        fixture.step();
        fixture.awaitMined(id);
        fixture.chain.mine(1);
        fixture.step();
        Map<?, ?> paid = fixture.payout(id);
        assertEquals("paid", paid.get("status"));
        assertEquals(null, paid.get("waitingFor"));
        assertEquals(List.of(), fixture.openPayouts());
        assertEquals(2_000_000, fixture.tokenUnits(fixture.operatorWallet));
        assertEquals(new AccountBalance(EARNINGS_NANO, 2_000_000_000L, 0, 0), fixture.earnings());
    }

    @Test
    void aTransferThatRevertsFailsWithTheEarningsBackAndANewRequestPaysOnce() throws Exception {
        fixture = PayoutFixture.start("1h");
        fixture.automine(false);
        String id = (String) fixture.json(fixture.requestPayout("withdraw-1", "4").body()).get("id");
        fixture.step();
        assertEquals("sent", fixture.payout(id).get("status"));
        assertEquals(1, fixture.pooled());

        fixture.setHotWalletUnits(0); // the hot wallet is emptied before the transfer is mined
        fixture.chain.mine(1);
        fixture.step();
        assertEquals("sent", fixture.payout(id).get("status"));
        fixture.chain.mine(1);
        fixture.step();

        Map<?, ?> failed = fixture.payout(id);
        assertEquals("failed", failed.get("status"));
        assertTrue(((String) failed.get("failure")).startsWith("The transfer reverted on chain 31337 in block "),
            (String) failed.get("failure"));
        assertEquals(new AccountBalance(EARNINGS_NANO, 0, 0, 0), fixture.earnings());
        assertEquals(0, fixture.tokenUnits(fixture.operatorWallet));

        fixture.setHotWalletUnits(HOT_WALLET_UNITS);
        fixture.automine(true);
        HttpResponse<String> retried = fixture.requestPayout("withdraw-2", "4");
        assertEquals(202, retried.statusCode(), retried.body());
        String second = (String) fixture.json(retried.body()).get("id");
        fixture.step();
        fixture.awaitMined(second);
        fixture.chain.mine(1);
        fixture.step();
        assertEquals("paid", fixture.payout(second).get("status"));
        assertEquals(4_000_000, fixture.tokenUnits(fixture.operatorWallet));
        assertEquals(new AccountBalance(EARNINGS_NANO, 4_000_000_000L, 0, 0), fixture.earnings());
    }

    @Test
    void aTransferNotMinedInTimeIsCancelledAndFailsWithTheEarningsBack() throws Exception {
        fixture = PayoutFixture.start("1ms");
        fixture.automine(false);
        String id = (String) fixture.json(fixture.requestPayout("withdraw-1", "3").body()).get("id");
        fixture.step();
        String transfer = fixture.text("select tx_hash from payout_tx where kind = 'transfer' and payout_id = '" + id + "'");

        fixture.step(); // past drop-after and still unmined: the cancel takes its place in the pool
        String cancel = fixture.text("select tx_hash from payout_tx where kind = 'cancel' and payout_id = '" + id + "'");
        assertEquals(1, fixture.pooled());
        assertEquals(fixture.text("select nonce from payout_tx where kind = 'transfer' and payout_id = '" + id + "'"),
            fixture.text("select nonce from payout_tx where kind = 'cancel' and payout_id = '" + id + "'"));
        fixture.chain.mine(2);
        fixture.step();

        Map<?, ?> failed = fixture.payout(id);
        assertEquals("failed", failed.get("status"));
        assertEquals(cancel, failed.get("txHash"));
        assertTrue(((String) failed.get("failure")).startsWith("The transfer was not mined within 1 ms and was "
            + "cancelled"), (String) failed.get("failure"));
        assertEquals(null, fixture.chain.web3j().ethGetTransactionReceipt(transfer).send().getResult());
        assertEquals(0, fixture.tokenUnits(fixture.operatorWallet));
        assertEquals(HOT_WALLET_UNITS, fixture.tokenUnits(fixture.hotAddress));
        assertEquals(new AccountBalance(EARNINGS_NANO, 0, 0, 0), fixture.earnings());
    }

    @Test
    void aWorkerRestartedAfterTheNodeLostTheTransferSendsTheSameBytesAndPaysOnce() throws Exception {
        fixture = PayoutFixture.start("1h");
        fixture.automine(false);
        String id = (String) fixture.json(fixture.requestPayout("withdraw-1", "1.5").body()).get("id");
        fixture.step();
        String transfer = fixture.text("select tx_hash from payout_tx where kind = 'transfer' and payout_id = '" + id + "'");

        fixture.chain.rpc("anvil_dropAllTransactions", List.of());
        assertEquals(0, fixture.pooled());
        fixture.restartGateway();
        fixture.step();
        assertEquals(1, fixture.pooled());
        fixture.chain.mine(2);
        fixture.step();

        Map<?, ?> paid = fixture.payout(id);
        assertEquals("paid", paid.get("status"));
        assertEquals(transfer, paid.get("txHash"));
        assertEquals(1, fixture.count("select count(*) from payout_tx where payout_id = '" + id + "'"));
        assertEquals(1_500_000, fixture.tokenUnits(fixture.operatorWallet));
        assertEquals(new AccountBalance(EARNINGS_NANO, 1_500_000_000L, 0, 0), fixture.earnings());
    }

    @Test
    void racingRequestsHoldNoMoreThanTheEarningsAndOneKeyIsOnePayout() throws Exception {
        fixture = PayoutFixture.start("1h");
        List<Integer> statuses = race(8, i -> fixture.requestPayout("race-" + i, "3"));
        assertEquals(List.of(202, 202, 202, 402, 402, 402, 402, 402), statuses.stream().sorted().toList());
        assertEquals(new AccountBalance(EARNINGS_NANO, 0, 0, 9_000_000_000L), fixture.earnings());

        List<Integer> sameKey = race(8, i -> fixture.requestPayout("once", "1"));
        assertEquals(List.of(200, 200, 200, 200, 200, 200, 200, 202), sameKey.stream().sorted().toList());
        assertEquals(4, fixture.count("select count(*) from payout where operator_id = " + fixture.operatorId));
        assertEquals(new AccountBalance(EARNINGS_NANO, 0, 0, 10_000_000_000L), fixture.earnings());
    }

    /** Runs {@code calls} requests at once and answers their statuses. */
    private static List<Integer> race(int calls, Call call) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                int index = i;
                answers.add(threads.submit(() -> {
                    start.await();
                    return call.send(index).statusCode();
                }));
            }
            start.countDown();
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> answer : answers) {
                statuses.add(answer.get());
            }
            return statuses;
        }
    }

    private interface Call {
        HttpResponse<String> send(int index) throws Exception;
    }

    @Test
    void aRefusedRequestSaysWhyAndHoldsNothing() throws Exception {
        fixture = PayoutFixture.start("1h");

        assertRefused(fixture.requestPayout(null, "2"), 400, "invalid_request",
            "A payout request needs an Idempotency-Key header (1 to 255 visible ASCII characters), so that sending it "
                + "again is recognised and pays once.");
        assertRefused(fixture.requestPayout("k", "0.5"), 400, "invalid_request",
            "The smallest payout is 1 USDC; 0.5 USDC was asked.");
        assertRefused(fixture.requestPayout("k", "1.0000001"), 400, "invalid_request",
            "amountUsdc must be a positive USDC amount with at most 6 decimals, was '1.0000001'.");
        assertRefused(fixture.requestPayout("k", "10.000001"), 402, "insufficient_balance",
            "Operator '" + fixture.operator + "' has 10 USDC of earnings available; this payout needs 10.000001 USDC.");
        String stranger = "0x" + "ab".repeat(20);
        assertRefused(fixture.requestPayoutJson("k", "{\"amountUsdc\":\"2\",\"wallet\":\"" + stranger + "\"}"), 400,
            "invalid_request", "Wallet " + stranger + " is not linked to this account; payouts go only to the "
                + "account's own wallets (link one under /account/wallets).");
        assertRefused(fixture.requestPayoutJson("k", "{\"amountUsdc\":\"2\",\"wallet\":\"" + fixture.operatorWallet
            + "\",\"chainId\":1}"), 400, "invalid_request",
            "Payouts are not made on chain 1; they are made on [31337].");
        assertRefused(fixture.requestPayoutJson("k", "{\"amountUsdc\":\"2\",\"wallet\":\"" + fixture.operatorWallet
            + "\",\"operator\":\"someone-else\"}"), 400, "invalid_request",
            "Operator 'someone-else' is not run by this account.");
        assertEquals(new AccountBalance(EARNINGS_NANO, 0, 0, 0), fixture.earnings());

        // Earnings the chain never received (credited from elsewhere) cannot leave through its treasury.
        long treasuryNano = fixture.asset().debitsPosted() - fixture.asset().creditsPosted() - fixture.asset().creditsPending();
        fixture.gateway.bean(Ledger.class).transfer(TransferIds.of("test-unbacked", fixture.operator),
            Billing.DEV_CREDIT_SOURCE, Billing.providerAccount(fixture.operatorId), treasuryNano, "test_earnings", null);
        HttpResponse<String> unbacked = fixture.requestPayout("k", Usdc.format(treasuryNano + 1_000_000));
        assertEquals(503, unbacked.statusCode(), unbacked.body());
        assertEquals("payouts_unavailable", error(unbacked).get("code"));
        assertEquals("The treasury on chain 31337 has received " + Usdc.format(treasuryNano) + " USDC of deposits not "
            + "yet paid out, less than this payout's " + Usdc.format(treasuryNano + 1_000_000) + " USDC; try another "
            + "chain or a smaller amount.", error(unbacked).get("message"));
        assertEquals(0, fixture.count("select count(*) from payout where operator_id = " + fixture.operatorId));
    }

    @Test
    void withoutAHotWalletPayoutsAreOff() throws Exception {
        try (TestGateway gateway = TestGateway.start()) {
            String session = TestWallet.create().signIn(gateway);
            HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(gateway.baseUrl() + "/operator/payouts"))
                .header("content-type", "application/json").header("cookie", "mercato_session=" + session)
                .header("Idempotency-Key", "k")
                .POST(HttpRequest.BodyPublishers.ofString("{\"amountUsdc\":\"2\",\"wallet\":\"0x" + "ab".repeat(20) + "\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(503, answer.statusCode(), answer.body());
            assertEquals(Map.of("message", "Payouts are off on this marketplace: no chain or no hot wallet is configured.",
                "type", "service_unavailable_error", "param", "null", "code", "payouts_unavailable"),
                stringValues(gateway, answer.body()));
        }
    }

    private void assertRefused(HttpResponse<String> answer, int status, String code, String message) throws Exception {
        assertEquals(status, answer.statusCode(), answer.body());
        Map<?, ?> error = error(answer);
        assertEquals(message, error.get("message"));
        assertEquals(code, error.get("code"));
    }

    private Map<?, ?> error(HttpResponse<String> answer) throws Exception {
        return (Map<?, ?>) fixture.json(answer.body()).get("error");
    }

    private static Map<String, String> stringValues(TestGateway gateway, String body) throws Exception {
        Map<?, ?> error = (Map<?, ?>) gateway.bean(io.micronaut.json.JsonMapper.class).readValue(body, Map.class).get("error");
        Map<String, String> values = new java.util.HashMap<>();
        error.forEach((key, value) -> values.put(String.valueOf(key), String.valueOf(value)));
        return values;
    }
}
