package dev.mercato.gateway.payouts;

import dev.mercato.gateway.billing.Billing;
import dev.mercato.gateway.chain.ChainSettings;
import dev.mercato.gateway.chain.Chains;
import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.error.ErrorCode;
import dev.mercato.gateway.node.NodeDirectory;
import dev.mercato.gateway.node.OperatorRow;
import dev.mercato.gateway.payouts.PayoutStore.PayoutRow;
import dev.mercato.ledger.AccountFlags;
import dev.mercato.ledger.HoldRequest;
import dev.mercato.ledger.InsufficientBalance;
import dev.mercato.ledger.Ledger;
import dev.mercato.ledger.TransferConflict;
import dev.mercato.ledger.TransferIds;
import dev.mercato.ledger.Usdc;
import jakarta.inject.Singleton;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * Withdrawals of an operator's earnings to a wallet linked to its account. A request holds the
 * amount in the ledger at once ({@code provider:<operator>} → {@code asset:usdc:<chain>}, pending),
 * so what is requested can no longer be withdrawn twice; the chain's {@link PayoutWorker} pays it.
 * The request's {@code Idempotency-Key} names the payout: the same key again answers the same
 * payout and pays nothing more.
 */
@Singleton
class PayoutService {

    static final int MAX_IDEMPOTENCY_KEY_CHARS = 255;
    static final int DEFAULT_LIST_LIMIT = 100;
    static final int MAX_LIST_LIMIT = 500;

    private static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[\\x21-\\x7e]{1," + MAX_IDEMPOTENCY_KEY_CHARS + "}");
    private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");
    static final String HOLD_CODE = "payout";

    private final PayoutStore store;
    private final PayoutWorkers workers;
    private final Chains chains;
    private final NodeDirectory directory;
    private final Ledger ledger;
    private final PayoutSettings settings;
    private final Clock clock;

    PayoutService(PayoutStore store, PayoutWorkers workers, Chains chains, NodeDirectory directory, Ledger ledger,
                  PayoutSettings settings, Clock clock) {
        this.store = store;
        this.workers = workers;
        this.chains = chains;
        this.directory = directory;
        this.ledger = ledger;
        this.settings = settings;
        this.clock = clock;
    }

    /** The payout this request names, and whether this call created it (false: a repeat of the key). */
    record Requested(PayoutViews.Payout payout, boolean created) {
    }

    Requested request(long accountId, String idempotencyKey, PayoutViews.Request body) throws SQLException {
        if (!workers.on()) {
            throw new ApiError.Exception(ApiError.of(ErrorCode.PAYOUTS_UNAVAILABLE,
                "Payouts are off on this marketplace: no chain or no hot wallet is configured."));
        }
        if (idempotencyKey == null || !IDEMPOTENCY_KEY.matcher(idempotencyKey).matches()) {
            throw new ApiError.Exception(ApiError.invalidParam("Idempotency-Key", "A payout request needs an "
                + "Idempotency-Key header (1 to " + MAX_IDEMPOTENCY_KEY_CHARS + " visible ASCII characters), so that "
                + "sending it again is recognised and pays once."));
        }
        if (body == null) {
            throw new ApiError.Exception(ApiError.of(ErrorCode.INVALID_REQUEST,
                "A payout request needs a JSON body with amountUsdc and wallet."));
        }
        OperatorRow operator = operator(accountId, body.operator());
        ChainSettings chain = chain(body.chainId());
        String wallet = wallet(accountId, body.wallet());
        long amountNano = amount(body.amountUsdc());
        long amountUnits = amountNano / ChainSettings.NANO_PER_TOKEN_UNIT;

        UUID payoutId = TransferIds.of("payout", Long.toString(accountId), idempotencyKey);
        Optional<PayoutRow> earlier = store.find(payoutId);
        if (earlier.isPresent()) {
            return new Requested(repeat(earlier.get(), operator, chain, wallet, amountNano), false);
        }
        UUID holdId = TransferIds.of("payout.hold", payoutId.toString());
        Instant now = clock.instant();
        HoldRequest hold = new HoldRequest(holdId, Billing.providerAccount(operator.id()), chain.assetAccount(), amountNano,
            now.plus(settings.holdExpiry()), HOLD_CODE, payoutId.toString());
        // An operator that has served nothing yet has no account; with one, it is refused for its 0 USDC.
        ledger.ensureAccount(hold.debitKey(), AccountFlags.PROVIDER);
        AtomicBoolean created = new AtomicBoolean();
        try {
            // The row and its hold commit together: a payout exists exactly when its amount is held.
            ledger.reserve(hold, connection -> created.set(store.insert(connection, payoutId, accountId, operator.id(),
                chain.chainId(), wallet, amountUnits, holdId, now)));
        } catch (InsufficientBalance e) {
            long earningsNano = ledger.balance(hold.debitKey()).availableNano();
            if (e.accountKey().equals(chain.assetAccount()) && earningsNano >= amountNano) {
                // The asset account may not be credited beyond its debits: what the treasury received.
                throw new ApiError.Exception(ApiError.of(ErrorCode.PAYOUTS_UNAVAILABLE, "The treasury on chain "
                    + chain.chainId() + " has received " + Usdc.format(Math.max(0, e.balanceNano())) + " USDC of deposits "
                    + "not yet paid out, less than this payout's " + Usdc.format(amountNano) + " USDC; try another chain "
                    + "or a smaller amount."));
            }
            throw insufficient(operator, earningsNano, amountNano);
        } catch (TransferConflict raced) {
            // The same key, asking for something else, got its hold in first: answer as a repeat would.
            return new Requested(repeat(store.find(payoutId).orElseThrow(() -> raced), operator, chain, wallet,
                amountNano), false);
        }
        PayoutRow row = store.find(payoutId).orElseThrow();
        // Not created: the same key raced this request in, and the row says what it asked for.
        return new Requested(created.get() ? PayoutViews.Payout.of(row)
            : repeat(row, operator, chain, wallet, amountNano), created.get());
    }

    PayoutViews.Payouts list(long accountId, Integer limit) throws SQLException {
        return new PayoutViews.Payouts(store.ofAccount(accountId, rows(limit)).stream().map(PayoutViews.Payout::of)
            .toList());
    }

    /** Every payout not yet paid or failed, oldest first: what an admin watches. */
    PayoutViews.Payouts open(Integer limit) throws SQLException {
        return new PayoutViews.Payouts(store.open(rows(limit)).stream().map(PayoutViews.Payout::of).toList());
    }

    private static int rows(Integer limit) {
        int rows = limit == null ? DEFAULT_LIST_LIMIT : limit;
        if (rows < 1 || rows > MAX_LIST_LIMIT) {
            throw new ApiError.Exception(ApiError.invalidParam("limit", "limit must be 1 to " + MAX_LIST_LIMIT
                + ", was " + rows + "."));
        }
        return rows;
    }

    private OperatorRow operator(long accountId, String name) {
        List<OperatorRow> owned = directory.operatorsOwnedBy(accountId);
        if (name == null) {
            if (owned.size() == 1) {
                return owned.getFirst();
            }
            throw new ApiError.Exception(ApiError.invalidParam("operator", owned.isEmpty()
                ? "This account runs no operator, so it has no earnings to withdraw."
                : "This account runs " + owned.size() + " operators (" + String.join(", ",
                    owned.stream().map(OperatorRow::name).toList()) + "); name the one to withdraw from in operator."));
        }
        return owned.stream().filter(row -> row.name().equals(name)).findFirst()
            .orElseThrow(() -> new ApiError.Exception(ApiError.invalidParam("operator",
                "Operator '" + name + "' is not run by this account.")));
    }

    private ChainSettings chain(Long chainId) {
        List<ChainSettings> paying = chains.all().stream().filter(chain -> workers.paysOn(chain.chainId())).toList();
        if (chainId == null) {
            if (paying.size() == 1) {
                return paying.getFirst();
            }
            throw new ApiError.Exception(ApiError.invalidParam("chainId", "Payouts are made on chains "
                + paying.stream().map(chain -> Long.toString(chain.chainId())).toList() + "; name one in chainId."));
        }
        return paying.stream().filter(chain -> chain.chainId() == chainId).findFirst()
            .orElseThrow(() -> new ApiError.Exception(ApiError.invalidParam("chainId", "Payouts are not made on chain "
                + chainId + "; they are made on " + paying.stream().map(chain -> Long.toString(chain.chainId())).toList()
                + ".")));
    }

    private String wallet(long accountId, String wallet) throws SQLException {
        if (wallet == null || !ADDRESS.matcher(wallet).matches()) {
            throw new ApiError.Exception(ApiError.invalidParam("wallet", "wallet must be an address (0x and 40 hex "
                + "digits) linked to this account, was " + (wallet == null ? "missing" : "'" + wallet + "'") + "."));
        }
        String address = wallet.toLowerCase(Locale.ROOT);
        if (!store.walletLinked(accountId, address)) {
            throw new ApiError.Exception(ApiError.invalidParam("wallet", "Wallet " + address + " is not linked to this "
                + "account; payouts go only to the account's own wallets (link one under /account/wallets)."));
        }
        return address;
    }

    private long amount(String amountUsdc) {
        long amountNano;
        try {
            amountNano = amountUsdc == null ? -1 : Usdc.parse(amountUsdc);
        } catch (RuntimeException e) {
            amountNano = -1;
        }
        if (amountNano <= 0 || amountNano % ChainSettings.NANO_PER_TOKEN_UNIT != 0) {
            throw new ApiError.Exception(ApiError.invalidParam("amountUsdc", "amountUsdc must be a positive USDC amount "
                + "with at most 6 decimals, was " + (amountUsdc == null ? "missing" : "'" + amountUsdc + "'") + "."));
        }
        if (amountNano < settings.minAmountNano()) {
            throw new ApiError.Exception(ApiError.invalidParam("amountUsdc", "The smallest payout is "
                + Usdc.format(settings.minAmountNano()) + " USDC; " + Usdc.format(amountNano) + " USDC was asked."));
        }
        return amountNano;
    }

    /** The payout an Idempotency-Key already named, if this request asks for the same thing. */
    private static PayoutViews.Payout repeat(PayoutRow earlier, OperatorRow operator, ChainSettings chain, String wallet,
                                             long amountNano) {
        if (earlier.operatorId() != operator.id() || earlier.chainId() != chain.chainId()
            || !earlier.toAddress().equals(wallet) || earlier.amountNano() != amountNano) {
            throw new ApiError.Exception(ApiError.of(ErrorCode.IDEMPOTENCY_KEY_REUSED, "This Idempotency-Key already "
                + "requested payout " + earlier.id() + " of " + Usdc.format(earlier.amountNano()) + " USDC to "
                + earlier.toAddress() + " on chain " + earlier.chainId() + " from operator '" + earlier.operatorName()
                + "'; use a new key for a different payout."));
        }
        return PayoutViews.Payout.of(earlier);
    }

    private static ApiError.Exception insufficient(OperatorRow operator, long availableNano, long amountNano) {
        return new ApiError.Exception(ApiError.of(ErrorCode.INSUFFICIENT_BALANCE, "Operator '" + operator.name()
            + "' has " + Usdc.format(Math.max(0, availableNano)) + " USDC of earnings available; this payout needs "
            + Usdc.format(amountNano) + " USDC."));
    }
}
