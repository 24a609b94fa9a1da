package dev.mercato.gateway.deposits;


import dev.mercato.gateway.admin.AdminGuard;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.serde.annotation.Serdeable;

import java.sql.SQLException;

/**
 * The admin's side of deposits, guarded by the admin token: the review queue of deposits from
 * unregistered addresses and their assignment to accounts, and each chain's scan with its
 * halt and resume.
 */
@Controller("/admin")
@ExecuteOn(TaskExecutors.BLOCKING)
public class DepositAdminController {

    private final AdminGuard guard;
    private final DepositService deposits;

    DepositAdminController(AdminGuard guard, DepositService deposits) {
        this.guard = guard;
        this.deposits = deposits;
    }

    /** Final deposits from unregistered addresses, oldest first, at most {@code limit} (default 100, at most 500). */
    @Get(uri = "/deposits/review", produces = MediaType.APPLICATION_JSON)
    public DepositViews.ReviewDeposits review(HttpRequest<?> request, @QueryValue @Nullable Integer limit)
            throws SQLException {
        guard.require(request);
        return deposits.review(limit);
    }

    @Post(uri = "/deposits/review/{depositId}/assign", produces = MediaType.APPLICATION_JSON)
    public DepositViews.ReviewDeposit assign(HttpRequest<?> request, @PathVariable long depositId,
                                             @Body Assignment body) throws SQLException {
        guard.require(request);
        return deposits.assign(depositId, body.accountId());
    }

    @Get(uri = "/chains", produces = MediaType.APPLICATION_JSON)
    public DepositViews.Chains chains(HttpRequest<?> request) throws SQLException {
        guard.require(request);
        return deposits.chains();
    }

    /** Clears a halt after an admin has looked, and scans again from {@code fromBlock}. */
    @Post(uri = "/chains/{chainId}/resume", produces = MediaType.APPLICATION_JSON)
    public DepositViews.Chain resume(HttpRequest<?> request, @PathVariable long chainId, @Body Resume body)
            throws SQLException {
        guard.require(request);
        return deposits.resume(chainId, body.fromBlock());
    }

    @Serdeable
    public record Assignment(long accountId) {
    }

    @Serdeable
    public record Resume(long fromBlock) {
    }
}
