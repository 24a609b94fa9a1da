package dev.mercato.gateway.consumer;

import dev.mercato.gateway.billing.Billing;
import dev.mercato.gateway.error.WireProtocol;
import dev.mercato.ledger.AccountBalance;
import dev.mercato.ledger.Ledger;
import dev.mercato.ledger.Usdc;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.scheduling.TaskExecutors;
import jakarta.inject.Named;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;

/**
 * {@code GET /v1/balance}: what the calling key's account can spend, and what running requests
 * hold. What this gateway's lease keeps for the account's next requests is still the consumer's
 * to spend, so it counts as available, not held.
 */
@Controller("/v1/balance")
public class BalanceController {

    private final ConsumerGate gate;
    private final Ledger ledger;
    private final Billing billing;
    private final ExecutorService blockingExecutor;

    public BalanceController(ConsumerGate gate, Ledger ledger, Billing billing,
                             @Named(TaskExecutors.BLOCKING) ExecutorService blockingExecutor) {
        this.gate = gate;
        this.ledger = ledger;
        this.billing = billing;
        this.blockingExecutor = blockingExecutor;
    }

    @Get(produces = MediaType.APPLICATION_JSON)
    public CompletableFuture<MutableHttpResponse<?>> balance(HttpRequest<?> request) {
        return gate.read(request, WireProtocol.OPENAI, key -> CompletableFuture
            .supplyAsync(() -> {
                AccountBalance balance = ledger.balance(Billing.userAccount(key.accountId()));
                long leasedNano = Math.min(billing.leasedUnusedNano(key.accountId()), balance.debitsPending());
                return body(balance.availableNano() + leasedNano, balance.debitsPending() - leasedNano);
            }, blockingExecutor)
            .<MutableHttpResponse<?>>thenApply(body -> HttpResponse.ok(body).contentType(MediaType.APPLICATION_JSON_TYPE)));
    }

    private static String body(long availableNano, long heldNano) {
        return "{\"object\":\"balance\",\"currency\":\"USDC\",\"available\":\"" + Usdc.format(availableNano)
            + "\",\"held\":\"" + Usdc.format(heldNano) + "\",\"available_nano\":" + availableNano
            + ",\"held_nano\":" + heldNano + "}";
    }
}
