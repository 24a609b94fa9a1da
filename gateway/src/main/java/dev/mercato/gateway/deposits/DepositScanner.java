package dev.mercato.gateway.deposits;

import dev.mercato.gateway.chain.Backoff;
import dev.mercato.gateway.chain.BlockRef;
import dev.mercato.gateway.chain.ChainRpc;
import dev.mercato.gateway.chain.ChainSettings;
import dev.mercato.gateway.chain.RpcFailure;
import dev.mercato.gateway.chain.TransferLog;

import dev.mercato.gateway.billing.Billing;
import dev.mercato.gateway.deposits.DepositStore.Booking;
import dev.mercato.gateway.deposits.DepositStore.ChainScan;
import dev.mercato.gateway.deposits.DepositStore.Sighting;
import dev.mercato.gateway.chain.TransferLog.DepositKey;
import dev.mercato.ledger.AccountFlags;
import dev.mercato.ledger.Ledger;
import dev.mercato.ledger.TransferIds;
import dev.mercato.ledger.TransferRequest;
import dev.mercato.ledger.Usdc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigInteger;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Finds USDC deposits to the treasury on one chain and credits them once they are final
 * (ledger.md, Deposits). A pass: check that the last block scanned still has the hash it had
 * (else halt: a reorg went below finality, and guessing what to undo is not safe); read the
 * final head; scan from the cursor to it in block ranges that shrink when the provider refuses
 * them and grow back after; per range, credit the new deposits and move the cursor in one ledger
 * transaction; then list the deposits of blocks not yet final as pending, without crediting them.
 * Every deposit's transfer id comes from (chain, transaction, log index), so a pass repeated
 * after a crash, a re-scan, or a duplicate log credits nothing twice.
 */
final class DepositScanner {

    private static final Logger LOG = LoggerFactory.getLogger(DepositScanner.class);

    /** USDC's decimals; a configured token with others is refused before anything is scanned. */
    static final int TOKEN_DECIMALS = 6;
    /** The largest deposit the ledger can hold, in token base units. */
    static final long MAX_UNITS = Long.MAX_VALUE / ChainSettings.NANO_PER_TOKEN_UNIT;
    /** Where final deposits from unregistered addresses wait for an admin: the books show the money, owed to someone. */
    static final String UNASSIGNED_ACCOUNT = "liability:unassigned-deposits";
    static final AccountFlags UNASSIGNED_FLAGS = AccountFlags.USER;
    static final String DEPOSIT_CODE = "deposit";
    static final String DEPOSIT_IDS = "deposit";
    /** Pending deposits shown at most per chain; beyond them the newest blocks' wait for the next pass. */
    static final int MAX_PENDING_SHOWN = 10_000;

    private final ChainSettings settings;
    private final ChainRpc rpc;
    private final DepositStore store;
    private final Ledger ledger;
    private final Clock clock;
    private final Backoff passBackoff;
    private final ReentrantLock passLock = new ReentrantLock();
    private final Semaphore wakeUp = new Semaphore(0);
    private volatile boolean running;
    private volatile String lastError;
    /** The RPC serves the configured chain and the token has USDC's decimals: checked once, on the first pass. */
    private boolean chainVerified;
    private int blockRange;

    DepositScanner(ChainSettings settings, ChainRpc rpc, DepositStore store, Ledger ledger, Clock clock,
                   Backoff passBackoff) {
        this.settings = settings;
        this.rpc = rpc;
        this.store = store;
        this.ledger = ledger;
        this.clock = clock;
        this.passBackoff = passBackoff;
        this.blockRange = settings.maxBlockRange();
    }

    static UUID depositTransferId(long chainId, String txHash, int logIndex) {
        return TransferIds.of(DEPOSIT_IDS, chainId + ":" + txHash + ":" + logIndex);
    }

    ChainSettings settings() {
        return settings;
    }

    /** Why the last pass failed (the chain unreachable, the wrong chain), or null when it went through. */
    String lastError() {
        return lastError;
    }

    /** Passes until {@link #stop()}: every poll interval, or sooner after failures with backoff, or on {@link #wake()}. */
    void run() {
        running = true;
        int failures = 0;
        while (running) {
            try {
                // One gateway scans a chain at a time; the others find the lock taken and wait for the next poll.
                if (store.withScanLock(settings.chainId(), () -> {
                    scanOnce();
                    return Boolean.TRUE;
                }).isEmpty()) {
                    LOG.debug("Chain {} ({}) is being scanned by another gateway", settings.chainId(), settings.name());
                }
                failures = 0;
                lastError = null;
            } catch (Exception e) {
                if (!running) {
                    break;
                }
                failures++;
                lastError = e.getMessage();
                LOG.warn("Deposit scan of chain {} ({}) failed ({} in a row), retrying with backoff: {}",
                    settings.chainId(), settings.name(), failures, e.getMessage());
            }
            long waitMillis = failures == 0 ? settings.pollInterval().toMillis() : passBackoff.delayMillis(failures);
            try {
                wakeUp.tryAcquire(waitMillis, TimeUnit.MILLISECONDS);
                wakeUp.drainPermits();
            } catch (InterruptedException e) {
                break;
            }
        }
    }

    void stop() {
        running = false;
    }

    /** Starts the next pass now instead of after the poll interval. */
    void wake() {
        wakeUp.release();
    }

    /**
     * One pass over the chain; passes never overlap.
     *
     * @throws RpcFailure if the chain could not be read through the bounded retries; what was
     *                    committed before stays, and the next pass continues from there
     */
    void scanOnce() throws RpcFailure, SQLException {
        passLock.lock();
        try {
            if (!chainVerified) {
                long reported = rpc.chainId();
                if (reported != settings.chainId()) {
                    LOG.error("Chain {} ({}) is configured, but its RPC URLs serve chain {}: no deposit is scanned "
                        + "on it until mercato.chains is corrected.", settings.chainId(), settings.name(), reported);
                    throw new IllegalStateException("the RPC URLs of chain " + settings.chainId() + " serve chain "
                        + reported);
                }
                long decimals = rpc.tokenDecimals();
                if (decimals != TOKEN_DECIMALS) {
                    // 1 unit is credited as 1,000 nano-USDC; a token of other decimals would be credited wrongly.
                    LOG.error("Chain {} ({}): the token at usdc-address {} has {} decimals, not {}: no deposit is "
                            + "scanned on it until mercato.chains is corrected.", settings.chainId(), settings.name(),
                        settings.usdcAddress(), decimals < 0 ? "no readable" : decimals, TOKEN_DECIMALS);
                    throw new IllegalStateException("the token " + settings.usdcAddress() + " on chain "
                        + settings.chainId() + " has " + (decimals < 0 ? "no readable" : decimals) + " decimals, not "
                        + TOKEN_DECIMALS);
                }
                chainVerified = true;
            }
            ChainScan scan = store.chain(settings.chainId(), settings.startBlock(), clock.instant());
            if (scan.halted()) {
                return;
            }
            if (scan.lastBlockNumber() != null) {
                BlockRef now = rpc.block(scan.lastBlockNumber());
                if (!now.hash().equals(scan.lastBlockHash())) {
                    halt(scan, now);
                    return;
                }
            }
            long latest = rpc.blockNumber("latest");
            long head = rpc.finalBlockNumber(latest);
            long next = scan.nextBlock();
            while (next <= head) {
                long scanned = scanFinal(next, head, latest);
                if (scanned < 0) {
                    return; // halted
                }
                next = scanned;
            }
            scanPending(Math.max(next, head + 1), head, latest);
        } finally {
            passLock.unlock();
        }
    }

    /** Scans one range from {@code from}; returns where the next range starts, or -1 if the chain was halted. */
    private long scanFinal(long from, long head, long latest) throws RpcFailure, SQLException {
        long to = Math.min(head, from + blockRange - 1);
        List<TransferLog> logs;
        try {
            logs = rpc.transferLogs(from, to);
        } catch (RpcFailure.RangeTooLarge e) {
            shrink(from, to, e.getMessage());
            return from;
        }
        Map<DepositKey, TransferLog> unique = unique(logs);
        if (unique.size() > Ledger.MAX_BATCH && to > from) {
            shrink(from, to, unique.size() + " deposits");
            return from;
        }
        BlockRef last = rpc.block(to);
        for (TransferLog log : unique.values()) {
            if (log.blockNumber() == to && !log.blockHash().equals(last.hash())) {
                throw new RpcFailure.Unavailable("block " + to + " has hash " + last.hash() + " but a log of it names "
                    + log.blockHash());
            }
        }
        if (!book(from, last, new ArrayList<>(unique.values()), head, latest)) {
            return -1;
        }
        blockRange = Math.min(settings.maxBlockRange(), Math.multiplyExact(blockRange, 2));
        return to + 1;
    }

    /**
     * Credits the range's new deposits and moves the cursor past it, in one ledger transaction
     * (several, cursor in the last, when one block holds more than a ledger batch). Returns false
     * if the chain was halted instead.
     */
    private boolean book(long from, BlockRef last, List<TransferLog> logs, long head, long latest)
            throws SQLException {
        long chainId = settings.chainId();
        Map<DepositKey, String> booked = store.bookedStatuses(chainId, logs.stream().map(TransferLog::key).toList());
        Map<String, Long> owners = store.accountsOf(logs.stream().map(TransferLog::fromAddress).toList());
        List<Booking> bookings = new ArrayList<>();
        List<TransferRequest> transfers = new ArrayList<>();
        for (TransferLog log : logs) {
            if (booked.containsKey(log.key())) {
                continue;
            }
            if (log.amountUnits().compareTo(BigInteger.valueOf(MAX_UNITS)) > 0) {
                String reason = "deposit " + log.txHash() + " (log " + log.logIndex() + ", block " + log.blockNumber()
                    + ") is " + log.amountUnits() + " base units, beyond the ledger's ceiling of " + MAX_UNITS;
                LOG.error("Deposits on chain {} ({}) are halted: {}. Credit it by hand, then resume from block {}.",
                    chainId, settings.name(), reason, log.blockNumber() + 1);
                store.halt(chainId, reason, clock.instant());
                return false;
            }
            long units = log.amountUnits().longValueExact();
            long nano = Math.multiplyExact(units, ChainSettings.NANO_PER_TOKEN_UNIT);
            Long accountId = owners.get(log.fromAddress());
            String credit = accountId == null ? UNASSIGNED_ACCOUNT : Billing.userAccount(accountId);
            if (accountId != null) {
                ledger.ensureAccount(credit, AccountFlags.USER);
            }
            transfers.add(new TransferRequest(depositTransferId(chainId, log.txHash(), log.logIndex()),
                settings.assetAccount(), credit, nano, DEPOSIT_CODE, chainId + ":" + log.txHash() + ":" + log.logIndex()));
            bookings.add(new Booking(log, accountId, units, nano));
        }
        Instant now = clock.instant();
        int chunks = Math.max(1, (bookings.size() + Ledger.MAX_BATCH - 1) / Ledger.MAX_BATCH);
        for (int chunk = 0; chunk < chunks; chunk++) {
            int start = chunk * Ledger.MAX_BATCH;
            int end = Math.min(bookings.size(), start + Ledger.MAX_BATCH);
            List<Booking> someBookings = bookings.subList(start, end);
            boolean lastChunk = chunk == chunks - 1;
            ledger.transferAll(transfers.subList(start, end), connection -> {
                if (lastChunk) {
                    store.advance(connection, chainId, from, last, head, latest, now);
                }
                store.book(connection, chainId, someBookings, now);
                if (lastChunk) {
                    store.dropVanishedPending(connection, chainId, from, last.number());
                }
            });
        }
        for (Booking booking : bookings) {
            TransferLog log = booking.log();
            LOG.info("Deposit of {} USDC on chain {} from {} (tx {}, log {}, block {}) {}", Usdc.format(booking.amountNano()),
                chainId, log.fromAddress(), log.txHash(), log.logIndex(), log.blockNumber(),
                booking.accountId() == null ? "is in review: the address is not a registered wallet"
                    : "credited to account " + booking.accountId());
        }
        return true;
    }

    /** Lists the deposits of blocks [from, latest] as pending, replacing what was listed for them before. */
    private void scanPending(long from, long head, long latest) throws RpcFailure, SQLException {
        // Only the newest blocks, so a chain whose final head lags far behind does not make a pass unbounded.
        long windowFrom = Math.max(from, latest - settings.maxBlockRange() + 1);
        List<TransferLog> seen = new ArrayList<>();
        long at = windowFrom;
        while (at <= latest) {
            long to = Math.min(latest, at + blockRange - 1);
            try {
                seen.addAll(rpc.transferLogs(at, to));
                at = to + 1;
            } catch (RpcFailure.RangeTooLarge e) {
                shrink(at, to, e.getMessage());
            }
        }
        List<TransferLog> unique = new ArrayList<>(unique(seen).values());
        if (unique.size() > MAX_PENDING_SHOWN) {
            unique = unique.subList(0, MAX_PENDING_SHOWN);
        }
        Map<String, Long> owners = store.accountsOf(unique.stream().map(TransferLog::fromAddress).toList());
        List<Sighting> sightings = new ArrayList<>();
        for (TransferLog log : unique) {
            if (log.amountUnits().compareTo(BigInteger.valueOf(MAX_UNITS)) <= 0) {
                sightings.add(new Sighting(log, owners.get(log.fromAddress()), log.amountUnits().longValueExact()));
            }
        }
        store.recordPending(settings.chainId(), windowFrom, head, latest, sightings, clock.instant());
    }

    /**
     * The logs by deposit key, first seen first, without the ones that move nothing or move
     * the treasury's own money. A key answered twice (a provider's duplicate) is one deposit;
     * answered twice with different contents, the answer cannot be trusted.
     */
    private Map<DepositKey, TransferLog> unique(List<TransferLog> logs) throws RpcFailure {
        Map<DepositKey, TransferLog> unique = new LinkedHashMap<>();
        for (TransferLog log : logs) {
            if (log.amountUnits().signum() == 0 || log.fromAddress().equals(settings.treasuryAddress())) {
                continue;
            }
            TransferLog earlier = unique.putIfAbsent(log.key(), log);
            if (earlier != null && !Objects.equals(earlier, log)) {
                throw new RpcFailure.Unavailable("the provider answered log " + log.logIndex() + " of " + log.txHash()
                    + " twice, differently");
            }
        }
        return unique;
    }

    private void shrink(long from, long to, String reason) throws RpcFailure {
        long asked = to - from + 1;
        if (asked <= settings.minBlockRange()) {
            throw new RpcFailure.Unavailable("the provider refuses even " + asked + " block(s) from block " + from
                + " (min-block-range " + settings.minBlockRange() + "): " + reason);
        }
        blockRange = (int) Math.max(settings.minBlockRange(), asked / 2);
        LOG.debug("chain {}: blocks {}-{} refused ({}); asking for {} blocks at a time", settings.chainId(), from, to,
            reason, blockRange);
    }

    private void halt(ChainScan scan, BlockRef now) throws SQLException {
        String reason = "block " + scan.lastBlockNumber() + " was scanned with hash " + scan.lastBlockHash()
            + " and now has hash " + now.hash() + ": a reorg below finality, or an RPC URL serving another chain";
        LOG.error("Deposits on chain {} ({}) are halted: {}. Nothing more is credited on this chain until an admin "
                + "has checked the deposits credited from the reorganised blocks and resumed it "
                + "(POST /admin/chains/{}/resume).", settings.chainId(), settings.name(), reason, settings.chainId());
        store.halt(settings.chainId(), reason, clock.instant());
    }
}
