package dev.mercato.gateway.deposits;


import dev.mercato.gateway.deposits.DepositFixture.Depositor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scanner's own loop against a provider that rate-limits, fails, drops connections, refuses
 * wide block ranges and repeats logs: it backs off, shrinks its ranges, and in the end has
 * credited every deposit exactly once.
 */
@Timeout(180)
class FaultyRpcTest {

    private static final long SEED = 20261204;

    @Test
    void everyDepositIsCreditedExactlyOnceThroughAnUnreliableProvider() throws Exception {
        try (FaultyRpcProxy proxy = FaultyRpcProxy.faulty(SEED, 30, 4);
             DepositFixture fixture = DepositFixture.start(chain -> proxy.forwardTo(chain.rpcUrl()), Map.of(
                 "finality", "confirmations", "confirmations", 3, "max-block-range", 32, "poll-interval", "50ms",
                 "max-attempts", 2))) {
            Depositor alice = fixture.depositor(100_000_000, true);
            Depositor bob = fixture.depositor(100_000_000, true);
            Depositor stranger = fixture.depositor(100_000_000, false);
            long[] aliceUnits = {1_100_000, 2_200_000, 3_300_000};
            long[] bobUnits = {4_400_000, 5_500_000};
            for (int i = 0; i < 3; i++) {
                fixture.deposit(alice, aliceUnits[i]);
                fixture.chain.mine(1 + i * 5);
                if (i < bobUnits.length) {
                    fixture.deposit(bob, bobUnits[i]);
                }
            }
            fixture.deposit(stranger, 660_000);
            fixture.chain.mine(3);
            long expectedAlice = (1_100_000 + 2_200_000 + 3_300_000) * 1_000L;
            long expectedBob = (4_400_000 + 5_500_000) * 1_000L;

            long deadline = System.nanoTime() + 120_000_000_000L;
            while (fixture.balanceNano(alice.accountId()) != expectedAlice
                || fixture.balanceNano(bob.accountId()) != expectedBob
                || fixture.count("select count(*) from deposit where chain_id = 31337 and status = 'review'") != 1) {
                assertTrue(System.nanoTime() < deadline, "not all deposits were credited within 120 s (seed " + SEED + ")");
                Thread.sleep(50);
            }
            // Let more passes go over the same blocks through the same faults.
            int answered = proxy.logRequestsAnswered();
            while (proxy.logRequestsAnswered() < answered + 20) {
                assertTrue(System.nanoTime() < deadline, "the scanner stopped asking for logs");
                Thread.sleep(50);
            }

            assertEquals(expectedAlice, fixture.balanceNano(alice.accountId()));
            assertEquals(expectedBob, fixture.balanceNano(bob.accountId()));
            assertEquals(5, fixture.count("select count(*) from deposit where chain_id = 31337 and status = 'credited'"));
            assertEquals(1, fixture.count("select count(*) from deposit where chain_id = 31337 and status = 'review'"));
            assertEquals(660_000_000, fixture.count(
                "select amount_nano from deposit where chain_id = 31337 and status = 'review'"));
            assertEquals(6, fixture.count("select count(*) from ledger_transfer where code = 'deposit' and user_data in ("
                + "select chain_id || ':' || tx_hash || ':' || log_index from deposit where chain_id = 31337)"));
            String injected = "429s " + proxy.rateLimited() + ", 500s " + proxy.serverErrors() + ", drops "
                + proxy.dropped() + ", ranges refused " + proxy.rangesRefused() + ", logs duplicated "
                + proxy.duplicatedLogs();
            System.out.println("injected through seed " + SEED + ": " + injected);
            assertTrue(proxy.rateLimited() > 0 && proxy.serverErrors() > 0 && proxy.dropped() > 0
                && proxy.rangesRefused() > 0 && proxy.duplicatedLogs() > 0, injected);
        }
    }
}
