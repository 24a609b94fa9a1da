package dev.mercato.ledger;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The ledger (ledger.md): accounts, single-phase transfers, holds that are reserved, settled or
 * released, the sweeper for expired holds, the roll-up of batched postings, and the invariant
 * check. Money is integer nano-USDC; every transfer id is an idempotency key; every operation is
 * one PostgreSQL transaction, retried on serialization failures and deadlocks.
 */
public final class Ledger {

    /** Where the ledger's Flyway migrations (V100 and up) are; add it to the owner's Flyway locations. */
    public static final String MIGRATIONS_LOCATION = "classpath:db/ledger";

    /**
     * The longest the owner may leave between two {@link #sweepExpiredHolds()} calls.
     * {@link #checkInvariants()} reports a live hold that expired longer ago than this.
     */
    public static final Duration MAX_SWEEP_PERIOD = Duration.ofSeconds(10);

    /** The most deltas one {@link #rollUp()} folds, so one roll-up transaction stays short. */
    public static final int ROLL_UP_BATCH_LIMIT = 10_000;

    /** Expired holds read per round of a sweep. */
    static final int SWEEP_BATCH_SIZE = 500;

    /** Rounds per sweep call (up to 500,000 holds); the next call continues where this one stopped. */
    static final int MAX_SWEEP_ROUNDS = 1_000;

    /** Accounts whose ids and flags are remembered; the cache is emptied when it is full. */
    static final int MAX_CACHED_ACCOUNTS = 65_536;

    static final int MAX_KEY_CHARS = 200;
    static final int MAX_USER_DATA_CHARS = 1_000;

    /** The code of a settlement's transfer from the clearing account to the serving operator. */
    public static final String SHARE_CODE = "provider_share";

    /** The code of a settlement's transfer from the clearing account to the platform's fee account. */
    public static final String FEE_CODE = "platform_fee";

    // Namespaces of the ids derived from a hold id; changing one would break idempotency for stored holds.
    static final String POST_IDS = "ledger.post";
    static final String VOID_IDS = "ledger.void";
    static final String SHARE_IDS = "ledger.share";
    static final String FEE_IDS = "ledger.fee";

    private static final Pattern ACCOUNT_KEY = Pattern.compile("[a-z][a-z0-9_-]*(:[A-Za-z0-9_.-]+)+");
    private static final Pattern CODE = Pattern.compile("[a-z][a-z0-9_]{0,62}");

    private final Transactions transactions;
    private final Clock clock;
    private final Map<String, Account> accountsByKey = new ConcurrentHashMap<>();

    public Ledger(DataSource dataSource, Clock clock) {
        this.transactions = new Transactions(Objects.requireNonNull(dataSource, "dataSource"));
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Creates the account if absent (idempotent); returns its id.
     *
     * @throws IllegalArgumentException if the key is malformed, or the account exists with other flags
     */
    public long ensureAccount(String key, AccountFlags flags) {
        requireKey(key);
        Objects.requireNonNull(flags, "flags");
        Account account = accountsByKey.get(key);
        if (account == null) {
            account = transactions.run("ensure account " + key, connection -> insertOrFindAccount(connection, key, flags));
            remember(account);
        }
        if (!account.flags().equals(flags)) {
            throw new IllegalArgumentException("account " + key + " exists with " + account.flags() + ", not " + flags);
        }
        return account.id();
    }

    /**
     * A single-phase transfer, idempotent on {@code id}.
     *
     * @throws InsufficientBalance if the debit account's balance flag refuses it
     * @throws TransferConflict if {@code id} exists with different fields
     */
    public void transfer(UUID id, String debitKey, String creditKey, long amountNano, String code, String userData) {
        Objects.requireNonNull(id, "id");
        requireTransferFields(debitKey, creditKey, amountNano, code, userData);
        transactions.run("transfer " + id, connection -> {
            Transfer transfer = new Transfer(id, account(connection, debitKey), account(connection, creditKey),
                amountNano, code, Transfer.Phase.SINGLE, null, null, userData);
            List<Transfer.Move> moves = transfer.moves(0);
            Postings.Locked locked = Postings.lock(connection, moves);
            if (insert(connection, transfer)) {
                Postings.apply(connection, locked, moves);
            } else {
                requireSameAsStored(connection, transfer);
            }
            return null;
        });
    }

    /**
     * A pending hold, idempotent on {@code holdId}: moves {@code amountNano} into the debit account's
     * debits pending and the credit account's credits pending until it is settled, released or swept.
     * {@code expiresAt} is kept to the microsecond.
     *
     * @throws InsufficientBalance (balanceNano, neededNano) if the debit account cannot cover it
     * @throws TransferConflict if {@code holdId} exists with different fields
     * @throws IllegalArgumentException if a new hold would already have expired
     */
    public void reserve(UUID holdId, String debitKey, String creditKey, long amountNano, Instant expiresAt,
                        String code, String userData) {
        Objects.requireNonNull(holdId, "holdId");
        Objects.requireNonNull(expiresAt, "expiresAt");
        requireTransferFields(debitKey, creditKey, amountNano, code, userData);
        Instant expiry = expiresAt.truncatedTo(ChronoUnit.MICROS);
        transactions.run("reserve " + holdId, connection -> {
            Transfer hold = new Transfer(holdId, account(connection, debitKey), account(connection, creditKey),
                amountNano, code, Transfer.Phase.PENDING, null, expiry, userData);
            List<Transfer.Move> moves = hold.moves(0);
            Postings.Locked locked = Postings.lock(connection, moves);
            if (!insert(connection, hold)) {
                requireSameAsStored(connection, hold);
                return null;
            }
            Instant now = now();
            if (!expiry.isAfter(now)) {
                throw new IllegalArgumentException("hold " + holdId + " would expire at " + expiry
                    + ", which is not after now (" + now + ")");
            }
            Postings.apply(connection, locked, moves);
            insertLiveHold(connection, holdId, expiry);
            return null;
        });
    }

    /**
     * Posts a hold with the actual cost and, in the same transaction, moves {@code shareNano} from
     * the hold's credit (clearing) account to {@code providerKey} and the rest to {@code feeKey}.
     * The posted amount is min(costNano, held): a cost above the hold posts the hold in full and
     * returns the difference as the overage, so {@code shareNano} is a share of the posted amount
     * and must not exceed it. Idempotent: a second call with the same {@code holdId} is a no-op
     * returning the first result. A hold already voided (released, or swept after it expired)
     * charges nothing: the result posts 0 and returns the whole cost as the overage.
     *
     * @throws IllegalArgumentException if there is no such hold, costNano ≤ 0, or shareNano is
     *     negative or above the posted amount
     */
    public Settlement settle(UUID holdId, long costNano, String providerKey, String feeKey, long shareNano) {
        Objects.requireNonNull(holdId, "holdId");
        if (costNano <= 0) {
            throw new IllegalArgumentException("cost must be positive, was " + costNano + " nano; release the hold instead");
        }
        if (shareNano < 0) {
            throw new IllegalArgumentException("provider share must not be negative, was " + shareNano + " nano");
        }
        requireKey(providerKey);
        requireKey(feeKey);
        return transactions.run("settle " + holdId, connection -> {
            Transfer hold = requireHold(connection, holdId);
            Account clearing = hold.credit();
            if (providerKey.equals(clearing.key()) || feeKey.equals(clearing.key())) {
                throw new IllegalArgumentException("provider and fee accounts must differ from the hold's credit account "
                    + clearing.key());
            }
            long postedNano = Math.min(costNano, hold.amountNano());
            if (shareNano > postedNano) {
                return resolvedOutcome(connection, holdId, costNano).orElseThrow(() -> new IllegalArgumentException(
                    "provider share " + shareNano + " nano exceeds the posted amount " + postedNano + " nano of hold " + holdId));
            }
            long feeNano = postedNano - shareNano;
            String holdText = holdId.toString();
            Transfer post = new Transfer(TransferIds.of(POST_IDS, holdText), hold.debit(), clearing, postedNano,
                hold.code(), Transfer.Phase.POST, holdId, null, hold.userData());
            Transfer share = shareNano == 0 ? null : new Transfer(TransferIds.of(SHARE_IDS, holdText), clearing,
                account(connection, providerKey), shareNano, SHARE_CODE, Transfer.Phase.SINGLE, null, null, hold.userData());
            Transfer fee = feeNano == 0 ? null : new Transfer(TransferIds.of(FEE_IDS, holdText), clearing,
                account(connection, feeKey), feeNano, FEE_CODE, Transfer.Phase.SINGLE, null, null, hold.userData());
            List<Transfer.Move> moves = new ArrayList<>(post.moves(hold.amountNano()));
            for (Transfer split : new Transfer[] {share, fee}) {
                if (split != null) {
                    moves.addAll(split.moves(0));
                }
            }
            Postings.Locked locked = Postings.lock(connection, moves);
            if (!insert(connection, post)) {
                return resolvedOutcome(connection, holdId, costNano).orElseThrow(() -> new IllegalStateException(
                    "the post of hold " + holdId + " was refused, yet the hold is not resolved"));
            }
            for (Transfer split : new Transfer[] {share, fee}) {
                if (split != null && !insert(connection, split)) {
                    throw new IllegalStateException("transfer " + split.id() + " of the settlement of hold " + holdId
                        + " exists although the hold was not posted");
                }
            }
            deleteLiveHold(connection, holdId);
            Settlement settlement = new Settlement(postedNano, costNano - postedNano, shareNano, feeNano);
            insertSettlement(connection, holdId, post.id(), share == null ? null : share.id(),
                fee == null ? null : fee.id(), costNano, settlement);
            Postings.apply(connection, locked, moves);
            return settlement;
        });
    }

    /**
     * Releases a hold without charge (voids it); idempotent, and a no-op on a hold already settled or voided.
     *
     * @throws IllegalArgumentException if there is no such hold
     */
    public void release(UUID holdId) {
        Objects.requireNonNull(holdId, "holdId");
        transactions.run("release " + holdId, connection -> voidHold(connection, requireHold(connection, holdId)));
    }

    /** An account's counters, batched deltas included. @throws IllegalArgumentException if there is no such account */
    public AccountBalance balance(String key) {
        requireKey(key);
        return transactions.run("balance of " + key, connection -> {
            Map<Long, Counters> found = Postings.current(connection, "where a.key = ?", key);
            if (found.isEmpty()) {
                throw new IllegalArgumentException("no ledger account " + key);
            }
            return found.values().iterator().next().toBalance();
        });
    }

    /**
     * Voids every live hold whose expiry is not after now, each in its own transaction; returns how
     * many this call voided (a hold resolved meanwhile by someone else is not counted). Call it at
     * least every {@link #MAX_SWEEP_PERIOD}.
     */
    public int sweepExpiredHolds() {
        int voided = 0;
        for (int round = 0; round < MAX_SWEEP_ROUNDS; round++) {
            Instant now = now();
            List<UUID> due = transactions.run("find expired holds", connection -> expiredHolds(connection, now));
            for (UUID holdId : due) {
                boolean voidedNow = transactions.run("void expired hold " + holdId,
                    connection -> voidHold(connection, requireHold(connection, holdId)));
                if (voidedNow) {
                    voided++;
                }
            }
            if (due.size() < SWEEP_BATCH_SIZE) {
                break;
            }
        }
        return voided;
    }

    /**
     * Folds up to {@link #ROLL_UP_BATCH_LIMIT} of the oldest batched deltas into their account rows
     * in one transaction; returns how many were folded. Balances read the same before and after.
     */
    public int rollUp() {
        return transactions.run("roll up batched postings", connection -> Postings.rollUp(connection, ROLL_UP_BATCH_LIMIT));
    }

    /**
     * Checks ledger.md's invariants 1, 2, 3, 4, 5 and 7 on one consistent snapshot; returns one line
     * per violation, empty when all hold. It reads every transfer: an audit, not a hot-path call.
     */
    public List<String> checkInvariants() {
        Instant overdueBefore = now().minus(MAX_SWEEP_PERIOD);
        return transactions.run("check invariants", connection -> Invariants.check(connection, overdueBefore));
    }

    private boolean voidHold(Connection connection, Transfer hold) throws SQLException {
        Transfer voiding = new Transfer(TransferIds.of(VOID_IDS, hold.id().toString()), hold.debit(), hold.credit(),
            hold.amountNano(), hold.code(), Transfer.Phase.VOID, hold.id(), null, hold.userData());
        List<Transfer.Move> moves = voiding.moves(hold.amountNano());
        Postings.Locked locked = Postings.lock(connection, moves);
        if (!insert(connection, voiding)) {
            return false;
        }
        deleteLiveHold(connection, hold.id());
        Postings.apply(connection, locked, moves);
        return true;
    }

    /** The result of an earlier settle of this hold, or nothing charged when it was voided; empty while it is live. */
    private static Optional<Settlement> resolvedOutcome(Connection connection, UUID holdId, long costNano) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("""
                select posted_nano, overage_nano, share_nano, fee_nano from ledger_settlement where hold_id = ?""")) {
            select.setObject(1, holdId);
            try (ResultSet row = select.executeQuery()) {
                if (row.next()) {
                    return Optional.of(new Settlement(row.getLong(1), row.getLong(2), row.getLong(3), row.getLong(4)));
                }
            }
        }
        try (PreparedStatement select = connection.prepareStatement("select phase from ledger_transfer where pending_id = ?")) {
            select.setObject(1, holdId);
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                if (Transfer.Phase.ofSql(row.getString(1)) != Transfer.Phase.VOID) {
                    throw new IllegalStateException("hold " + holdId + " was posted without a settlement");
                }
                return Optional.of(new Settlement(0, costNano, 0, 0));
            }
        }
    }

    private Transfer requireHold(Connection connection, UUID holdId) throws SQLException {
        Transfer hold = findTransfer(connection, holdId);
        if (hold == null) {
            throw new IllegalArgumentException("no hold " + holdId);
        }
        if (hold.phase() != Transfer.Phase.PENDING) {
            throw new IllegalArgumentException("transfer " + holdId + " is a " + hold.phase().sql + " transfer, not a hold");
        }
        return hold;
    }

    private void requireSameAsStored(Connection connection, Transfer requested) throws SQLException {
        Transfer stored = findTransfer(connection, requested.id());
        if (stored == null) {
            throw new IllegalStateException("transfer " + requested.id() + " was refused as a duplicate but is not stored");
        }
        String difference = requested.firstDifference(stored);
        if (difference != null) {
            throw new TransferConflict(requested.id(), difference);
        }
    }

    private Transfer findTransfer(Connection connection, UUID id) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("""
                select t.amount_nano, t.code, t.phase, t.pending_id, t.expires_at, t.user_data,
                       d.id, d.key, d.debits_must_not_exceed_credits, d.credits_must_not_exceed_debits, d.batched,
                       c.id, c.key, c.debits_must_not_exceed_credits, c.credits_must_not_exceed_debits, c.batched
                from ledger_transfer t
                join ledger_account d on d.id = t.debit_account_id
                join ledger_account c on c.id = t.credit_account_id
                where t.id = ?""")) {
            select.setObject(1, id);
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    return null;
                }
                OffsetDateTime expiresAt = row.getObject(5, OffsetDateTime.class);
                return new Transfer(id, readAccount(row, 7), readAccount(row, 12), row.getLong(1), row.getString(2),
                    Transfer.Phase.ofSql(row.getString(3)), row.getObject(4, UUID.class),
                    expiresAt == null ? null : expiresAt.toInstant(), row.getString(6));
            }
        }
    }

    private boolean insert(Connection connection, Transfer transfer) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("""
                insert into ledger_transfer (id, debit_account_id, credit_account_id, amount_nano, code, phase,
                                             pending_id, expires_at, user_data, created_at)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                on conflict do nothing""")) {
            insert.setQueryTimeout(Postings.LOCK_WAIT_SECONDS);
            insert.setObject(1, transfer.id());
            insert.setLong(2, transfer.debit().id());
            insert.setLong(3, transfer.credit().id());
            insert.setLong(4, transfer.amountNano());
            insert.setString(5, transfer.code());
            insert.setString(6, transfer.phase().sql);
            insert.setObject(7, transfer.pendingId());
            insert.setObject(8, transfer.expiresAt() == null ? null : sqlTime(transfer.expiresAt()));
            insert.setString(9, transfer.userData());
            insert.setObject(10, sqlTime(now()));
            return insert.executeUpdate() == 1;
        }
    }

    private static void insertLiveHold(Connection connection, UUID holdId, Instant expiresAt) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(
                "insert into ledger_live_hold (transfer_id, expires_at) values (?, ?)")) {
            insert.setObject(1, holdId);
            insert.setObject(2, sqlTime(expiresAt));
            insert.executeUpdate();
        }
    }

    private static void deleteLiveHold(Connection connection, UUID holdId) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement("delete from ledger_live_hold where transfer_id = ?")) {
            delete.setObject(1, holdId);
            if (delete.executeUpdate() != 1) {
                throw new IllegalStateException("hold " + holdId + " was resolved but was not in the live holds");
            }
        }
    }

    private void insertSettlement(Connection connection, UUID holdId, UUID postId, UUID shareId, UUID feeId,
                                  long costNano, Settlement settlement) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("""
                insert into ledger_settlement (hold_id, post_id, share_id, fee_id, cost_nano, posted_nano, overage_nano,
                                               share_nano, fee_nano, created_at)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
            insert.setObject(1, holdId);
            insert.setObject(2, postId);
            insert.setObject(3, shareId);
            insert.setObject(4, feeId);
            insert.setLong(5, costNano);
            insert.setLong(6, settlement.postedNano());
            insert.setLong(7, settlement.overageNano());
            insert.setLong(8, settlement.shareNano());
            insert.setLong(9, settlement.feeNano());
            insert.setObject(10, sqlTime(now()));
            insert.executeUpdate();
        }
    }

    private static List<UUID> expiredHolds(Connection connection, Instant now) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("""
                select transfer_id from ledger_live_hold where expires_at <= ?
                order by expires_at, transfer_id limit ?""")) {
            select.setObject(1, sqlTime(now));
            select.setInt(2, SWEEP_BATCH_SIZE);
            List<UUID> due = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    due.add(rows.getObject(1, UUID.class));
                }
            }
            return due;
        }
    }

    private Account insertOrFindAccount(Connection connection, String key, AccountFlags flags) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("""
                insert into ledger_account (key, debits_must_not_exceed_credits, credits_must_not_exceed_debits, batched,
                                            created_at)
                values (?, ?, ?, ?, ?)
                on conflict (key) do nothing
                returning id""")) {
            insert.setString(1, key);
            insert.setBoolean(2, flags.debitsMustNotExceedCredits());
            insert.setBoolean(3, flags.creditsMustNotExceedDebits());
            insert.setBoolean(4, flags.batched());
            insert.setObject(5, sqlTime(now()));
            try (ResultSet row = insert.executeQuery()) {
                if (row.next()) {
                    return new Account(row.getLong(1), key, flags);
                }
            }
        }
        Account existing = findAccount(connection, key);
        if (existing == null) {
            throw new IllegalStateException("account " + key + " was refused as a duplicate but is not stored");
        }
        return existing;
    }

    private Account account(Connection connection, String key) throws SQLException {
        Account account = accountsByKey.get(key);
        if (account != null) {
            return account;
        }
        account = findAccount(connection, key);
        if (account == null) {
            throw new IllegalArgumentException("no ledger account " + key + "; create it with ensureAccount first");
        }
        remember(account);
        return account;
    }

    private static Account findAccount(Connection connection, String key) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("""
                select id, key, debits_must_not_exceed_credits, credits_must_not_exceed_debits, batched
                from ledger_account where key = ?""")) {
            select.setString(1, key);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? readAccount(row, 1) : null;
            }
        }
    }

    private static Account readAccount(ResultSet row, int firstColumn) throws SQLException {
        return new Account(row.getLong(firstColumn), row.getString(firstColumn + 1), new AccountFlags(
            row.getBoolean(firstColumn + 2), row.getBoolean(firstColumn + 3), row.getBoolean(firstColumn + 4)));
    }

    private void remember(Account account) {
        if (accountsByKey.size() >= MAX_CACHED_ACCOUNTS) {
            accountsByKey.clear();
        }
        accountsByKey.put(account.key(), account);
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    private static OffsetDateTime sqlTime(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static void requireTransferFields(String debitKey, String creditKey, long amountNano, String code,
                                              String userData) {
        requireKey(debitKey);
        requireKey(creditKey);
        if (debitKey.equals(creditKey)) {
            throw new IllegalArgumentException("a transfer needs two different accounts, got " + debitKey + " twice");
        }
        if (amountNano <= 0) {
            throw new IllegalArgumentException("amount must be positive, was " + amountNano + " nano");
        }
        if (code == null || !CODE.matcher(code).matches()) {
            throw new IllegalArgumentException("transfer code must be lower-case letters, digits and _, at most 63, was "
                + code);
        }
        if (userData != null && userData.length() > MAX_USER_DATA_CHARS) {
            throw new IllegalArgumentException("user data is limited to " + MAX_USER_DATA_CHARS + " characters, was "
                + userData.length());
        }
    }

    private static void requireKey(String key) {
        if (key == null || key.length() > MAX_KEY_CHARS || !ACCOUNT_KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("an account key looks like kind:id (e.g. user:42), at most "
                + MAX_KEY_CHARS + " characters, was " + key);
        }
    }
}
