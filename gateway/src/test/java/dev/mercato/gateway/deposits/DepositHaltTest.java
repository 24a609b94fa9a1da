package dev.mercato.gateway.deposits;


import dev.mercato.gateway.deposits.DepositFixture.Depositor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.web3j.protocol.core.DefaultBlockParameter;

import java.math.BigInteger;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A reorg below finality halts crediting on the chain until an admin resumes it; the re-scan credits nothing twice. */
@Timeout(180)
class DepositHaltTest {

    @Test
    void aReorgBelowFinalityHaltsTheChainUntilAnAdminResumesIt() throws Exception {
        try (DepositFixture fixture = DepositFixture.start()) {
            Depositor alice = fixture.depositor(100_000_000, true);
            long firstBlock = fixture.deposit(alice, 2_000_000).getBlockNumber().longValueExact();
            fixture.chain.mine(100);
            fixture.scan();
            assertEquals(2_000_000_000L, fixture.balanceNano(alice.accountId()));
            long assetDebitsBefore = fixture.ledgerBalance("asset:usdc:31337").debitsPosted();
            Map<?, ?> scanned = chain(fixture);
            long lastScanned = ((Number) scanned.get("lastScannedBlock")).longValue();
            assertEquals(firstBlock + 100 - DepositFixture.FINALITY_DEPTH, lastScanned);

            fixture.chain.reorg(70); // replaces blocks the chain had already finalized, the last scanned one among them
            String hashNow = fixture.chain.web3j().ethGetBlockByNumber(
                DefaultBlockParameter.valueOf(BigInteger.valueOf(lastScanned)), false).send().getBlock().getHash();
            assertNotEquals(scanned.get("lastScannedHash"), hashNow);
            fixture.deposit(alice, 3_000_000);
            fixture.finalizeAll();
            fixture.scan();

            Map<?, ?> halted = chain(fixture);
            assertEquals(true, halted.get("halted"));
            assertEquals("block " + lastScanned + " was scanned with hash " + scanned.get("lastScannedHash")
                + " and now has hash " + hashNow + ": a reorg below finality, or an RPC URL serving another chain",
                halted.get("haltReason"));
            assertEquals(lastScanned + 1, ((Number) halted.get("nextBlock")).longValue());
            fixture.scan();
            assertEquals(2_000_000_000L, fixture.balanceNano(alice.accountId()), "nothing is credited while halted");
            assertEquals(List.of("credited"), statuses(fixture, alice), "a halted chain is not read at all");

            HttpResponse<String> beyond = fixture.call("POST", "/admin/chains/31337/resume", null,
                "{\"fromBlock\":" + (lastScanned + 2) + "}");
            assertEquals(400, beyond.statusCode(), beyond.body());
            assertEquals("fromBlock must be 0 to the chain's next block " + (lastScanned + 1) + " (a resume never skips a "
                + "block), was " + (lastScanned + 2) + ".", ((Map<?, ?>) fixture.json(beyond.body()).get("error")).get("message"));

            HttpResponse<String> resumed = fixture.call("POST", "/admin/chains/31337/resume", null,
                "{\"fromBlock\":" + firstBlock + "}");
            assertEquals(200, resumed.statusCode(), resumed.body());
            Map<?, ?> answer = fixture.json(resumed.body());
            assertEquals(false, answer.get("halted"));
            assertNull(answer.get("haltReason"));
            assertEquals(firstBlock, ((Number) answer.get("nextBlock")).longValue());
            assertNull(answer.get("lastScannedBlock"));
            fixture.scan();

            assertEquals(5_000_000_000L, fixture.balanceNano(alice.accountId()));
            assertEquals(assetDebitsBefore + 3_000_000_000L, fixture.ledgerBalance("asset:usdc:31337").debitsPosted());
            assertEquals(List.of("credited", "credited"), statuses(fixture, alice));
            Map<?, ?> after = chain(fixture);
            assertEquals(false, after.get("halted"));
            assertEquals(fixture.chain.finalizedBlockNumber(), ((Number) after.get("lastScannedBlock")).longValue());
        }
    }

    private static Map<?, ?> chain(DepositFixture fixture) throws Exception {
        HttpResponse<String> chains = fixture.call("GET", "/admin/chains", null, null);
        assertEquals(200, chains.statusCode(), chains.body());
        return (Map<?, ?>) ((List<?>) fixture.json(chains.body()).get("chains")).getFirst();
    }

    private static List<String> statuses(DepositFixture fixture, Depositor depositor) throws Exception {
        HttpResponse<String> list = fixture.call("GET", "/account/deposits", depositor.session(), null);
        return ((List<?>) fixture.json(list.body()).get("data")).stream()
            .map(deposit -> (String) ((Map<?, ?>) deposit).get("status")).toList();
    }
}
