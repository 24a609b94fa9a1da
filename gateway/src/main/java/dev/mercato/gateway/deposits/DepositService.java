package dev.mercato.gateway.deposits;

import dev.mercato.gateway.chain.ChainSettings;

import dev.mercato.gateway.billing.Billing;
import dev.mercato.gateway.deposits.DepositStore.ChainScan;
import dev.mercato.gateway.deposits.DepositStore.DepositRow;
import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.error.ErrorCode;
import dev.mercato.ledger.AccountFlags;
import dev.mercato.ledger.Ledger;
import dev.mercato.ledger.TransferIds;
import dev.mercato.ledger.TransferRequest;
import dev.mercato.ledger.Usdc;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Keys;

import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/** What the deposit APIs do: instructions and deposits for an account, and the admin's review queue and chains. */
@Singleton
class DepositService {

    private static final Logger LOG = LoggerFactory.getLogger(DepositService.class);

    /** Deposits one page lists at most. */
    static final int MAX_PAGE = 500;
    static final int DEFAULT_PAGE = 100;
    static final String TOKEN = "USDC";
    static final int TOKEN_DECIMALS = 6;
    static final String ASSIGNMENT_IDS = "deposit-assignment";
    static final String ASSIGNMENT_CODE = "deposit_assignment";
    /** Who assigned a deposit: the admin API has one token, so one name. */
    static final String ADMIN = "admin";

    private final DepositScanners scanners;
    private final DepositStore store;
    private final Ledger ledger;
    private final Clock clock;

    DepositService(DepositScanners scanners, DepositStore store, Ledger ledger, Clock clock) {
        this.scanners = scanners;
        this.store = store;
        this.ledger = ledger;
        this.clock = clock;
    }

    DepositViews.Instructions instructions(long accountId) throws SQLException {
        List<DepositViews.ChainInstructions> chains = scanners.chains().stream()
            .map(chain -> new DepositViews.ChainInstructions(chain.chainId(), chain.name(), TOKEN,
                Keys.toChecksumAddress(chain.usdcAddress()), TOKEN_DECIMALS, Keys.toChecksumAddress(chain.treasuryAddress()),
                chain.finalityText()))
            .toList();
        List<String> wallets = store.walletsOf(accountId).stream().map(Keys::toChecksumAddress).toList();
        return new DepositViews.Instructions(chains, wallets);
    }

    DepositViews.Deposits deposits(long accountId, Integer limit) throws SQLException {
        List<DepositViews.Deposit> deposits = store.ofAccount(accountId, page(limit)).stream()
            .map(row -> new DepositViews.Deposit(row.id(), row.chainId(), row.txHash(), row.logIndex(), row.blockNumber(),
                Keys.toChecksumAddress(row.fromAddress()), Usdc.format(row.amountNano()),
                row.status().equals("pending") ? "pending" : "credited", confirmations(row), row.seenAt(),
                row.creditedAt()))
            .toList();
        return new DepositViews.Deposits(deposits);
    }

    DepositViews.ReviewDeposits review(Integer limit) throws SQLException {
        return new DepositViews.ReviewDeposits(store.inReview(page(limit)).stream().map(DepositService::reviewView).toList());
    }

    /**
     * Credits a deposit in review to the account: moves its money from the unassigned-deposits
     * account with a transfer id derived from the deposit, in the transaction that marks it
     * assigned. Assigning it again to the same account answers the same; to another, is refused.
     */
    DepositViews.ReviewDeposit assign(long depositId, long accountId) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            DepositRow row = store.byId(depositId).orElseThrow(() -> new ApiError.Exception(ApiError.of(
                ErrorCode.NOT_FOUND, "There is no deposit " + depositId + ".")));
            switch (row.status()) {
                case "pending" -> throw refused("Deposit " + depositId + " is not final yet (block " + row.blockNumber()
                    + "); it can be assigned once it is final and in review.");
                case "credited" -> throw refused("Deposit " + depositId + " came from a registered wallet and was "
                    + "credited to account " + row.accountId() + "; there is nothing to assign.");
                case "assigned" -> {
                    if (row.accountId() == accountId) {
                        return reviewView(row);
                    }
                    throw new ApiError.Exception(ApiError.of(ErrorCode.DEPOSIT_ALREADY_ASSIGNED, "Deposit " + depositId
                        + " was assigned to account " + row.accountId() + " at " + row.assignedAt()
                        + "; it cannot be assigned to account " + accountId + "."));
                }
                default -> {
                }
            }
            if (!store.accountExists(accountId)) {
                throw new ApiError.Exception(ApiError.invalidParam("accountId", "There is no account " + accountId + "."));
            }
            String userAccount = Billing.userAccount(accountId);
            ledger.ensureAccount(userAccount, AccountFlags.USER);
            String subject = row.chainId() + ":" + row.txHash() + ":" + row.logIndex();
            TransferRequest move = new TransferRequest(TransferIds.of(ASSIGNMENT_IDS, subject),
                DepositScanner.UNASSIGNED_ACCOUNT, userAccount, row.amountNano(), ASSIGNMENT_CODE, subject);
            try {
                ledger.transferAll(List.of(move), connection ->
                    store.assign(connection, depositId, accountId, ADMIN, clock.instant()));
            } catch (DepositStore.Raced e) {
                if (attempt == 2) {
                    throw e;
                }
                continue; // assigned meanwhile by another call: answer as that assignment says
            }
            LOG.info("Deposit {} ({} USDC, tx {}) assigned to account {}", depositId, Usdc.format(row.amountNano()),
                row.txHash(), accountId);
            return reviewView(store.byId(depositId).orElseThrow());
        }
    }

    DepositViews.Chains chains() throws SQLException {
        Map<Long, ChainScan> scans = store.chains().stream()
            .collect(Collectors.toMap(ChainScan::chainId, Function.identity()));
        return new DepositViews.Chains(scanners.chains().stream()
            .map(chain -> chainView(chain, Optional.ofNullable(scans.get(chain.chainId()))))
            .toList());
    }

    /**
     * Clears a halt and rewinds the chain's cursor to {@code fromBlock}; deposits already credited
     * are found again and skipped, so the re-scan credits only what was missed.
     */
    DepositViews.Chain resume(long chainId, long fromBlock) throws SQLException {
        ChainSettings chain = scanners.chains().stream().filter(c -> c.chainId() == chainId).findFirst()
            .orElseThrow(() -> new ApiError.Exception(ApiError.of(ErrorCode.NOT_FOUND, "Chain " + chainId
                + " is not configured; configured: " + scanners.chains().stream().map(ChainSettings::chainId).toList()
                + ".")));
        Optional<ChainScan> scan = store.findChain(chainId);
        if (fromBlock < 0 || scan.isEmpty() || fromBlock > scan.get().nextBlock()) {
            throw new ApiError.Exception(ApiError.invalidParam("fromBlock", "fromBlock must be 0 to the chain's next "
                + "block " + scan.map(ChainScan::nextBlock).orElse(chain.startBlock()) + " (a resume never skips a block), "
                + "was " + fromBlock + "."));
        }
        ChainScan resumed = store.resume(chainId, fromBlock, clock.instant()).orElseThrow(() -> new ApiError.Exception(
            ApiError.invalidParam("fromBlock", "The scan of chain " + chainId + " moved meanwhile; read GET /admin/chains "
                + "and resume again.")));
        LOG.warn("Deposits on chain {} ({}) resumed by an admin from block {}{}", chainId, chain.name(), fromBlock,
            scan.get().halted() ? " after a halt: " + scan.get().haltReason() : "");
        scanners.scanner(chainId).ifPresent(DepositScanner::wake);
        return chainView(chain, Optional.of(resumed));
    }

    private DepositViews.Chain chainView(ChainSettings chain, Optional<ChainScan> scan) {
        String lastError = scanners.scanner(chain.chainId()).map(DepositScanner::lastError).orElse(null);
        return new DepositViews.Chain(chain.chainId(), chain.name(), chain.finalityText(),
            scan.map(ChainScan::nextBlock).orElse(null), scan.map(ChainScan::lastBlockNumber).orElse(null),
            scan.map(ChainScan::lastBlockHash).orElse(null), scan.map(ChainScan::finalizedBlock).orElse(null),
            scan.map(ChainScan::latestBlock).orElse(null), scan.map(ChainScan::halted).orElse(false),
            scan.map(ChainScan::haltedAt).orElse(null), scan.map(ChainScan::haltReason).orElse(null), lastError,
            scan.map(ChainScan::updatedAt).orElse(null));
    }

    private static DepositViews.ReviewDeposit reviewView(DepositRow row) {
        return new DepositViews.ReviewDeposit(row.id(), row.chainId(), row.txHash(), row.logIndex(), row.blockNumber(),
            Keys.toChecksumAddress(row.fromAddress()), Usdc.format(row.amountNano()), row.status(), row.accountId(),
            row.seenAt(), row.creditedAt(), row.assignedAt());
    }

    /** Blocks on the deposit's, itself included, as of the chain's latest block at the last pass. */
    private static long confirmations(DepositRow row) {
        Long latest = row.latestBlock();
        return latest == null || latest < row.blockNumber() ? 0 : latest - row.blockNumber() + 1;
    }

    private static int page(Integer limit) {
        if (limit == null) {
            return DEFAULT_PAGE;
        }
        if (limit < 1 || limit > MAX_PAGE) {
            throw new ApiError.Exception(ApiError.invalidParam("limit", "limit must be 1 to " + MAX_PAGE + ", was " + limit
                + "."));
        }
        return limit;
    }

    private static ApiError.Exception refused(String message) {
        return new ApiError.Exception(ApiError.of(ErrorCode.INVALID_REQUEST, message));
    }
}
