package dev.mercato.simulator;

/**
 * What a request's prompt asks of the simulator through {@code [[sim:key=value]]} directives,
 * on top of the {@link SimulatorSettings}. See {@link Simulator} for the table of directives.
 *
 * @param failure          the failure to answer with, or null
 * @param dropAfterParts   parts sent before the connection dies, or -1 for a clean end
 * @param latencyMillis    delay before the first part
 * @param outputTokens     tokens in the answer before the request's cap
 * @param tokensPerSecond  pace of the tokens, 0 for none
 */
record Directives(Failure failure, int dropAfterParts, long latencyMillis, int outputTokens, int tokensPerSecond) {

    static final String OPEN = "[[sim:";
    static final String CLOSE = "]]";

    /** More directives than this in one prompt is a mistake, not a test. */
    static final int MAX_DIRECTIVES = 16;

    /** Fastest pace a directive may ask for; above it every delay rounds to 0 anyway. */
    static final int MAX_TOKENS_PER_SECOND = 1_000_000;

    static Directives defaults(SimulatorSettings settings) {
        return new Directives(null, -1, settings.firstTokenLatencyMillis(), settings.outputTokens(),
            settings.tokensPerSecond());
    }

    /** @throws InvalidRequestException for an unknown directive or a value out of range */
    static Directives parse(String promptText, SimulatorSettings settings) {
        Failure failure = null;
        int dropAfterParts = -1;
        long latencyMillis = settings.firstTokenLatencyMillis();
        int outputTokens = settings.outputTokens();
        int tokensPerSecond = settings.tokensPerSecond();
        int count = 0;
        int from = promptText.indexOf(OPEN);
        while (from >= 0) {
            int end = promptText.indexOf(CLOSE, from + OPEN.length());
            if (end < 0) {
                throw new InvalidRequestException("simulator directive at character " + from + " has no closing "
                    + CLOSE, null);
            }
            if (++count > MAX_DIRECTIVES) {
                throw new InvalidRequestException("more than " + MAX_DIRECTIVES + " simulator directives", null);
            }
            String directive = promptText.substring(from + OPEN.length(), end);
            int equals = directive.indexOf('=');
            String key = equals < 0 ? directive : directive.substring(0, equals);
            String value = equals < 0 ? "" : directive.substring(equals + 1);
            switch (key) {
                case "fail" -> {
                    try {
                        failure = Failure.fromWireName(value);
                    } catch (IllegalArgumentException e) {
                        throw new InvalidRequestException("simulator directive " + OPEN + directive + CLOSE + ": "
                            + e.getMessage(), null);
                    }
                }
                case "drop-after" -> dropAfterParts = (int) number(directive, value, Integer.MAX_VALUE);
                case "latency-ms" -> latencyMillis = number(directive, value, SimulatorSettings.MAX_LATENCY_MILLIS);
                case "tokens" -> outputTokens = (int) number(directive, value, settings.maxOutputTokens());
                case "tokens-per-second" -> tokensPerSecond = (int) number(directive, value, MAX_TOKENS_PER_SECOND);
                default -> throw new InvalidRequestException("unknown simulator directive " + OPEN + directive
                    + CLOSE + " (expected fail, drop-after, latency-ms, tokens or tokens-per-second)", null);
            }
            from = promptText.indexOf(OPEN, end + CLOSE.length());
        }
        return new Directives(failure, dropAfterParts, latencyMillis, outputTokens, tokensPerSecond);
    }

    private static long number(String directive, String value, long max) {
        long number;
        try {
            number = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new InvalidRequestException("simulator directive " + OPEN + directive + CLOSE
                + " needs a whole number", null);
        }
        if (number < 0 || number > max) {
            throw new InvalidRequestException("simulator directive " + OPEN + directive + CLOSE
                + " is outside 0.." + max, null);
        }
        return number;
    }
}
