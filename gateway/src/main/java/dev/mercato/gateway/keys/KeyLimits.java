package dev.mercato.gateway.keys;

import dev.mercato.ledger.Usdc;
import io.micronaut.core.annotation.Nullable;

import java.util.Set;

/**
 * Everything that limits what one key may do.
 *
 * @param requestsPerMinute  requests admitted in any 60 seconds
 * @param concurrentRequests requests in flight at once
 * @param tokensPerMinute    tokens (input and output) used in any 60 seconds; null: no limit
 * @param budget             what the key may spend per period; null: up to the account's balance
 * @param allowedModels      the only models it may call; null: every model
 * @param allowedIps         the only addresses it may be used from; null: any
 */
public record KeyLimits(int requestsPerMinute, int concurrentRequests, @Nullable Long tokensPerMinute,
                        @Nullable Budget budget, @Nullable Set<String> allowedModels, @Nullable IpAllowlist allowedIps) {

    public KeyLimits {
        if (requestsPerMinute < 1 || concurrentRequests < 1 || (tokensPerMinute != null && tokensPerMinute < 1)) {
            throw new IllegalArgumentException("limits must be at least 1");
        }
        allowedModels = allowedModels == null ? null : Set.copyOf(allowedModels);
    }

    /** A spending budget: at most {@code amountNano} charged per {@code period}. */
    public record Budget(long amountNano, BudgetPeriod period) {

        public Budget {
            if (amountNano < 1) {
                throw new IllegalArgumentException("a budget must be positive, was " + amountNano + " nano");
            }
        }

        /** As people read it: "$10.00/month", or "$25.00 lifetime". */
        public String describe() {
            String amount = dollars(amountNano);
            return period == BudgetPeriod.LIFETIME ? amount + " lifetime" : amount + "/" + period.wireName();
        }
    }

    /** "$10.00", "$0.50", "$0.000001234": at least cents, and every nano there is. */
    public static String dollars(long nano) {
        String exact = Usdc.format(nano);
        int point = exact.indexOf('.');
        if (point < 0) {
            return "$" + exact + ".00";
        }
        return "$" + (exact.length() - point - 1 == 1 ? exact + "0" : exact);
    }
}
