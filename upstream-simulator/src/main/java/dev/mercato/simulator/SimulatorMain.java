package dev.mercato.simulator;

import java.util.concurrent.CountDownLatch;

/**
 * Runs a {@link SimulatorServer} on 127.0.0.1 until the process is stopped:
 * {@code java -jar upstream-simulator-all.jar --port 8090 --first-token-latency-ms 50}.
 */
public final class SimulatorMain {

    private static final String USAGE = """
        usage: java -jar upstream-simulator-all.jar [flags]
          --port N                    port to listen on (default 0: a free port)
          --first-token-latency-ms N  delay before the first part of every answer (default 0)
          --tokens-per-second N       pace of the tokens after it, 0 for none (default 0)
          --output-tokens N           tokens in an answer before the request's cap (default 24)
          --cache-read-tokens N       cache-read tokens every answer reports (default 0)
          --failure-rate R            share of requests, 0 to 1, that fail (default 0)
          --failure-kind K            auth, rate_limited, overloaded, server_error or bad_request
          --seed N                    seed that decides which requests fail (default 1)
          --required-api-key KEY      the only API key accepted (default: any)
          --max-output-tokens N       hard cap on the tokens of one answer (default 8192)
        """;

    private static final String HOST = "127.0.0.1";

    private SimulatorMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        // Netty finds SLF4J on the class path without a provider; its warning would only clutter the output.
        System.setProperty("slf4j.internal.verbosity", "ERROR");
        SimulatorSettings settings;
        int port;
        try {
            port = 0;
            SimulatorSettings defaults = SimulatorSettings.defaults();
            long firstTokenLatencyMillis = defaults.firstTokenLatencyMillis();
            int tokensPerSecond = defaults.tokensPerSecond();
            int outputTokens = defaults.outputTokens();
            int cacheReadTokens = defaults.cacheReadTokens();
            double failureRate = defaults.failureRate();
            String failureKind = defaults.failureKind();
            long seed = defaults.seed();
            String requiredApiKey = defaults.requiredApiKey();
            int maxOutputTokens = defaults.maxOutputTokens();
            for (int i = 0; i < args.length; i++) {
                String flag = args[i];
                if (flag.equals("--help") || flag.equals("-h")) {
                    System.out.print(USAGE);
                    return;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(flag + " needs a value");
                }
                String value = args[++i];
                switch (flag) {
                    case "--port" -> port = Integer.parseInt(value);
                    case "--first-token-latency-ms" -> firstTokenLatencyMillis = Long.parseLong(value);
                    case "--tokens-per-second" -> tokensPerSecond = Integer.parseInt(value);
                    case "--output-tokens" -> outputTokens = Integer.parseInt(value);
                    case "--cache-read-tokens" -> cacheReadTokens = Integer.parseInt(value);
                    case "--failure-rate" -> failureRate = Double.parseDouble(value);
                    case "--failure-kind" -> failureKind = value;
                    case "--seed" -> seed = Long.parseLong(value);
                    case "--required-api-key" -> requiredApiKey = value;
                    case "--max-output-tokens" -> maxOutputTokens = Integer.parseInt(value);
                    default -> throw new IllegalArgumentException("unknown flag " + flag);
                }
            }
            settings = new SimulatorSettings(firstTokenLatencyMillis, tokensPerSecond, outputTokens, cacheReadTokens,
                failureRate, failureKind, seed, requiredApiKey, maxOutputTokens);
        } catch (IllegalArgumentException e) {
            System.err.println("simulator: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
            return;
        }
        SimulatorServer server = SimulatorServer.start(HOST, port, settings);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "simulator-shutdown"));
        System.out.println("simulator listening on http://" + HOST + ":" + server.port());
        System.out.flush();
        stopped.await();
    }
}
