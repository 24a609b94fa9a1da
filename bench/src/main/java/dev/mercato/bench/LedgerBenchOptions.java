package dev.mercato.bench;

import static dev.mercato.bench.Flags.check;
import static dev.mercato.bench.Flags.integer;
import static dev.mercato.bench.Flags.number;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The ledger benchmark's command line, checked against its limits.
 *
 * @param saturateThreads  one saturation run per entry, with that many threads each doing reserve then settle
 * @param ratePerSecond    reserve + settle pairs per second of the open-loop run
 * @param jsonDir          where ledger-*.json go; none written when null
 */
record LedgerBenchOptions(List<Integer> saturateThreads, double ratePerSecond, int warmupSeconds,
                          int durationSeconds, int users, int poolSize, int maxInFlight, int clockTicksPerSecond,
                          Path jsonDir) {

    static final int MAX_DURATION_SECONDS = 3600;
    static final int MAX_THREADS = 1024;
    static final int MAX_SATURATION_RUNS = 8;
    static final double MAX_RATE_PER_SECOND = 100_000;
    static final int MAX_USERS = 100_000;
    static final int MAX_POOL_SIZE = 256;
    static final int MAX_IN_FLIGHT = 65_536;

    static final int DEFAULT_WARMUP_SECONDS = 5;
    static final int DEFAULT_DURATION_SECONDS = 20;
    static final int QUICK_WARMUP_SECONDS = 1;
    static final int QUICK_DURATION_SECONDS = 4;

    static final String USAGE = """
        usage: java -cp bench-all.jar dev.mercato.bench.LedgerBenchmark [options]
          --quick                   1 s warm-up and 4 s measured per run, to check that it works
          --threads N[,N...]        one saturation run per count of reserve-then-settle threads (default 32,256)
          --rate N                  open-loop run: N reserve + settle pairs per second, reserve latency
                                    measured from each pair's scheduled start (default 300)
          --warmup-seconds S        load before measuring each run, not recorded (default 5)
          --duration-seconds S      measured time of each run (default 20)
          --users N                 funded consumer accounts the pairs pick from at random (default 2000)
          --pool-size N             JDBC connections, as the gateway's pool (default 16)
          --max-in-flight N         open-loop bound; pairs due beyond it are dropped and counted (default 1024)
          --clock-ticks N           clock ticks per second of /proc/stat, from `getconf CLK_TCK` (default 100)
          --json-dir DIR            write ledger-*.json there
        """;

    static LedgerBenchOptions parse(String[] args) {
        List<Integer> threads = List.of(32, 256);
        double rate = 300;
        Integer warmupSeconds = null;
        Integer durationSeconds = null;
        boolean quick = false;
        int users = 2_000;
        int poolSize = 16;
        int maxInFlight = 1024;
        int clockTicks = 100;
        Path jsonDir = null;
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            switch (flag) {
                case "--quick" -> quick = true;
                case "--threads" -> threads = integers(valueOf(args, ++i, flag), flag);
                case "--rate" -> rate = number(valueOf(args, ++i, flag), flag);
                case "--warmup-seconds" -> warmupSeconds = integer(valueOf(args, ++i, flag), flag);
                case "--duration-seconds" -> durationSeconds = integer(valueOf(args, ++i, flag), flag);
                case "--users" -> users = integer(valueOf(args, ++i, flag), flag);
                case "--pool-size" -> poolSize = integer(valueOf(args, ++i, flag), flag);
                case "--max-in-flight" -> maxInFlight = integer(valueOf(args, ++i, flag), flag);
                case "--clock-ticks" -> clockTicks = integer(valueOf(args, ++i, flag), flag);
                case "--json-dir" -> jsonDir = Path.of(valueOf(args, ++i, flag));
                default -> throw new IllegalArgumentException("unknown flag " + flag);
            }
        }
        int warmup = warmupSeconds != null ? warmupSeconds : quick ? QUICK_WARMUP_SECONDS : DEFAULT_WARMUP_SECONDS;
        int duration = durationSeconds != null ? durationSeconds : quick ? QUICK_DURATION_SECONDS : DEFAULT_DURATION_SECONDS;
        check(!threads.isEmpty() && threads.size() <= MAX_SATURATION_RUNS,
            "--threads takes 1 to " + MAX_SATURATION_RUNS + " counts");
        check(threads.stream().allMatch(t -> t >= 1 && t <= MAX_THREADS), "--threads counts between 1 and " + MAX_THREADS);
        check(rate > 0 && rate <= MAX_RATE_PER_SECOND, "--rate above 0 and at most " + MAX_RATE_PER_SECOND);
        check(warmup >= 0 && warmup <= MAX_DURATION_SECONDS, "--warmup-seconds between 0 and " + MAX_DURATION_SECONDS);
        check(duration >= 1 && duration <= MAX_DURATION_SECONDS, "--duration-seconds between 1 and " + MAX_DURATION_SECONDS);
        check(users >= 1 && users <= MAX_USERS, "--users between 1 and " + MAX_USERS);
        check(poolSize >= 1 && poolSize <= MAX_POOL_SIZE, "--pool-size between 1 and " + MAX_POOL_SIZE);
        check(maxInFlight >= 1 && maxInFlight <= MAX_IN_FLIGHT, "--max-in-flight between 1 and " + MAX_IN_FLIGHT);
        check(clockTicks >= 1, "--clock-ticks at least 1");
        return new LedgerBenchOptions(threads, rate, warmup, duration, users, poolSize, maxInFlight, clockTicks, jsonDir);
    }

    private static String valueOf(String[] args, int index, String flag) {
        if (index >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args[index];
    }

    private static List<Integer> integers(String text, String flag) {
        List<Integer> values = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            values.add(integer(part.trim(), flag));
        }
        return List.copyOf(values);
    }
}
