package dev.mercato.gateway.admin;

import dev.mercato.gateway.billing.Billing;
import dev.mercato.gateway.billing.ModelPrice;
import dev.mercato.gateway.billing.PriceBook;
import dev.mercato.gateway.billing.PricingSettings;
import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.error.ErrorCode;
import dev.mercato.gateway.keys.KeyPolicy;
import dev.mercato.gateway.keys.KeyPolicyStore;
import dev.mercato.gateway.operator.OperatorService;
import dev.mercato.ledger.AccountFlags;
import dev.mercato.ledger.Ledger;
import dev.mercato.ledger.TransferIds;
import dev.mercato.ledger.Usdc;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.serde.annotation.Serdeable;

import java.util.List;
import java.util.Map;

/**
 * The operator-of-the-platform API, guarded by the admin token from configuration
 * ({@code mercato.admin.token}, see {@link AdminGuard}): creates consumer accounts with a first
 * key, and registers provider nodes. With no token configured, every call is refused.
 */
@Controller("/admin")
@ExecuteOn(TaskExecutors.BLOCKING)
public class AdminController {

    private final AdminGuard guard;
    private final AdminService admin;
    private final PriceBook prices;
    private final PricingSettings pricing;
    private final Ledger ledger;
    private final boolean devCreditEnabled;
    private final KeyPolicyStore keyPolicies;
    private final OperatorService operators;

    public AdminController(AdminGuard guard, AdminService admin, PriceBook prices,
                           PricingSettings pricing, Ledger ledger,
                           @Value("${mercato.dev.credit-enabled:false}") boolean devCreditEnabled,
                           KeyPolicyStore keyPolicies, OperatorService operators) {
        this.operators = operators;
        this.keyPolicies = keyPolicies;
        this.ledger = ledger;
        this.devCreditEnabled = devCreditEnabled;
        this.guard = guard;
        this.admin = admin;
        this.prices = prices;
        this.pricing = pricing;
    }

    @Post("/accounts")
    public HttpResponse<AdminService.CreatedAccount> createAccount(HttpRequest<?> request, @Body NewAccount body) {
        guard.require(request);
        return HttpResponse.created(admin.createAccount(body.name(), body.key() == null ? Map.of() : body.key(),
            body.wallet()));
    }

    @Post("/nodes")
    public HttpResponse<OperatorService.CreatedNode> createNode(HttpRequest<?> request, @Body NewNode body) {
        guard.require(request);
        return HttpResponse.created(operators.registerNode(null, body.operator(), body.name()));
    }

    /**
     * Funds an account from the dev-credit source, for a local marketplace and tests only: off
     * unless mercato.dev.credit-enabled is true, which no production configuration sets.
     * Idempotent by (account, reference), so running it twice credits once.
     */
    @Post("/dev-credit")
    public HttpResponse<DevCredited> devCredit(HttpRequest<?> request, @Body NewDevCredit body) {
        guard.require(request);
        if (!devCreditEnabled) {
            throw new ApiError.Exception(ApiError.of(ErrorCode.NOT_FOUND,
                "Dev credit is off: it exists only for a local marketplace (mercato.dev.credit-enabled)."));
        }
        long amountNano;
        try {
            amountNano = Usdc.parse(body.amountUsdc());
        } catch (RuntimeException e) {
            throw new ApiError.Exception(ApiError.invalidParam("amountUsdc",
                "amountUsdc must be a positive decimal USDC amount with at most 9 decimals, was '" + body.amountUsdc() + "'."));
        }
        if (amountNano <= 0 || body.reference() == null || body.reference().isBlank()) {
            throw new ApiError.Exception(ApiError.of(ErrorCode.INVALID_REQUEST,
                "A dev credit needs a positive amountUsdc and a reference."));
        }
        String account = Billing.userAccount(body.accountId());
        ledger.ensureAccount(account, AccountFlags.USER);
        ledger.transfer(TransferIds.of("dev-credit", Long.toString(body.accountId()), body.reference()),
            Billing.DEV_CREDIT_SOURCE, account, amountNano, "dev_credit", body.reference());
        return HttpResponse.created(new DevCredited(body.accountId(), Usdc.format(ledger.balance(account).availableNano())));
    }

    /** Sets a model's price from now on; requests admitted before keep the price they were admitted at. */
    @Post("/prices")
    public HttpResponse<ModelPrice> setPrice(HttpRequest<?> request, @Body NewPrice body) {
        guard.require(request);
        ModelPrice price;
        try {
            price = new ModelPrice(body.modelId(), body.inputPerMillionMicros(), body.outputPerMillionMicros(),
                body.cacheWritePerMillionMicros(), body.cacheReadPerMillionMicros(),
                body.providerShareBps() == null ? pricing.providerShareBps() : body.providerShareBps(),
                body.maxOutputTokens() == null ? pricing.defaultMaxOutputTokens() : body.maxOutputTokens(), null);
        } catch (IllegalArgumentException e) {
            throw new ApiError.Exception(ApiError.of(ErrorCode.INVALID_REQUEST, e.getMessage()));
        }
        if (body.modelId() == null || body.modelId().isBlank() || body.modelId().length() > 200) {
            throw new ApiError.Exception(ApiError.invalidParam("modelId", "modelId must be 1 to 200 characters."));
        }
        return HttpResponse.created(prices.change(price, "admin"));
    }

    /** A model's prices, newest first: the one in force and every one before it. */
    @Get("/prices/{modelId}")
    public List<ModelPrice> priceHistory(HttpRequest<?> request, @PathVariable String modelId) {
        guard.require(request);
        return prices.history(modelId);
    }

    /** The platform-wide key defaults and ceilings. */
    @Get("/key-policy")
    public KeyPolicy keyPolicy(HttpRequest<?> request) {
        guard.require(request);
        return keyPolicies.current();
    }

    /** Changes the key defaults (for keys created from now on) and the ceilings (for settings made from now on). */
    @Post("/key-policy")
    public KeyPolicy changeKeyPolicy(HttpRequest<?> request, @Body KeyPolicy policy) {
        guard.require(request);
        return keyPolicies.change(policy.checked());
    }

    /** An account and the settings of its first key (as the key API takes them; none: the platform defaults). */
    @Serdeable
    public record NewAccount(String name, @Nullable Map<String, Object> key, @Nullable String wallet) {
    }

    @Serdeable
    public record NewPrice(String modelId, long inputPerMillionMicros, long outputPerMillionMicros,
                           long cacheWritePerMillionMicros, long cacheReadPerMillionMicros,
                           @Nullable Integer providerShareBps, @Nullable Integer maxOutputTokens) {
    }

    @Serdeable
    public record NewDevCredit(long accountId, String amountUsdc, String reference) {
    }

    /** The account's available balance after the credit, in decimal USDC. */
    @Serdeable
    public record DevCredited(long accountId, String balanceUsdc) {
    }

    @Serdeable
    public record NewNode(@Nullable String operator, String name) {
    }
}
