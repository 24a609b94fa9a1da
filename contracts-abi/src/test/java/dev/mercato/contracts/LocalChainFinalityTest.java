package dev.mercato.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/**
 * What anvil's {@code safe} and {@code finalized} tags name: the deposit scanner credits only up
 * to {@code finalized}, so tests need to know exactly how far it trails the head.
 */
class LocalChainFinalityTest {

    @Test
    void withTheDefault32SlotsFinalizedTrailsTheHeadBy64Blocks() {
        try (LocalChain chain = LocalChain.start()) {
            assertEquals(0, chain.blockNumber());
            assertEquals(0, chain.safeBlockNumber());
            assertEquals(0, chain.finalizedBlockNumber());

            chain.mine(40);
            assertEquals(40, chain.blockNumber());
            assertEquals(8, chain.safeBlockNumber());
            assertEquals(0, chain.finalizedBlockNumber());

            chain.mine(70);
            assertEquals(110, chain.blockNumber());
            assertEquals(78, chain.safeBlockNumber());
            assertEquals(46, chain.finalizedBlockNumber());
        }
    }

    @Test
    void withOneSlotPerEpochFinalizedTrailsTheHeadByTwoBlocks() {
        try (LocalChain chain = LocalChain.builder().slotsInAnEpoch(1).start()) {
            assertEquals(0, chain.finalizedBlockNumber());

            chain.mine(1);
            assertEquals(0, chain.safeBlockNumber());
            assertEquals(0, chain.finalizedBlockNumber());

            chain.mine(1);
            assertEquals(1, chain.safeBlockNumber());
            assertEquals(0, chain.finalizedBlockNumber());

            for (int i = 0; i < 5; i++) {
                chain.mine(1);
                long head = chain.blockNumber();
                assertEquals(head - 1, chain.safeBlockNumber());
                assertEquals(head - 2, chain.finalizedBlockNumber());
            }
            assertEquals(7, chain.blockNumber());
        }
    }

    @Test
    void aTransactionsBlockIsFinalizedOnlyOnceTwoEpochsHaveBeenMinedOnTopOfIt() throws Exception {
        try (LocalChain chain = LocalChain.builder().slotsInAnEpoch(3).start()) {
            MercatoTestUsd token = chain.deployTestUsd(chain.account(0));
            long mintBlock = token.mint(chain.account(1).getAddress(), BigInteger.TEN).send()
                    .getBlockNumber().longValueExact();

            chain.mine(5);
            assertEquals(mintBlock - 1, chain.finalizedBlockNumber());
            chain.mine(1);
            assertEquals(mintBlock, chain.finalizedBlockNumber());
        }
    }
}
