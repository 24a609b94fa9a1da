package dev.mercato.simulator;

import java.util.ArrayList;
import java.util.List;

/**
 * Times the parts of one response: the first part comes after the first-token latency, token
 * {@code k} (counting hidden reasoning tokens first) is due at latency + k × 1000 / tokensPerSecond
 * milliseconds, and an event that carries no token follows the part before it at once.
 */
final class Timeline {

    private final long latencyMillis;
    private final int tokensPerSecond;
    private final List<Part> parts = new ArrayList<>();
    private long tokens;
    private long lastDueMillis;

    /** @param hiddenTokens tokens generated before the first one a stream shows (hidden reasoning) */
    Timeline(long latencyMillis, int tokensPerSecond, int hiddenTokens) {
        this.latencyMillis = latencyMillis;
        this.tokensPerSecond = tokensPerSecond;
        this.tokens = hiddenTokens;
    }

    /** A part that carries no token of its own. */
    void event(String data) {
        add(parts.isEmpty() ? latencyMillis : lastDueMillis, data);
    }

    /** A part that carries the next token. */
    void token(String data) {
        tokens++;
        add(latencyMillis + tokenMillis(tokens, tokensPerSecond), data);
    }

    /** A whole body that is due once all {@code outputTokens} are generated. */
    void whole(String data, long outputTokens) {
        add(latencyMillis + tokenMillis(outputTokens, tokensPerSecond), data);
    }

    List<Part> parts() {
        return parts;
    }

    /** How long {@code tokens} take at {@code tokensPerSecond}; 0 when unpaced. */
    static long tokenMillis(long tokens, int tokensPerSecond) {
        return tokensPerSecond == 0 ? 0 : tokens * 1000 / tokensPerSecond;
    }

    private void add(long dueMillis, String data) {
        long due = Math.max(dueMillis, lastDueMillis);
        parts.add(new Part(due - lastDueMillis, data));
        lastDueMillis = due;
    }
}
