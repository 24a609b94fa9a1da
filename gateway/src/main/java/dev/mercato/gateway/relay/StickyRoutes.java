package dev.mercato.gateway.relay;

import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Which node last served each conversation, so its next request can go back there while the
 * upstream's prompt cache is warm. Bounded: entries unused for the sticky time are dropped each
 * minute, and at most {@link #MAX_CONVERSATIONS} are kept.
 */
@Singleton
final class StickyRoutes {

    static final int MAX_CONVERSATIONS = 100_000;

    private final long stickyNanos;
    private final ConcurrentHashMap<String, Route> nodeByConversation = new ConcurrentHashMap<>();

    StickyRoutes(RelaySettings settings) {
        this.stickyNanos = settings.stickySeconds() * 1_000_000_000L;
    }

    /** The conversation's key in this table, or null when stickiness is off. */
    String conversation(long keyId, ParsedRequest request) {
        if (stickyNanos <= 0) {
            return null;
        }
        String hint = request.conversationHint();
        return keyId + "|" + request.model() + (hint == null ? "" : "|" + hint);
    }

    /** The node that last served the conversation, if it did within the sticky time. */
    String preferredNode(String conversation) {
        if (conversation == null) {
            return null;
        }
        Route route = nodeByConversation.get(conversation);
        return route == null || System.nanoTime() - route.lastUsedNanos() > stickyNanos ? null : route.nodeName();
    }

    void remember(String conversation, String nodeName) {
        if (conversation == null) {
            return;
        }
        if (nodeByConversation.size() >= MAX_CONVERSATIONS && !nodeByConversation.containsKey(conversation)) {
            forgetStale();
            if (nodeByConversation.size() >= MAX_CONVERSATIONS) {
                return; // full of live conversations: this one goes unremembered rather than growing the table
            }
        }
        nodeByConversation.put(conversation, new Route(nodeName, System.nanoTime()));
    }

    @Scheduled(fixedDelay = "60s", initialDelay = "60s")
    void forgetStale() {
        long now = System.nanoTime();
        nodeByConversation.values().removeIf(route -> now - route.lastUsedNanos() > stickyNanos);
    }

    private record Route(String nodeName, long lastUsedNanos) {
    }
}
