package dev.mercato.ledger;

/**
 * The outcome of settling a hold, in nano-USDC: what was posted from the hold, the part of the
 * cost the hold did not cover, and how the posted amount was split (share + fee = posted).
 */
public record Settlement(long postedNano, long overageNano, long shareNano, long feeNano) {
}
