package dev.mercato.gateway.deposits;


import dev.mercato.contracts.LocalChain;
import dev.mercato.gateway.TestGateway;
import dev.mercato.gateway.deposits.DepositFixture.Depositor;
import dev.mercato.ledger.AccountBalance;
import dev.mercato.ledger.LedgerFailure;
import io.micronaut.data.connection.jdbc.advice.DelegatingDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.web3j.crypto.Keys;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

import javax.sql.DataSource;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scanner against a real anvil chain and a real PostgreSQL: a deposit is credited once it
 * is final and only then, exactly once whatever is repeated, never when a reorg drops it, and a
 * transfer from an unknown address waits for an admin.
 */
@Timeout(180)
class DepositScannerTest {

    private static final long NANO_PER_UNIT = 1_000;

    private DepositFixture fixture;

    @AfterEach
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void aDepositIsCreditedOnceItsBlockIsFinalizedAndOnlyThenWithTheExactAmount() throws Exception {
        fixture = DepositFixture.start();
        Depositor alice = fixture.depositor(50_000_000, true);
        AccountBalance assetBefore = fixture.ledgerBalance("asset:usdc:31337");
        TransactionReceipt receipt = fixture.deposit(alice, 12_345_678);
        long block = receipt.getBlockNumber().longValueExact();

        fixture.scan();
        assertEquals(0, fixture.balanceNano(alice.accountId()));
        assertEquals(List.of(Map.of("status", "pending", "confirmations", 1, "amountUsdc", "12.345678")),
            brief(alice));

        fixture.chain.mine(DepositFixture.FINALITY_DEPTH - 1); // finalized is now the block below the deposit's
        fixture.scan();
        assertEquals(block - 1, fixture.chain.finalizedBlockNumber());
        assertEquals(0, fixture.balanceNano(alice.accountId()));
        assertEquals(List.of(Map.of("status", "pending", "confirmations", 64, "amountUsdc", "12.345678")),
            brief(alice));

        fixture.chain.mine(1);
        fixture.scan();
        assertEquals(12_345_678 * NANO_PER_UNIT, fixture.balanceNano(alice.accountId()));
        assertEquals(List.of(Map.of("status", "credited", "confirmations", 65, "amountUsdc", "12.345678")),
            brief(alice));
        assertEquals(assetBefore.debitsPosted() + 12_345_678_000L,
            fixture.ledgerBalance("asset:usdc:31337").debitsPosted());

        fixture.chain.mine(3);
        fixture.scan();
        fixture.scan();
        assertEquals(12_345_678 * NANO_PER_UNIT, fixture.balanceNano(alice.accountId()));
        assertEquals(1, fixture.count("select count(*) from ledger_transfer where user_data = '31337:"
            + receipt.getTransactionHash() + ":" + receipt.getLogs().getFirst().getLogIndex() + "'"));
    }

    @Test
    void aScannerStoppedMidRangeARescanAndARestartNeverCreditTwice() throws Exception {
        fixture = DepositFixture.start();
        Depositor alice = fixture.depositor(100_000_000, true);
        Depositor bob = fixture.depositor(100_000_000, true);
        fixture.deposit(alice, 1_000_001);
        fixture.deposit(bob, 2_000_002);
        TransactionReceipt third = fixture.deposit(alice, 3_000_003);
        fixture.finalizeAll();
        // The third deposit's row fails to go in: the pass dies in the middle of its range's transaction.
        TestGateway.execute("""
            create or replace function simulated_crash() returns trigger language plpgsql as $$
            begin raise exception 'simulated crash while writing deposits'; end $$""", """
            create trigger simulated_crash before insert on deposit for each row
            when (new.tx_hash = '%s') execute function simulated_crash()""".formatted(third.getTransactionHash()));
        try {
            fixture.restartGateway();
            LedgerFailure crash = assertThrows(LedgerFailure.class, fixture::scan);
            assertTrue(crash.getMessage().contains("simulated crash"), crash.getMessage());
            assertEquals(0, fixture.balanceNano(alice.accountId()));
            assertEquals(0, fixture.balanceNano(bob.accountId()));
            assertEquals(0, fixture.count("select count(*) from deposit where chain_id = 31337 and status <> 'pending'"));
        } finally {
            TestGateway.execute("drop trigger simulated_crash on deposit",
                "drop function simulated_crash()");
        }

        fixture.restartGateway();
        fixture.scan();
        assertEquals(4_000_004 * NANO_PER_UNIT, fixture.balanceNano(alice.accountId()));
        assertEquals(2_000_002 * NANO_PER_UNIT, fixture.balanceNano(bob.accountId()));

        // Scanning every block again, through the admin's rewind, and after another restart.
        HttpResponse<String> resumed = fixture.call("POST", "/admin/chains/31337/resume", null, "{\"fromBlock\":0}");
        assertEquals(200, resumed.statusCode(), resumed.body());
        fixture.scan();
        fixture.restartGateway();
        fixture.scan();
        assertEquals(4_000_004 * NANO_PER_UNIT, fixture.balanceNano(alice.accountId()));
        assertEquals(2_000_002 * NANO_PER_UNIT, fixture.balanceNano(bob.accountId()));
        assertEquals(3, fixture.count("select count(*) from deposit where chain_id = 31337 and status = 'credited'"));
        assertEquals(3, fixture.count("select count(*) from ledger_transfer where code = 'deposit' and user_data in ("
            + "select chain_id || ':' || tx_hash || ':' || log_index from deposit where chain_id = 31337)"));
    }

    @Test
    void duplicateLogsFromTheProviderAreOneDeposit() throws Exception {
        try (FaultyRpcProxy proxy = FaultyRpcProxy.duplicatingEveryLog()) {
            fixture = DepositFixture.start(chain -> proxy.forwardTo(chain.rpcUrl()), Map.of());
            Depositor alice = fixture.depositor(10_000_000, true);
            fixture.deposit(alice, 4_200_000);
            fixture.deposit(alice, 800_000);

            fixture.scan();
            assertEquals(2, brief(alice).size());
            fixture.finalizeAll();
            fixture.scan();
            fixture.scan();

            assertEquals(5_000_000 * NANO_PER_UNIT, fixture.balanceNano(alice.accountId()));
            assertEquals(List.of(Map.of("status", "credited", "confirmations", 65, "amountUsdc", "0.8"),
                Map.of("status", "credited", "confirmations", 66, "amountUsdc", "4.2")), brief(alice));
            assertTrue(proxy.duplicatedLogs() >= 4, "logs duplicated: " + proxy.duplicatedLogs());
        }
    }

    @Test
    void aReorgThatDropsADepositBeforeItIsFinalMeansItIsNeverCredited() throws Exception {
        fixture = DepositFixture.start();
        Depositor alice = fixture.depositor(10_000_000, true);
        fixture.deposit(alice, 9_000_000);
        fixture.chain.mine(2);
        fixture.scan();
        assertEquals(List.of(Map.of("status", "pending", "confirmations", 3, "amountUsdc", "9")), brief(alice));

        fixture.chain.reorg(3); // the deposit's block and the two after it are replaced, without it

        fixture.scan();
        assertEquals(List.of(), brief(alice));
        fixture.finalizeAll();
        fixture.scan();
        assertEquals(0, fixture.balanceNano(alice.accountId()));
        assertEquals(List.of(), brief(alice));
        assertEquals(0, fixture.count("select count(*) from deposit where chain_id = 31337"));
    }

    @Test
    void aDepositReIncludedInAnotherBlockIsCreditedOnceAtItsNewBlock() throws Exception {
        fixture = DepositFixture.start();
        Depositor alice = fixture.depositor(10_000_000, true);
        String signed = fixture.signedDeposit(alice, 6_500_000, 0);
        String txHash = fixture.sendRaw(signed);
        long firstBlock = fixture.receipt(txHash).getBlockNumber().longValueExact();
        fixture.chain.mine(2);
        fixture.scan();
        assertEquals(firstBlock, ((Number) deposits(alice).getFirst().get("blockNumber")).longValue());

        fixture.chain.reorg(3, List.of(new LocalChain.ReorgTransaction(signed, 1)));

        fixture.scan();
        assertEquals(firstBlock + 1, ((Number) deposits(alice).getFirst().get("blockNumber")).longValue());
        fixture.finalizeAll();
        fixture.scan();
        fixture.scan();
        assertEquals(6_500_000 * NANO_PER_UNIT, fixture.balanceNano(alice.accountId()));
        List<Map<?, ?>> deposits = deposits(alice);
        assertEquals(1, deposits.size());
        assertEquals(txHash, deposits.getFirst().get("txHash"));
        assertEquals(firstBlock + 1, ((Number) deposits.getFirst().get("blockNumber")).longValue());
        assertEquals("credited", deposits.getFirst().get("status"));
        assertEquals(1, fixture.count("select count(*) from ledger_transfer where user_data like '31337:" + txHash + ":%'"));
    }

    @Test
    void aTransferFromAnUnregisteredAddressWaitsForReviewAndItsAssignmentCreditsOnce() throws Exception {
        fixture = DepositFixture.start();
        Depositor stranger = fixture.depositor(10_000_000, false);
        Depositor owner = fixture.depositor(0, true);
        Depositor other = fixture.depositor(0, true);
        AccountBalance unassignedBefore = fixture.ledgerBalance(DepositScanner.UNASSIGNED_ACCOUNT);
        TransactionReceipt receipt = fixture.deposit(stranger, 7_000_000);
        fixture.finalizeAll();
        fixture.scan();

        assertEquals(unassignedBefore.creditsPosted() + 7_000_000_000L,
            fixture.ledgerBalance(DepositScanner.UNASSIGNED_ACCOUNT).creditsPosted());
        Map<?, ?> queued = review(receipt.getTransactionHash());
        long depositId = ((Number) queued.get("id")).longValue();
        assertEquals("review", queued.get("status"));
        assertEquals("7", queued.get("amountUsdc"));
        assertEquals(Keys.toChecksumAddress(stranger.address()), queued.get("fromAddress"));
        assertEquals(receipt.getBlockNumber().longValueExact(), ((Number) queued.get("blockNumber")).longValue());
        assertTrue(queued.containsKey("accountId") && queued.get("accountId") == null);

        HttpResponse<String> assigned = assign(depositId, owner.accountId());
        assertEquals(200, assigned.statusCode(), assigned.body());
        Map<?, ?> answer = fixture.json(assigned.body());
        assertEquals("assigned", answer.get("status"));
        assertEquals(owner.accountId(), ((Number) answer.get("accountId")).longValue());
        assertEquals(7_000_000_000L, fixture.balanceNano(owner.accountId()));

        HttpResponse<String> again = assign(depositId, owner.accountId());
        assertEquals(200, again.statusCode(), again.body());
        assertEquals(answer, fixture.json(again.body()));
        HttpResponse<String> elsewhere = assign(depositId, other.accountId());
        assertEquals(409, elsewhere.statusCode(), elsewhere.body());
        Map<?, ?> error = (Map<?, ?>) fixture.json(elsewhere.body()).get("error");
        assertEquals("deposit_already_assigned", error.get("code"));
        assertEquals("Deposit " + depositId + " was assigned to account " + owner.accountId() + " at "
            + answer.get("assignedAt") + "; it cannot be assigned to account " + other.accountId() + ".", error.get("message"));

        fixture.scan(); // a later pass leaves the assignment alone
        assertEquals(7_000_000_000L, fixture.balanceNano(owner.accountId()));
        assertEquals(0, fixture.balanceNano(other.accountId()));
        assertEquals(unassignedBefore.availableNano(),
            fixture.ledgerBalance(DepositScanner.UNASSIGNED_ACCOUNT).availableNano());
        assertEquals(List.of(Map.of("status", "credited", "confirmations", 65, "amountUsdc", "7")), brief(owner));
        assertEquals(null, reviewOrNull(receipt.getTransactionHash()));
    }

    @Test
    void aTransferFromAWalletUnlinkedFromItsAccountWaitsForReviewInsteadOfCreditingIt() throws Exception {
        fixture = DepositFixture.start();
        Depositor former = fixture.depositor(3_000_000, true);
        // The state an unlink through DELETE /account/wallets leaves (WalletLinkTest covers the API).
        TestGateway.execute("update wallet set unlinked_at = now() where address = '" + former.address() + "'");
        TransactionReceipt receipt = fixture.deposit(former, 3_000_000);
        fixture.finalizeAll();

        fixture.scan();

        assertEquals(0, fixture.balanceNano(former.accountId()));
        Map<?, ?> queued = review(receipt.getTransactionHash());
        assertEquals("review", queued.get("status"));
        assertEquals("3", queued.get("amountUsdc"));
        assertTrue(queued.containsKey("accountId") && queued.get("accountId") == null);
    }

    @Test
    void aUsdcAddressThatIsNoSixDecimalTokenIsRefusedBeforeAnythingIsScanned() throws Exception {
        // Anvil's dev account 0: an address with no contract, so decimals() answers nothing.
        String notAToken = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
        fixture = DepositFixture.start(LocalChain::rpcUrl, Map.of("usdc-address", notAToken));
        Depositor alice = fixture.depositor(2_000_000, true);
        fixture.deposit(alice, 2_000_000);
        fixture.finalizeAll();

        IllegalStateException refused = assertThrows(IllegalStateException.class, fixture::scan);

        assertEquals("the token " + notAToken + " on chain 31337 has no readable decimals, not 6", refused.getMessage());
        assertEquals(0, fixture.balanceNano(alice.accountId()));
        assertEquals(0, fixture.count("select count(*) from deposit where chain_id = 31337"));
    }

    private HttpResponse<String> assign(long depositId, long accountId) throws Exception {
        return fixture.call("POST", "/admin/deposits/review/" + depositId + "/assign", null,
            "{\"accountId\":" + accountId + "}");
    }

    private Map<?, ?> review(String txHash) throws Exception {
        Map<?, ?> found = reviewOrNull(txHash);
        if (found == null) {
            throw new AssertionError("no deposit " + txHash + " in review");
        }
        return found;
    }

    private Map<?, ?> reviewOrNull(String txHash) throws Exception {
        HttpResponse<String> review = fixture.call("GET", "/admin/deposits/review?limit=500", null, null);
        assertEquals(200, review.statusCode(), review.body());
        for (Object entry : (List<?>) fixture.json(review.body()).get("data")) {
            if (txHash.equals(((Map<?, ?>) entry).get("txHash"))) {
                return (Map<?, ?>) entry;
            }
        }
        return null;
    }

    private List<Map<?, ?>> deposits(Depositor depositor) throws Exception {
        HttpResponse<String> list = fixture.call("GET", "/account/deposits", depositor.session(), null);
        assertEquals(200, list.statusCode(), list.body());
        return ((List<?>) fixture.json(list.body()).get("data")).stream().<Map<?, ?>>map(entry -> (Map<?, ?>) entry).toList();
    }

    /** Each of the account's deposits as status, confirmations and amount, newest first. */
    @Test
    void oneGatewayScansAChainAtATime() throws Exception {
        fixture = DepositFixture.start();
        Depositor alice = fixture.depositor(10_000_000, true);
        fixture.deposit(alice, 3_000_000);
        fixture.finalizeAll();
        DataSource database = DelegatingDataSource.unwrapDataSource(fixture.gateway.bean(DataSource.class));
        try (Connection otherGateway = database.getConnection()) {
            otherGateway.setAutoCommit(false);
            try (Statement lock = otherGateway.createStatement()) {
                lock.execute("select pg_advisory_xact_lock(" + 0x6d646570 + ", " + Long.hashCode(31337L) + ")");
            }
            fixture.scanner().wake();
            Thread.sleep(1_000); // the pass finds the lock taken and scans nothing
            assertEquals(0, fixture.balanceNano(alice.accountId()));
            otherGateway.rollback();
        }
        fixture.scanner().wake();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (fixture.balanceNano(alice.accountId()) == 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(3_000_000 * NANO_PER_UNIT, fixture.balanceNano(alice.accountId()));
    }

    private List<Map<String, Object>> brief(Depositor depositor) throws Exception {
        return deposits(depositor).stream().map(deposit -> Map.<String, Object>of("status", deposit.get("status"),
            "confirmations", ((Number) deposit.get("confirmations")).intValue(), "amountUsdc", deposit.get("amountUsdc")))
            .toList();
    }
}
