package dev.mercato.gateway.limits;

import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.error.ErrorCode;
import dev.mercato.gateway.keys.ApiKey;
import dev.mercato.gateway.keys.KeyLimits;
import jakarta.inject.Singleton;

import java.util.concurrent.CompletableFuture;

/**
 * The per-key limits of the request path, after the key itself was accepted (present, enabled,
 * not expired, from an allowed address): model whitelist, then budget, requests per minute,
 * tokens per minute and concurrency, in that order. The first refusal wins; what an earlier
 * step took is given back, so a refused request holds no slot and no budget.
 */
@Singleton
public final class Admission {

    private final Limiter limiter;
    private final KeyBudgets budgets;

    public Admission(Limiter limiter, KeyBudgets budgets) {
        this.limiter = limiter;
        this.budgets = budgets;
    }

    public static String subject(ApiKey key) {
        return "key:" + key.id();
    }

    /** The model whitelist. @throws ApiError.Exception {@code model_not_allowed} */
    public void checkModel(ApiKey key, String model) {
        if (!mayUse(key, model)) {
            throw new ApiError.Exception(new ApiError(ErrorCode.MODEL_NOT_ALLOWED, "This API key (" + key.redacted()
                + ") may not call the model '" + model + "'; it may call: "
                + String.join(", ", key.limits().allowedModels().stream().sorted().toList()) + ".", "model", null));
        }
    }

    public static boolean mayUse(ApiKey key, String model) {
        return key.limits().allowedModels() == null || key.limits().allowedModels().contains(model);
    }

    /**
     * Budget, requests per minute, tokens per minute, concurrency. Completes with the admitted
     * request, which must be {@linkplain Admitted#ended ended} and {@linkplain Admitted#charged
     * charged} however it goes; or exceptionally with the refusal.
     */
    public CompletableFuture<Admitted> admit(ApiKey key, long maxCostNano) {
        return budgets.reserve(key, maxCostNano).thenApply(budget -> {
            try {
                return new Admitted(subject(key), limiter, budget, limit(key));
            } catch (RuntimeException refused) {
                budget.charged(0);
                throw refused;
            }
        });
    }

    /** Counts a request of a route that reaches no node (models, balance, usage, key) against requests per minute. */
    public void countRead(ApiKey key) {
        checkRequests(key);
    }

    /** Requests per minute, tokens per minute, then a concurrent slot. */
    private Limiter.Slot limit(ApiKey key) {
        String subject = subject(key);
        KeyLimits limits = key.limits();
        checkRequests(key);
        if (limits.tokensPerMinute() != null) {
            WindowDecision tokens = limiter.checkTokens(subject, limits.tokensPerMinute());
            if (!tokens.admitted()) {
                throw new ApiError.Exception(ApiError.of(ErrorCode.TPM_LIMIT_EXCEEDED, "Tokens per minute limit ("
                    + limits.tokensPerMinute() + ") exceeded; retry in " + tokens.retryAfterSeconds() + " s.")
                    .withRetryAfter(tokens.retryAfterSeconds()));
            }
        }
        Limiter.Slot slot = limiter.tryAcquireSlot(subject, limits.concurrentRequests());
        if (slot == null) {
            throw new ApiError.Exception(ApiError.of(ErrorCode.CONCURRENCY_LIMIT_EXCEEDED, "Concurrent requests limit ("
                + limits.concurrentRequests() + ") exceeded; retry when one of this key's requests has finished.")
                .withRetryAfter(1));
        }
        return slot;
    }

    private void checkRequests(ApiKey key) {
        long limit = key.limits().requestsPerMinute();
        WindowDecision requests = limiter.tryRequest(subject(key), limit);
        if (!requests.admitted()) {
            throw new ApiError.Exception(ApiError.of(ErrorCode.RPM_LIMIT_EXCEEDED, "Requests per minute limit (" + limit
                + ") exceeded; retry in " + requests.retryAfterSeconds() + " s.").withRetryAfter(requests.retryAfterSeconds()));
        }
    }
}
