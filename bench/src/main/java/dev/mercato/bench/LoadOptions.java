package dev.mercato.bench;

import static dev.mercato.bench.Flags.check;
import static dev.mercato.bench.Flags.integer;
import static dev.mercato.bench.Flags.number;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The load generator's command line, parsed and checked against its limits. */
record LoadOptions(URI url, List<Header> headers, Path bodyFile, double ratePerSecond, boolean saturate,
                   int connections, boolean stream, int durationSeconds, int warmupSeconds, int maxInFlight,
                   int timeoutMillis, Path jsonOut, List<Long> cpuPids, int clockTicksPerSecond, String label) {

    static final int MAX_DURATION_SECONDS = 3600;
    static final double MAX_RATE_PER_SECOND = 100_000;
    static final int MAX_CONNECTIONS = 4096;
    static final int MAX_IN_FLIGHT = 65_536;
    static final int MAX_TIMEOUT_MILLIS = 300_000;

    static final String USAGE = """
        usage: java -jar bench-all.jar --url http://127.0.0.1:PORT/PATH (--rate N | --saturate [--connections C]) [options]
          --url URL                 target (plain http only)
          --rate N                  open loop: N requests per second, latency measured from each request's scheduled start
          --saturate                closed loop: C connections each send the next request as soon as the last one ends
          --connections C           concurrency for --saturate (default 32)
          --header 'name: value'    extra request header, repeatable
          --body-file FILE          POST this body (otherwise GET)
          --stream                  expect server-sent events; also report time to the first complete event
          --duration-seconds S      measured time (default 20)
          --warmup-seconds S        load before measuring, not recorded (default 10)
          --max-in-flight N         open-loop bound; requests beyond it are dropped and counted as errors (default 1024)
          --timeout-ms MS           per-request timeout from its scheduled start (default 10000)
          --cpu-pid PID             add a process whose user+system CPU time is measured, repeatable
          --clock-ticks N           clock ticks per second of /proc/PID/stat, from `getconf CLK_TCK` (default 100)
          --label TEXT              name of this run in the report
          --json-out FILE           write the report as JSON
        """;

    /** One extra request header. */
    record Header(String name, String value) {
    }

    static LoadOptions parse(String[] args) {
        URI url = null;
        List<Header> headers = new ArrayList<>();
        Path bodyFile = null;
        double rate = 0;
        boolean saturate = false;
        int connections = 32;
        boolean stream = false;
        int durationSeconds = 20;
        int warmupSeconds = 10;
        int maxInFlight = 1024;
        int timeoutMillis = 10_000;
        Path jsonOut = null;
        List<Long> cpuPids = new ArrayList<>();
        int clockTicks = 100;
        String label = "";
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            switch (flag) {
                case "--saturate" -> saturate = true;
                case "--stream" -> stream = true;
                case "--url" -> url = URI.create(valueOf(args, ++i, flag));
                case "--header" -> headers.add(header(valueOf(args, ++i, flag)));
                case "--body-file" -> bodyFile = Path.of(valueOf(args, ++i, flag));
                case "--rate" -> rate = number(valueOf(args, ++i, flag), flag);
                case "--connections" -> connections = integer(valueOf(args, ++i, flag), flag);
                case "--duration-seconds" -> durationSeconds = integer(valueOf(args, ++i, flag), flag);
                case "--warmup-seconds" -> warmupSeconds = integer(valueOf(args, ++i, flag), flag);
                case "--max-in-flight" -> maxInFlight = integer(valueOf(args, ++i, flag), flag);
                case "--timeout-ms" -> timeoutMillis = integer(valueOf(args, ++i, flag), flag);
                case "--json-out" -> jsonOut = Path.of(valueOf(args, ++i, flag));
                case "--cpu-pid" -> cpuPids.add((long) integer(valueOf(args, ++i, flag), flag));
                case "--clock-ticks" -> clockTicks = integer(valueOf(args, ++i, flag), flag);
                case "--label" -> label = valueOf(args, ++i, flag);
                default -> throw new IllegalArgumentException("unknown flag " + flag);
            }
        }
        if (url == null) {
            throw new IllegalArgumentException("--url is required");
        }
        if (!"http".equals(url.getScheme()) || url.getHost() == null) {
            throw new IllegalArgumentException("--url must be http://host:port/path, was " + url);
        }
        if (saturate == (rate > 0)) {
            throw new IllegalArgumentException("give exactly one of --rate N or --saturate");
        }
        check(rate <= MAX_RATE_PER_SECOND, "--rate at most " + MAX_RATE_PER_SECOND);
        check(connections >= 1 && connections <= MAX_CONNECTIONS, "--connections between 1 and " + MAX_CONNECTIONS);
        check(durationSeconds >= 1 && durationSeconds <= MAX_DURATION_SECONDS,
            "--duration-seconds between 1 and " + MAX_DURATION_SECONDS);
        check(warmupSeconds >= 0 && warmupSeconds <= MAX_DURATION_SECONDS,
            "--warmup-seconds between 0 and " + MAX_DURATION_SECONDS);
        check(maxInFlight >= 1 && maxInFlight <= MAX_IN_FLIGHT, "--max-in-flight between 1 and " + MAX_IN_FLIGHT);
        check(timeoutMillis >= 1 && timeoutMillis <= MAX_TIMEOUT_MILLIS, "--timeout-ms between 1 and " + MAX_TIMEOUT_MILLIS);
        check(clockTicks >= 1, "--clock-ticks at least 1");
        return new LoadOptions(url, List.copyOf(headers), bodyFile, rate, saturate, connections, stream,
            durationSeconds, warmupSeconds, maxInFlight, timeoutMillis, jsonOut, List.copyOf(cpuPids), clockTicks,
            label);
    }

    int port() {
        return url.getPort() > 0 ? url.getPort() : 80;
    }

    private static String valueOf(String[] args, int index, String flag) {
        if (index >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args[index];
    }

    private static Header header(String text) {
        int colon = text.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("--header must be 'name: value', was " + text);
        }
        return new Header(text.substring(0, colon).trim(), text.substring(colon + 1).trim());
    }
}
