package dev.mercato.simulator;

/**
 * How a {@link Simulator} behaves when a request does not say otherwise with a directive.
 *
 * @param firstTokenLatencyMillis delay before the first part of every response
 * @param tokensPerSecond         pace of the tokens after the first part; 0 sends them without delay
 * @param outputTokens            tokens in an answer, before the request's own output limit caps it
 * @param cacheReadTokens         cache-read tokens every answer reports on top of the prompt's own tokens
 * @param failureRate             share of requests, 0 to 1, that fail with {@code failureKind}; a generator
 *                                seeded with {@code seed} decides which, so a run replays exactly
 * @param failureKind             {@code auth}, {@code rate_limited}, {@code overloaded}, {@code server_error}
 *                                or {@code bad_request}; required when {@code failureRate} is above 0
 * @param seed                    seed of the failure generator
 * @param requiredApiKey          the only key {@link SimulatorServer} accepts; null accepts any key
 * @param maxOutputTokens         hard cap on the tokens of one answer, which bounds the size of a plan
 */
public record SimulatorSettings(long firstTokenLatencyMillis, int tokensPerSecond, int outputTokens,
                                int cacheReadTokens, double failureRate, String failureKind, long seed,
                                String requiredApiKey, int maxOutputTokens) {

    /** No cap may exceed this; it keeps a plan below a few megabytes. */
    public static final int MAX_OUTPUT_TOKENS_LIMIT = 65_536;

    /** Longest first-token latency a setting or a directive may ask for. */
    public static final long MAX_LATENCY_MILLIS = 600_000;

    public SimulatorSettings {
        if (firstTokenLatencyMillis < 0 || firstTokenLatencyMillis > MAX_LATENCY_MILLIS) {
            throw new IllegalArgumentException("firstTokenLatencyMillis must be within 0.." + MAX_LATENCY_MILLIS + ": "
                + firstTokenLatencyMillis);
        }
        if (tokensPerSecond < 0) {
            throw new IllegalArgumentException("tokensPerSecond must not be negative: " + tokensPerSecond);
        }
        if (maxOutputTokens < 1 || maxOutputTokens > MAX_OUTPUT_TOKENS_LIMIT) {
            throw new IllegalArgumentException("maxOutputTokens must be within 1.." + MAX_OUTPUT_TOKENS_LIMIT + ": "
                + maxOutputTokens);
        }
        if (outputTokens < 0 || outputTokens > maxOutputTokens) {
            throw new IllegalArgumentException("outputTokens must be within 0..maxOutputTokens (" + maxOutputTokens
                + "): " + outputTokens);
        }
        if (cacheReadTokens < 0) {
            throw new IllegalArgumentException("cacheReadTokens must not be negative: " + cacheReadTokens);
        }
        if (!(failureRate >= 0.0 && failureRate <= 1.0)) {
            throw new IllegalArgumentException("failureRate must be within 0..1: " + failureRate);
        }
        if (failureKind != null) {
            Failure.fromWireName(failureKind);
        } else if (failureRate > 0.0) {
            throw new IllegalArgumentException("failureRate " + failureRate + " needs a failureKind (one of "
                + Failure.names() + ")");
        }
    }

    /** Instant answers of 24 tokens, no cache, no failures, any key accepted. */
    public static SimulatorSettings defaults() {
        return new SimulatorSettings(0, 0, 24, 0, 0.0, null, 1, null, 8192);
    }

    public SimulatorSettings withFirstTokenLatencyMillis(long firstTokenLatencyMillis) {
        return new SimulatorSettings(firstTokenLatencyMillis, tokensPerSecond, outputTokens, cacheReadTokens,
            failureRate, failureKind, seed, requiredApiKey, maxOutputTokens);
    }

    public SimulatorSettings withTokensPerSecond(int tokensPerSecond) {
        return new SimulatorSettings(firstTokenLatencyMillis, tokensPerSecond, outputTokens, cacheReadTokens,
            failureRate, failureKind, seed, requiredApiKey, maxOutputTokens);
    }

    public SimulatorSettings withOutputTokens(int outputTokens) {
        return new SimulatorSettings(firstTokenLatencyMillis, tokensPerSecond, outputTokens, cacheReadTokens,
            failureRate, failureKind, seed, requiredApiKey, maxOutputTokens);
    }

    public SimulatorSettings withCacheReadTokens(int cacheReadTokens) {
        return new SimulatorSettings(firstTokenLatencyMillis, tokensPerSecond, outputTokens, cacheReadTokens,
            failureRate, failureKind, seed, requiredApiKey, maxOutputTokens);
    }

    /** @param failureKind as in the record description; null only together with a rate of 0 */
    public SimulatorSettings withFailures(double failureRate, String failureKind) {
        return new SimulatorSettings(firstTokenLatencyMillis, tokensPerSecond, outputTokens, cacheReadTokens,
            failureRate, failureKind, seed, requiredApiKey, maxOutputTokens);
    }

    public SimulatorSettings withSeed(long seed) {
        return new SimulatorSettings(firstTokenLatencyMillis, tokensPerSecond, outputTokens, cacheReadTokens,
            failureRate, failureKind, seed, requiredApiKey, maxOutputTokens);
    }

    public SimulatorSettings withRequiredApiKey(String requiredApiKey) {
        return new SimulatorSettings(firstTokenLatencyMillis, tokensPerSecond, outputTokens, cacheReadTokens,
            failureRate, failureKind, seed, requiredApiKey, maxOutputTokens);
    }

    public SimulatorSettings withMaxOutputTokens(int maxOutputTokens) {
        return new SimulatorSettings(firstTokenLatencyMillis, tokensPerSecond, outputTokens, cacheReadTokens,
            failureRate, failureKind, seed, requiredApiKey, maxOutputTokens);
    }
}
