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

/** {@code GET /v1/balance}: what the calling key's account can spend, and what running requests hold. */
@Controller("/v1/balance")
public class BalanceController {

    private final ConsumerGate gate;
    private final Ledger ledger;
    private final ExecutorService blockingExecutor;

    public BalanceController(ConsumerGate gate, Ledger ledger,
                             @Named(TaskExecutors.BLOCKING) ExecutorService blockingExecutor) {
        this.gate = gate;
        this.ledger = ledger;
        this.blockingExecutor = blockingExecutor;
    }

    @Get(produces = MediaType.APPLICATION_JSON)
    public CompletableFuture<MutableHttpResponse<?>> balance(HttpRequest<?> request) {
        return gate.read(request, WireProtocol.OPENAI, key -> CompletableFuture
            .supplyAsync(() -> ledger.balance(Billing.userAccount(key.accountId())), blockingExecutor)
            .<MutableHttpResponse<?>>thenApply(balance -> HttpResponse.ok(body(balance)).contentType(MediaType.APPLICATION_JSON_TYPE)));
    }

    private static String body(AccountBalance balance) {
        return "{\"object\":\"balance\",\"currency\":\"USDC\",\"available\":\"" + Usdc.format(balance.availableNano())
            + "\",\"held\":\"" + Usdc.format(balance.debitsPending()) + "\",\"available_nano\":" + balance.availableNano()
            + ",\"held_nano\":" + balance.debitsPending() + "}";
    }
}
