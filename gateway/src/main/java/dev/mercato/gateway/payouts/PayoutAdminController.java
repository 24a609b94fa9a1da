package dev.mercato.gateway.payouts;

import dev.mercato.gateway.admin.AdminGuard;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;

import java.sql.SQLException;

/** The admin's side of payouts, guarded by the admin token: what is not yet paid or failed, and why it waits. */
@Controller("/admin/payouts")
@ExecuteOn(TaskExecutors.BLOCKING)
public class PayoutAdminController {

    private final AdminGuard guard;
    private final PayoutService payouts;

    PayoutAdminController(AdminGuard guard, PayoutService payouts) {
        this.guard = guard;
        this.payouts = payouts;
    }

    /** Requested and sent payouts on every chain, oldest first, at most {@code limit} (default 100, at most 500). */
    @Get(produces = MediaType.APPLICATION_JSON)
    public PayoutViews.Payouts open(HttpRequest<?> request, @QueryValue @Nullable Integer limit) throws SQLException {
        guard.require(request);
        return payouts.open(limit);
    }
}
