package dev.mercato.gateway.keys;

import dev.mercato.ledger.Usdc;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

import java.time.Instant;
import java.util.List;

/**
 * A key as its owner sees it: never the secret (except {@code secret} in the answer that
 * created it), its limits in the same fields the key API takes, and what it has spent.
 * Times are RFC 3339; amounts are decimal USDC strings.
 */
@Serdeable
public record KeyView(long id, String name, String prefix, String lastFour, boolean disabled, String createdAt,
                      @Nullable String lastUsedAt, @Nullable String expiresAt, Limits limits, Spend spend,
                      @Nullable String secret) {

    @Serdeable
    public record Limits(int requestsPerMinute, int concurrentRequests, @Nullable Long tokensPerMinute,
                         @Nullable Budget budget, @Nullable List<String> allowedModels, @Nullable List<String> allowedIps) {
    }

    @Serdeable
    public record Budget(String amountUsdc, String period) {
    }

    /** Charged in the budget's current period (or this calendar month, without a budget), and in all. */
    @Serdeable
    public record Spend(String period, String periodStart, String periodUsdc, String lifetimeUsdc) {
    }

    public static KeyView of(ApiKey key, KeyStore.Spend spend, BudgetPeriod period, Instant periodStart,
                             @Nullable String secret) {
        KeyLimits limits = key.limits();
        return new KeyView(key.id(), key.name(), key.prefix(), key.lastFour(), key.disabled(),
            key.createdAt().toString(), spend.lastUsedAt() == null ? null : spend.lastUsedAt().toString(),
            key.expiresAt() == null ? null : key.expiresAt().toString(),
            new Limits(limits.requestsPerMinute(), limits.concurrentRequests(), limits.tokensPerMinute(),
                limits.budget() == null ? null
                    : new Budget(Usdc.format(limits.budget().amountNano()), limits.budget().period().wireName()),
                limits.allowedModels() == null ? null : limits.allowedModels().stream().sorted().toList(),
                limits.allowedIps() == null ? null : limits.allowedIps().entries()),
            new Spend(period.wireName(), periodStart.toString(), Usdc.format(spend.sinceNano()),
                Usdc.format(spend.lifetimeNano())),
            secret);
    }
}
