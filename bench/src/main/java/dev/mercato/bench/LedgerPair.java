package dev.mercato.bench;

import dev.mercato.ledger.TransferIds;

import java.util.UUID;
import java.util.random.RandomGenerator;

/**
 * One benchmark request's money: a hold on a random consumer, the cost it settles at (never above
 * the hold, as when a request stops short of its output bound) and the operator's share of that cost.
 */
record LedgerPair(UUID holdId, String userKey, long holdNano, long costNano, long shareNano) {

    /** The smallest hold: a short request at cheap prices (0.0001 USDC). */
    static final long MIN_HOLD_NANO = 100_000;
    /** The largest hold: a long request at dear prices (0.01 USDC). */
    static final long MAX_HOLD_NANO = 10_000_000;
    /** The operator's share, in basis points, as the gateway's default price (mercato.pricing.provider-share-bps). */
    static final int PROVIDER_SHARE_BPS = 8_000;
    static final int MAX_SHARE_BPS = 10_000;
    /** Transfer-id namespace of the benchmark's holds; its database is fresh each run, so ids never meet stored ones. */
    static final String HOLD_IDS = "bench-hold";

    static String userKey(int user) {
        return "user:" + user;
    }

    /**
     * Pair number {@code sequence}: a user from 1 to {@code users}, a hold between the two bounds,
     * a cost from 1 nano up to the hold, and the share of it rounded down as the gateway rounds it.
     */
    static LedgerPair random(long sequence, int users, RandomGenerator random) {
        long holdNano = random.nextLong(MIN_HOLD_NANO, MAX_HOLD_NANO + 1);
        long costNano = random.nextLong(1, holdNano + 1);
        return new LedgerPair(TransferIds.of(HOLD_IDS, Long.toString(sequence)), userKey(1 + random.nextInt(users)),
            holdNano, costNano, costNano * PROVIDER_SHARE_BPS / MAX_SHARE_BPS);
    }
}
