package dev.mercato.gateway.consumer;

import dev.mercato.gateway.auth.KeyAuthenticator;
import dev.mercato.gateway.billing.Billing;
import dev.mercato.gateway.error.ErrorResponses;
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

    private final KeyAuthenticator keys;
    private final Ledger ledger;
    private final ExecutorService blockingExecutor;

    public BalanceController(KeyAuthenticator keys, Ledger ledger,
                             @Named(TaskExecutors.BLOCKING) ExecutorService blockingExecutor) {
        this.keys = keys;
        this.ledger = ledger;
        this.blockingExecutor = blockingExecutor;
    }

    @Get(produces = MediaType.APPLICATION_JSON)
    public CompletableFuture<MutableHttpResponse<?>> balance(HttpRequest<?> request) {
        String requestId = RequestIds.of(request);
        return keys.authenticate(request)
            .thenApplyAsync(key -> ledger.balance(Billing.userAccount(key.accountId())), blockingExecutor)
            .<MutableHttpResponse<?>>thenApply(balance -> HttpResponse.ok(body(balance)).contentType(MediaType.APPLICATION_JSON_TYPE))
            .exceptionally(failure -> ErrorResponses.refusal(WireProtocol.OPENAI, failure, requestId));
    }

    private static String body(AccountBalance balance) {
        return "{\"object\":\"balance\",\"currency\":\"USDC\",\"available\":\"" + Usdc.format(balance.availableNano())
            + "\",\"held\":\"" + Usdc.format(balance.debitsPending()) + "\",\"available_nano\":" + balance.availableNano()
            + ",\"held_nano\":" + balance.debitsPending() + "}";
    }
}
