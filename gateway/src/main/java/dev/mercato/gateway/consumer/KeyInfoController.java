package dev.mercato.gateway.consumer;

import dev.mercato.gateway.error.WireProtocol;
import dev.mercato.gateway.keys.ApiKey;
import dev.mercato.gateway.keys.KeyService;
import dev.mercato.gateway.keys.KeyView;
import dev.mercato.gateway.limits.Admission;
import dev.mercato.gateway.limits.KeyBudgets;
import dev.mercato.gateway.limits.Limiter;
import dev.mercato.ledger.Usdc;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.json.JsonMapper;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.serde.annotation.Serdeable;
import jakarta.inject.Named;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;

/**
 * {@code GET /v1/key}: the calling key's settings and limits, what it uses of them right now
 * (requests and tokens in the last minute, requests running), and its budget: spent in the
 * period, held by running requests, remaining.
 */
@Controller("/v1/key")
public class KeyInfoController {

    private final ConsumerGate gate;
    private final KeyService keys;
    private final KeyBudgets budgets;
    private final Limiter limiter;
    private final JsonMapper json;
    private final ExecutorService blockingExecutor;

    public KeyInfoController(ConsumerGate gate, KeyService keys, KeyBudgets budgets, Limiter limiter, JsonMapper json,
                             @Named(TaskExecutors.BLOCKING) ExecutorService blockingExecutor) {
        this.gate = gate;
        this.keys = keys;
        this.budgets = budgets;
        this.limiter = limiter;
        this.json = json;
        this.blockingExecutor = blockingExecutor;
    }

    @Get(produces = MediaType.APPLICATION_JSON)
    public CompletableFuture<MutableHttpResponse<?>> key(HttpRequest<?> request) {
        return gate.read(request, WireProtocol.OPENAI, key -> budgets.snapshot(key)
            .thenApplyAsync(budget -> body(key, budget), blockingExecutor)
            .thenApply(body -> HttpResponse.ok(body).contentType(MediaType.APPLICATION_JSON_TYPE)));
    }

    private String body(ApiKey key, KeyBudgets.Snapshot budget) {
        Limiter.Usage usage = limiter.usage(Admission.subject(key));
        BudgetState budgetState = budget == null ? null : new BudgetState(
            Usdc.format(key.limits().budget().amountNano()), key.limits().budget().period().wireName(),
            budget.periodStart().toString(), Usdc.format(budget.spentNano()), Usdc.format(budget.reservedNano()),
            Usdc.format(Math.max(0, key.limits().budget().amountNano() - budget.spentNano() - budget.reservedNano())));
        try {
            return json.writeValueAsString(new KeyInfo("api_key", keys.view(key, null),
                new CurrentUsage(usage.requestsInWindow(), usage.tokensInWindow(), usage.slotsHeld()), budgetState));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Serdeable
    record KeyInfo(String object, KeyView key, CurrentUsage usage, BudgetState budget) {
    }

    /** Use of the key's rate limits now. */
    @Serdeable
    record CurrentUsage(long requestsLastMinute, long tokensLastMinute, int concurrentRequests) {
    }

    @Serdeable
    record BudgetState(String amountUsdc, String period, String periodStart, String spentUsdc, String heldUsdc,
                       String remainingUsdc) {
    }
}
