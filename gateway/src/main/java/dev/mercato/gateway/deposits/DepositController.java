package dev.mercato.gateway.deposits;


import dev.mercato.gateway.signin.SessionAuthenticator;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;

import java.sql.SQLException;

/**
 * A signed-in account's deposits: where to send USDC (each chain's treasury and token, and the
 * account's wallets, whose transfers are credited to it), and its deposits, pending and
 * credited. Every call needs the session cookie from wallet sign-in; errors are in the OpenAI shape.
 */
@Controller("/account/deposits")
@ExecuteOn(TaskExecutors.BLOCKING)
public class DepositController {

    private final SessionAuthenticator sessions;
    private final DepositService deposits;

    DepositController(SessionAuthenticator sessions, DepositService deposits) {
        this.sessions = sessions;
        this.deposits = deposits;
    }

    @Get(uri = "/instructions", produces = MediaType.APPLICATION_JSON)
    public DepositViews.Instructions instructions(HttpRequest<?> request) throws SQLException {
        return deposits.instructions(sessions.require(request).accountId());
    }

    /** Newest first, at most {@code limit} (default 100, at most 500). */
    @Get(produces = MediaType.APPLICATION_JSON)
    public DepositViews.Deposits list(HttpRequest<?> request, @QueryValue @Nullable Integer limit) throws SQLException {
        return deposits.deposits(sessions.require(request).accountId(), limit);
    }
}
