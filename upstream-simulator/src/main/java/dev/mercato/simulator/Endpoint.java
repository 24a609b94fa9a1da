package dev.mercato.simulator;

import dev.mercato.protocol.Protocol;

/** The API paths the simulator serves, each in its protocol. */
enum Endpoint {
    MESSAGES(Protocol.ANTHROPIC, "/v1/messages"),
    COUNT_TOKENS(Protocol.ANTHROPIC, "/v1/messages/count_tokens"),
    CHAT_COMPLETIONS(Protocol.OPENAI, "/v1/chat/completions"),
    RESPONSES(Protocol.OPENAI, "/v1/responses");

    private final Protocol protocol;
    private final String path;

    Endpoint(Protocol protocol, String path) {
        this.protocol = protocol;
        this.path = path;
    }

    Protocol protocol() {
        return protocol;
    }

    /** The endpoint at {@code path} (a query string is ignored) in {@code protocol}, or null. */
    static Endpoint find(Protocol protocol, String path) {
        int query = path.indexOf('?');
        String bare = query < 0 ? path : path.substring(0, query);
        for (Endpoint endpoint : values()) {
            if (endpoint.protocol == protocol && endpoint.path.equals(bare)) {
                return endpoint;
            }
        }
        return null;
    }

    /** The protocol that owns {@code path}, or null when no endpoint has it. */
    static Protocol protocolOf(String path) {
        int query = path.indexOf('?');
        String bare = query < 0 ? path : path.substring(0, query);
        for (Endpoint endpoint : values()) {
            if (endpoint.path.equals(bare)) {
                return endpoint.protocol;
            }
        }
        return null;
    }
}
