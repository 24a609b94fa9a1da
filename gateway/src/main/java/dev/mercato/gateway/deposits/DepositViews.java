package dev.mercato.gateway.deposits;


import com.fasterxml.jackson.annotation.JsonInclude;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

import java.time.Instant;
import java.util.List;

/**
 * What the deposit APIs answer. Addresses are in EIP-55 checksum case, hashes lower-case hex,
 * amounts decimal USDC strings; every field is always present, null included, so a dashboard
 * reads one shape.
 */
public final class DepositViews {

    private DepositViews() {
    }

    /** Where to send USDC, per chain, and the wallets whose transfers are credited to this account. */
    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Instructions(List<ChainInstructions> chains, List<String> wallets) {
    }

    /**
     * {@code finality}: when a deposit is credited ("finalized": once the chain finalizes its
     * block; "12 confirmations": once 12 blocks, its own included, are on the chain).
     */
    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record ChainInstructions(long chainId, String name, String token, String tokenAddress, int tokenDecimals,
                                    String treasuryAddress, String finality) {
    }

    /** {@code status}: pending (seen, not final, not credited) or credited. */
    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Deposit(long id, long chainId, String txHash, int logIndex, long blockNumber, String fromAddress,
                          String amountUsdc, String status, long confirmations, Instant seenAt,
                          @Nullable Instant creditedAt) {
    }

    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Deposits(List<Deposit> data) {
    }

    /** A final deposit as the admin sees it; {@code status}: review, assigned (or credited, pending). */
    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record ReviewDeposit(long id, long chainId, String txHash, int logIndex, long blockNumber, String fromAddress,
                                String amountUsdc, String status, @Nullable Long accountId, Instant seenAt,
                                @Nullable Instant creditedAt, @Nullable Instant assignedAt) {
    }

    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record ReviewDeposits(List<ReviewDeposit> data) {
    }

    /**
     * A chain's scan: {@code nextBlock} is the first block not yet scanned as final;
     * {@code lastError} is why the scanner's last pass failed (null when it went through).
     */
    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Chain(long chainId, String name, String finality, @Nullable Long nextBlock,
                        @Nullable Long lastScannedBlock, @Nullable String lastScannedHash, @Nullable Long finalizedBlock,
                        @Nullable Long latestBlock, boolean halted, @Nullable Instant haltedAt,
                        @Nullable String haltReason, @Nullable String lastError, @Nullable Instant updatedAt) {
    }

    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Chains(List<Chain> chains) {
    }
}
