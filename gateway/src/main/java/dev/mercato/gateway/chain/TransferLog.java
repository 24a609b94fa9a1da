package dev.mercato.gateway.chain;

import java.math.BigInteger;

/**
 * A USDC {@code Transfer} to the treasury, as one log of {@code eth_getLogs}. Hashes and the
 * sender are lower-case 0x hex; {@code amountUnits} is in the token's base units (6 decimals).
 */
public record TransferLog(String txHash, int logIndex, long blockNumber, String blockHash, String fromAddress,
                   BigInteger amountUnits) {

    /** What identifies a deposit across re-scans and reorgs: the same transfer keeps it wherever it is mined. */
    public DepositKey key() {
        return new DepositKey(txHash, logIndex);
    }

    public record DepositKey(String txHash, int logIndex) {
    }
}
