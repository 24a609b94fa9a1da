package dev.mercato.gateway.payouts;

import dev.mercato.gateway.signin.SessionAuthenticator;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;

import java.sql.SQLException;

/**
 * An operator's withdrawals: request one (202 with the payout; the same Idempotency-Key again
 * answers 200 with the same payout) and list them. Every call needs the session cookie from
 * wallet sign-in; errors are in the OpenAI shape.
 */
@Controller("/operator/payouts")
@ExecuteOn(TaskExecutors.BLOCKING)
public class PayoutController {

    private final SessionAuthenticator sessions;
    private final PayoutService payouts;

    PayoutController(SessionAuthenticator sessions, PayoutService payouts) {
        this.sessions = sessions;
        this.payouts = payouts;
    }

    @Post(produces = MediaType.APPLICATION_JSON)
    public HttpResponse<PayoutViews.Payout> request(HttpRequest<?> request, @Body @Nullable PayoutViews.Request body)
            throws SQLException {
        long accountId = sessions.require(request).accountId();
        PayoutService.Requested requested = payouts.request(accountId, request.getHeaders().get("Idempotency-Key"), body);
        return HttpResponse.<PayoutViews.Payout>status(requested.created() ? HttpStatus.ACCEPTED : HttpStatus.OK)
            .body(requested.payout());
    }

    /** Newest first, at most {@code limit} (default 100, at most 500). */
    @Get(produces = MediaType.APPLICATION_JSON)
    public PayoutViews.Payouts list(HttpRequest<?> request, @QueryValue @Nullable Integer limit) throws SQLException {
        return payouts.list(sessions.require(request).accountId(), limit);
    }
}
