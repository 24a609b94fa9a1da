package dev.mercato.gateway.payouts;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.mercato.ledger.Usdc;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

import java.time.Instant;
import java.util.List;

/** What the payout API answers. Amounts are decimal USDC strings; every field is present, null when it has no value. */
final class PayoutViews {

    private PayoutViews() {
    }

    /**
     * One payout. {@code status}: requested, sent, paid or failed; {@code waitingFor} says why a
     * requested payout has not been sent yet; {@code failure} why a failed one failed (its amount is
     * back in the earnings); {@code txHash} is the transaction that paid it (or that decided its failure).
     */
    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    record Payout(String id, String operator, long chainId, String wallet, String amountUsdc, String status,
                  @Nullable String waitingFor, @Nullable String failure, @Nullable String txHash,
                  @Nullable Long blockNumber, Instant requestedAt, @Nullable Instant sentAt,
                  @Nullable Instant resolvedAt) {

        static Payout of(PayoutStore.PayoutRow row) {
            return new Payout(row.id().toString(), row.operatorName(), row.chainId(), row.toAddress(),
                Usdc.format(row.amountNano()), row.status(), row.waitingFor(), row.failure(),
                row.txHash(), row.blockNumber(), row.requestedAt(), row.sentAt(), row.resolvedAt());
        }
    }

    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    record Payouts(List<Payout> payouts) {
    }

    /** A withdrawal request: the amount, the wallet (linked to the account) and, when there is a choice, the operator and chain. */
    @Serdeable
    record Request(@Nullable String amountUsdc, @Nullable String wallet, @Nullable String operator,
                   @Nullable Long chainId) {
    }
}
