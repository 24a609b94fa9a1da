package dev.mercato.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.mercato.ledger.AccountFlags;
import dev.mercato.ledger.GroupCommit;
import dev.mercato.ledger.HoldRequest;
import dev.mercato.ledger.Ledger;
import dev.mercato.ledger.SettleRequest;
import dev.mercato.ledger.Settlement;
import dev.mercato.ledger.TransferIds;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.flywaydb.core.Flyway;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Measures the ledger as the gateway uses it: reserve then settle, each through group commit as the
 * gateway's billing submits them, on an embedded PostgreSQL that commits durably (fsync and
 * synchronous commit on), through a pool the size of the gateway's, with the hot accounts rolled up
 * once a second; at saturation and at a fixed open-loop rate. It fails
 * when the ledger's invariants do not hold afterwards, because a fast ledger that loses money
 * measured nothing.
 */
public final class LedgerBenchmark {

    /** Where consumers' money comes from in the benchmark, as equity:dev-credit does for a local marketplace. */
    static final String SOURCE = "equity:bench";
    /** The hot system accounts, named as the gateway names them (dev.mercato.gateway.billing.Billing). */
    static final String CLEARING = "clearing:inference";
    static final String FEE = "revenue:fee";
    /** The one operator every pair is served by, so its earnings account is as hot as it gets. */
    static final String PROVIDER = "provider:1";
    /** What each consumer is funded with: far more than every hold of a long run together (1,000 USDC). */
    static final long FUNDING_NANO = 1_000_000_000_000L;
    /** A hold lives for the gateway's default request deadline plus its grace period (Billing.HOLD_GRACE). */
    static final Duration HOLD_LIFETIME = Duration.ofMinutes(5).plus(Duration.ofMinutes(2));
    /** How often the hot accounts are folded, as the gateway's Billing.rollUp is scheduled. */
    static final Duration ROLL_UP_PERIOD = Duration.ofSeconds(1);
    /** Pairs still running this long after a run ended are stuck, and the run fails. */
    static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(60);
    /** Bounds the roll-ups that empty the backlog between runs (each folds up to ROLL_UP_BATCH_LIMIT postings). */
    static final int MAX_DRAIN_ROLL_UPS = 10_000;
    /** Setting up the accounts may take this long before the benchmark gives up. */
    static final Duration SETUP_TIMEOUT = Duration.ofMinutes(10);
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final LedgerBenchOptions options;
    private final Ledger ledger;
    private final DataSource dataSource;
    private final Clock clock = Clock.systemUTC();
    /** The gateway's default batch and queue bounds (mercato.billing.max-batch and max-queued). */
    static final int MAX_BATCH = 256;
    static final int MAX_QUEUED = 10_000;
    /** The gateway's default {@code mercato.billing.settle-linger}: settles wait this long to share a commit. */
    static final Duration SETTLE_LINGER = Duration.ofMillis(20);

    /** Where group commit completes its callers, like the gateway's blocking executor. */
    private final ExecutorService ledgerCalls = Executors.newVirtualThreadPerTaskExecutor();
    private final GroupCommit<HoldRequest, Void> reserves;
    private final GroupCommit<SettleRequest, Settlement> settles;
    private final AtomicLong sequence = new AtomicLong();
    /** Settles that returned, warm-up included: the database must hold exactly this many settlements. */
    private final LongAdder settlesAcknowledged = new LongAdder();
    /** Reserves that returned but whose settle failed: the database must hold exactly this many live holds. */
    private final LongAdder holdsLeftOpen = new LongAdder();
    /** Calls that failed, warm-up included; after one, the database's counts may rightly differ from ours. */
    private final LongAdder failedCalls = new LongAdder();
    private final AtomicLong rollUpFailures = new AtomicLong();
    private final AtomicReference<String> firstRollUpError = new AtomicReference<>();

    LedgerBenchmark(LedgerBenchOptions options, Ledger ledger, DataSource dataSource) {
        this.options = options;
        this.ledger = ledger;
        this.dataSource = dataSource;
        this.reserves = new GroupCommit<>("ledger-reserves", MAX_BATCH, MAX_QUEUED, Duration.ZERO, ledger::reserveAll,
            ledgerCalls);
        this.settles = new GroupCommit<>("ledger-settles", MAX_BATCH, MAX_QUEUED, SETTLE_LINGER, ledger::settleAll,
            ledgerCalls);
    }

    public static void main(String[] args) throws Exception {
        LedgerBenchOptions options;
        try {
            options = LedgerBenchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("ledger benchmark: " + e.getMessage());
            System.err.print(LedgerBenchOptions.USAGE);
            System.exit(2);
            return;
        }
        if (!runOnEmbeddedPostgres(options)) {
            System.exit(1);
        }
    }

    /** Starts a durable embedded PostgreSQL, migrates it, runs the benchmark on it; true when the money adds up. */
    static boolean runOnEmbeddedPostgres(LedgerBenchOptions options) throws Exception {
        long setupStartNanos = System.nanoTime();
        // The library's defaults are for throwaway tests (fsync off, asynchronous commit); the gateway
        // turns both on because the database holds money, so that is what is measured.
        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                .start();
             HikariDataSource pool = pool(postgres, options.poolSize())) {
            // Flyway would log every migration step through java.util.logging; the benchmark prints its own results.
            Flyway.configure().dataSource(pool).locations(Ledger.MIGRATIONS_LOCATION).loggers("slf4j").load().migrate();
            return new LedgerBenchmark(options, new Ledger(pool, Clock.systemUTC()), pool).run(setupStartNanos);
        }
    }

    private static HikariDataSource pool(EmbeddedPostgres postgres, int poolSize) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(postgres.getJdbcUrl("postgres", "postgres"));
        config.setUsername("postgres");
        config.setMaximumPoolSize(poolSize);
        config.setPoolName("ledger-bench");
        config.setConnectionInitSql(Ledger.CONNECTION_INIT_SQL); // as the gateway's datasource does
        return new HikariDataSource(config);
    }

    /** Sets up the accounts, runs every scenario, checks the ledger; true when the money adds up. */
    boolean run(long setupStartNanos) throws Exception {
        ServerSettings server = serverSettings();
        setUpAccounts();
        double setupSeconds = (double) (System.nanoTime() - setupStartNanos) / NANOS_PER_SECOND;
        System.out.printf("ledger benchmark: PostgreSQL %s (fsync %s, synchronous_commit %s), pool of %d, %d funded users, set up in %.1f s%n",
            server.version(), server.fsync(), server.synchronousCommit(), options.poolSize(), options.users(), setupSeconds);

        List<LedgerRunReport> reports = new ArrayList<>();
        ScheduledExecutorService rollUps = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("ledger-roll-up").daemon().factory());
        try {
            rollUps.scheduleWithFixedDelay(this::rollUpOnce, ROLL_UP_PERIOD.toMillis(), ROLL_UP_PERIOD.toMillis(),
                TimeUnit.MILLISECONDS);
            // The fixed rate first: its latency is measured on a database in its steady state, not one
            // still writing out the checkpoint and vacuum debt that saturation leaves behind.
            reports.add(openLoop(options.ratePerSecond()));
            report(reports.getLast());
            drainBacklog();
            for (int threads : options.saturateThreads()) {
                reports.add(saturate(threads));
                report(reports.getLast());
                drainBacklog();
            }
        } finally {
            reserves.close();
            settles.close();
            ledgerCalls.close();
            rollUps.shutdown();
            if (!rollUps.awaitTermination(DRAIN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                throw new IllegalStateException("the roll-up did not stop within " + DRAIN_TIMEOUT.toSeconds() + " s");
            }
        }
        drainBacklog();

        List<String> violations = ledger.checkInvariants();
        long settlements = count("select count(*) from ledger_settlement");
        long liveHolds = count("select count(*) from ledger_live_hold");
        // Each deadlock costs PostgreSQL's deadlock_timeout (1 s) before a retry; each checkpoint flushes to disk.
        long deadlocks = count("select deadlocks from pg_stat_database where datname = current_database()");
        long checkpoints = count("select num_timed + num_requested from pg_stat_checkpointer");
        boolean countsMatch = settlements == settlesAcknowledged.sum() && liveHolds == holdsLeftOpen.sum();
        // A failed call's outcome is unknown (its commit may have happened), so only a clean run must match exactly.
        boolean passed = violations.isEmpty() && (countsMatch || failedCalls.sum() > 0);
        if (options.jsonDir() != null) {
            Files.createDirectories(options.jsonDir());
            for (LedgerRunReport report : reports) {
                Files.writeString(options.jsonDir().resolve("ledger-" + report.label() + ".json"), report.toJson() + "\n");
            }
            Files.writeString(options.jsonDir().resolve("ledger-run.json"), runJson(server, setupSeconds, reports,
                violations, settlements, liveHolds, deadlocks, checkpoints, passed) + "\n");
        }
        System.out.printf("ledger checks: %d settlements recorded for %d settles acknowledged; %d live holds for %d left open; %d roll-up failures%s%n",
            settlements, settlesAcknowledged.sum(), liveHolds, holdsLeftOpen.sum(), rollUpFailures.get(),
            firstRollUpError.get() == null ? "" : " (first: " + firstRollUpError.get() + ")");
        System.out.printf("PostgreSQL reported %d deadlocks and %d checkpoints since it started%n", deadlocks, checkpoints);
        if (violations.isEmpty()) {
            System.out.println("ledger invariants: all hold");
        } else {
            System.out.println("ledger invariants VIOLATED (" + violations.size() + "):");
            violations.forEach(line -> System.out.println("  " + line));
        }
        if (!countsMatch && failedCalls.sum() == 0) {
            System.out.println("ledger counts do not match what the benchmark was told: money went missing or appeared");
        }
        return passed;
    }

    /** {@code threads} threads each run reserve then settle back to back; the settled rate is the throughput. */
    LedgerRunReport saturate(int threads) throws InterruptedException {
        LedgerMeasurements measurements = new LedgerMeasurements();
        long startNanos = System.nanoTime();
        long measureStartNanos = startNanos + TimeUnit.SECONDS.toNanos(options.warmupSeconds());
        long measureEndNanos = measureStartNanos + TimeUnit.SECONDS.toNanos(options.durationSeconds());
        MachineCpu cpu = new MachineCpu(options.clockTicksPerSecond());
        try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < threads; t++) {
                workers.execute(() -> {
                    long pairStartNanos;
                    while ((pairStartNanos = System.nanoTime()) < measureEndNanos) {
                        runPair(pairStartNanos, pairStartNanos >= measureStartNanos, measurements);
                    }
                });
            }
            OpenLoopSchedule.sleepUntil(measureStartNanos);
            cpu.start();
            OpenLoopSchedule.sleepUntil(measureEndNanos);
            awaitDrain(workers);
        }
        CpuUsage usage = cpu.stop();
        return LedgerRunReport.from("saturate-" + threads, "saturate", threads, 0,
            (double) (measureEndNanos - measureStartNanos) / NANOS_PER_SECOND, measurements, usage, deltaBacklog());
    }

    /**
     * Starts pair i at start + i / rate whether or not the earlier ones are done; a pair that would
     * exceed {@code maxInFlight} outstanding ones is dropped and counted, never queued.
     */
    LedgerRunReport openLoop(double ratePerSecond) throws InterruptedException {
        LedgerMeasurements measurements = new LedgerMeasurements();
        long startNanos = System.nanoTime();
        long measureStartNanos = startNanos + TimeUnit.SECONDS.toNanos(options.warmupSeconds());
        long measureEndNanos = measureStartNanos + TimeUnit.SECONDS.toNanos(options.durationSeconds());
        OpenLoopSchedule schedule = new OpenLoopSchedule(startNanos, ratePerSecond);
        MachineCpu cpu = new MachineCpu(options.clockTicksPerSecond());
        try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
            schedule.dispatch(workers, measureStartNanos, measureEndNanos, options.maxInFlight(), cpu::startOnce,
                measurements::recordDropped, (dueNanos, measured) -> runPair(dueNanos, measured, measurements));
            awaitDrain(workers);
        }
        CpuUsage usage = cpu.stop();
        String rateText = ratePerSecond == Math.rint(ratePerSecond) ? Long.toString((long) ratePerSecond)
            : Double.toString(ratePerSecond);
        return LedgerRunReport.from("rate-" + rateText, "rate", 0, ratePerSecond,
            (double) (measureEndNanos - measureStartNanos) / NANOS_PER_SECOND, measurements, usage, deltaBacklog());
    }

    /** One request's money, as the gateway moves it: reserve the maximum, then settle the actual cost. */
    private void runPair(long dueNanos, boolean measured, LedgerMeasurements measurements) {
        LedgerPair pair = LedgerPair.random(sequence.getAndIncrement(), options.users(), ThreadLocalRandom.current());
        Instant expiresAt = clock.instant().plus(HOLD_LIFETIME);
        try {
            reserves.submit(new HoldRequest(pair.holdId(), pair.userKey(), CLEARING, pair.holdNano(), expiresAt,
                "inference", pair.holdId().toString())).join();
        } catch (CompletionException e) {
            failedCalls.increment();
            if (measured) {
                measurements.recordReserveError(unwrap(e));
            }
            return;
        }
        long reservedNanos = System.nanoTime();
        try {
            settles.submit(new SettleRequest(pair.holdId(), pair.costNano(), PROVIDER, FEE, pair.shareNano())).join();
        } catch (CompletionException e) {
            failedCalls.increment();
            holdsLeftOpen.increment();
            if (measured) {
                measurements.recordSettleError(unwrap(e));
            }
            return;
        }
        long settledNanos = System.nanoTime();
        settlesAcknowledged.increment();
        if (measured) {
            measurements.recordSettled(dueNanos, reservedNanos, settledNanos);
        }
    }

    private static RuntimeException unwrap(CompletionException e) {
        return e.getCause() instanceof RuntimeException cause ? cause : e;
    }

    /** The system accounts, then every user funded from the source, in parallel over the pool. */
    private void setUpAccounts() throws InterruptedException {
        ledger.ensureAccount(SOURCE, AccountFlags.SOURCE);
        ledger.ensureAccount(CLEARING, AccountFlags.SYSTEM);
        ledger.ensureAccount(FEE, AccountFlags.SYSTEM);
        ledger.ensureAccount(PROVIDER, AccountFlags.PROVIDER);
        List<Future<?>> funded = new ArrayList<>();
        try (ExecutorService setup = Executors.newFixedThreadPool(options.poolSize(),
                Thread.ofPlatform().name("ledger-setup-", 0).daemon().factory())) {
            for (int user = 1; user <= options.users(); user++) {
                String key = LedgerPair.userKey(user);
                funded.add(setup.submit(() -> {
                    ledger.ensureAccount(key, AccountFlags.USER);
                    ledger.transfer(TransferIds.of("bench-funding", key), SOURCE, key, FUNDING_NANO, "dev_credit", "bench");
                }));
            }
            setup.shutdown();
            if (!setup.awaitTermination(SETUP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                setup.shutdownNow();
                throw new IllegalStateException("funding " + options.users() + " users took longer than "
                    + SETUP_TIMEOUT.toSeconds() + " s");
            }
        }
        for (Future<?> done : funded) {
            try {
                done.get();
            } catch (ExecutionException e) {
                throw new IllegalStateException("could not fund the benchmark's users", e.getCause());
            }
        }
    }

    /** One scheduled roll-up, as the gateway's; a failure is counted, never allowed to cancel the schedule. */
    private void rollUpOnce() {
        try {
            ledger.rollUp();
        } catch (RuntimeException e) {
            rollUpFailures.incrementAndGet();
            firstRollUpError.compareAndSet(null, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /** Folds every batched posting left, so the next run starts as the gateway would after a quiet moment. */
    private void drainBacklog() {
        for (int rollUps = 0; rollUps < MAX_DRAIN_ROLL_UPS; rollUps++) {
            if (ledger.rollUp() == 0) {
                return;
            }
        }
        throw new IllegalStateException("the roll-up backlog did not empty after " + MAX_DRAIN_ROLL_UPS + " roll-ups");
    }

    private long deltaBacklog() {
        return count("select count(*) from ledger_account_delta");
    }

    private long count(String sql) {
        try (Connection connection = dataSource.getConnection();
             Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery(sql)) {
            row.next();
            return row.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot run " + sql, e);
        }
    }

    /** The server's version and the two settings that make a commit durable, as PostgreSQL reports them. */
    record ServerSettings(String version, String fsync, String synchronousCommit) {
    }

    private ServerSettings serverSettings() {
        try (Connection connection = dataSource.getConnection();
             Statement statement = connection.createStatement()) {
            return new ServerSettings(show(statement, "server_version"), show(statement, "fsync"),
                show(statement, "synchronous_commit"));
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the server's settings", e);
        }
    }

    private static String show(Statement statement, String setting) throws SQLException {
        try (ResultSet row = statement.executeQuery("show " + setting)) {
            row.next();
            return row.getString(1);
        }
    }

    private static void awaitDrain(ExecutorService workers) throws InterruptedException {
        workers.shutdown();
        if (!workers.awaitTermination(DRAIN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            workers.shutdownNow();
            throw new IllegalStateException("ledger calls were still running " + DRAIN_TIMEOUT.toSeconds()
                + " s after the run ended");
        }
    }

    private static void report(LedgerRunReport report) {
        System.out.print(report.toText());
        System.out.flush();
    }

    private String runJson(ServerSettings server, double setupSeconds, List<LedgerRunReport> reports,
                           List<String> violations, long settlements, long liveHolds, long deadlocks,
                           long checkpoints, boolean passed) {
        JsonWriter json = new JsonWriter().beginObject()
            .field("postgresVersion", server.version())
            .field("fsync", server.fsync())
            .field("synchronousCommit", server.synchronousCommit())
            .field("poolSize", options.poolSize())
            .field("users", options.users())
            .field("warmupSeconds", options.warmupSeconds())
            .field("durationSeconds", options.durationSeconds())
            .field("setupSeconds", setupSeconds)
            .field("rollUpPeriodMillis", ROLL_UP_PERIOD.toMillis())
            .field("rollUpBatchLimit", Ledger.ROLL_UP_BATCH_LIMIT)
            .field("providerShareBps", LedgerPair.PROVIDER_SHARE_BPS);
        json.name("runs").beginArray();
        for (LedgerRunReport report : reports) {
            json.value(report.label());
        }
        json.endArray()
            .field("settlesAcknowledged", settlesAcknowledged.sum())
            .field("settlementsRecorded", settlements)
            .field("holdsLeftOpen", holdsLeftOpen.sum())
            .field("liveHolds", liveHolds)
            .field("failedCalls", failedCalls.sum())
            .field("rollUpFailures", rollUpFailures.get())
            .field("firstRollUpError", firstRollUpError.get())
            .field("deadlocks", deadlocks)
            .field("checkpoints", checkpoints);
        json.name("invariantViolations").beginArray();
        violations.forEach(json::value);
        json.endArray().field("passed", passed);
        return json.endObject().toString();
    }

    /** Busy time of this JVM and of all CPUs over one run's measured window, from /proc. */
    private static final class MachineCpu {
        private final ProcessCpu self;
        private boolean started;
        private long startNanos;
        private long selfStartTicks;
        private long machineStartTicks;

        MachineCpu(int clockTicksPerSecond) {
            this.self = new ProcessCpu(List.of(ProcessHandle.current().pid()), clockTicksPerSecond, Path.of("/proc"));
        }

        void start() {
            started = true;
            try {
                startNanos = System.nanoTime();
                selfStartTicks = self.totalTicks();
                machineStartTicks = self.machineBusyTicks();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the CPU time from /proc", e);
            }
        }

        void startOnce() {
            if (!started) {
                start();
            }
        }

        CpuUsage stop() {
            if (!started) {
                return CpuUsage.NONE;
            }
            try {
                long selfTicks = self.totalTicks() - selfStartTicks;
                long machineTicks = self.machineBusyTicks() - machineStartTicks;
                double windowSeconds = (double) (System.nanoTime() - startNanos) / NANOS_PER_SECOND;
                return new CpuUsage(List.of(), -1, self.seconds(selfTicks), self.seconds(machineTicks), windowSeconds,
                    self.machineCpuCount());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the CPU time from /proc", e);
            }
        }
    }
}
