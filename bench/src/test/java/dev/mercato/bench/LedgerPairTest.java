package dev.mercato.bench;

import dev.mercato.ledger.TransferIds;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LedgerPairTest {

    @Test
    void settlesTheDrawnCostAndGivesTheOperatorEightyPercentRoundedDown() {
        LedgerPair pair = LedgerPair.random(7, 2_000, new FixedDraws(1_000_003, 999, 41));

        assertEquals(new LedgerPair(TransferIds.of("bench-hold", "7"), "user:42", 1_000_003, 999, 799), pair);
    }

    @Test
    void keepsEveryPairWithinItsBounds() {
        SplittableRandom random = new SplittableRandom(20261122);
        for (long sequence = 0; sequence < 10_000; sequence++) {
            LedgerPair pair = LedgerPair.random(sequence, 3, random);

            assertTrue(pair.holdNano() >= 100_000 && pair.holdNano() <= 10_000_000, pair::toString);
            assertTrue(pair.costNano() >= 1 && pair.costNano() <= pair.holdNano(), pair::toString);
            assertEquals(pair.costNano() * 8_000 / 10_000, pair.shareNano(), pair::toString);
            assertTrue(pair.userKey().equals("user:1") || pair.userKey().equals("user:2") || pair.userKey().equals("user:3"),
                pair::toString);
        }
    }

    @Test
    void namesEachPairsHoldAfterItsSequenceNumber() {
        SplittableRandom random = new SplittableRandom(1);

        assertEquals(TransferIds.of("bench-hold", "12345"), LedgerPair.random(12_345, 10, random).holdId());
    }

    /** Returns the hold, then the cost, then the user index it is given, in the order LedgerPair draws them. */
    private record FixedDraws(long holdNano, long costNano, int userIndex) implements RandomGenerator {

        @Override
        public long nextLong(long origin, long bound) {
            long value = origin == 1 ? costNano : holdNano;
            assertTrue(value >= origin && value < bound, () -> value + " is outside [" + origin + ", " + bound + ")");
            return value;
        }

        @Override
        public int nextInt(int bound) {
            return userIndex;
        }

        @Override
        public long nextLong() {
            throw new UnsupportedOperationException("LedgerPair draws only bounded values");
        }
    }
}
