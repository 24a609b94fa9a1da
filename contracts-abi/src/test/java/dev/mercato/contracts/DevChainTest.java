package dev.mercato.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

@Timeout(value = 2, unit = TimeUnit.MINUTES)
class DevChainTest {

    private static final String DEMO_WALLET = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
    private static final String TREASURY = "0xa0ee7a142d267c1f36714e4a8f75612f20a79720";

    @Test
    void theChainItsTokenAndADepositOutliveARestart(@TempDir Path stateDir) throws Exception {
        String token;
        String depositBlockHash;
        long depositBlock;
        try (LocalChain chain = DevChain.open(stateDir, 0)) {
            Map<String, String> env = DevChain.readEnv(stateDir);
            token = env.get("CHAIN_USDC");
            assertEquals("31337", env.get("CHAIN_ID"));
            assertEquals(chain.rpcUrl(), env.get("CHAIN_RPC_URL"));
            assertEquals(TREASURY, env.get("CHAIN_TREASURY"));
            assertEquals(DEMO_WALLET, env.get("CHAIN_DEMO_WALLET"));
            MercatoTestUsd usd = chain.testUsd(token, chain.account(0));
            assertEquals(BigInteger.valueOf(1_000_000_000L), usd.balanceOf(DEMO_WALLET).send());

            TransactionReceipt receipt = DevChain.sendDeposit(env, new BigDecimal("2.500001"));

            assertTrue(receipt.isStatusOK());
            depositBlock = receipt.getBlockNumber().longValueExact();
            depositBlockHash = receipt.getBlockHash();
            assertEquals(BigInteger.valueOf(2_500_001L), usd.balanceOf(TREASURY).send());
        }

        try (LocalChain chain = DevChain.open(stateDir, 0)) {
            Map<String, String> env = DevChain.readEnv(stateDir);
            // Not deployed again: the kept chain still has the token, the balances and the block.
            assertEquals(token, env.get("CHAIN_USDC"));
            assertEquals(chain.rpcUrl(), env.get("CHAIN_RPC_URL"));
            MercatoTestUsd usd = chain.testUsd(token, chain.account(0));
            assertEquals(BigInteger.valueOf(2_500_001L), usd.balanceOf(TREASURY).send());
            assertEquals(BigInteger.valueOf(997_499_999L), usd.balanceOf(DEMO_WALLET).send());
            assertEquals(depositBlockHash, chain.web3j()
                    .ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(depositBlock)), false)
                    .send().getBlock().getHash());
            assertEquals(1, Chains.transfersTo(chain, token, TREASURY).size());
        }
    }

    @Test
    void depositAmountsBecomeExactTokenUnits() {
        assertEquals(BigInteger.valueOf(1), DevChain.units(new BigDecimal("0.000001")));
        assertEquals(BigInteger.valueOf(5_000_000), DevChain.units(new BigDecimal("5")));
        assertEquals(BigInteger.valueOf(1_000_000_000), DevChain.units(new BigDecimal("1000.000000")));
    }
}
