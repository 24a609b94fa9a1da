package dev.mercato.gateway.relay;

import dev.mercato.gateway.error.ErrorResponses;
import dev.mercato.gateway.error.WireProtocol;
import dev.mercato.protocol.Protocol;

/** The consumer routes that are served by a node, with the protocol each speaks. */
public enum ApiRoute {
    MESSAGES("/v1/messages", WireProtocol.ANTHROPIC, Protocol.ANTHROPIC, ErrorResponses.StreamKind.ANTHROPIC_MESSAGES),
    COUNT_TOKENS("/v1/messages/count_tokens", WireProtocol.ANTHROPIC, Protocol.ANTHROPIC, null),
    CHAT_COMPLETIONS("/v1/chat/completions", WireProtocol.OPENAI, Protocol.OPENAI, ErrorResponses.StreamKind.OPENAI_CHAT),
    RESPONSES("/v1/responses", WireProtocol.OPENAI, Protocol.OPENAI, ErrorResponses.StreamKind.OPENAI_RESPONSES);

    private final String path;
    private final WireProtocol wireProtocol;
    private final Protocol upstreamProtocol;
    private final ErrorResponses.StreamKind streamKind;

    ApiRoute(String path, WireProtocol wireProtocol, Protocol upstreamProtocol, ErrorResponses.StreamKind streamKind) {
        this.path = path;
        this.wireProtocol = wireProtocol;
        this.upstreamProtocol = upstreamProtocol;
        this.streamKind = streamKind;
    }

    public String path() {
        return path;
    }

    public WireProtocol wireProtocol() {
        return wireProtocol;
    }

    public Protocol upstreamProtocol() {
        return upstreamProtocol;
    }

    /** The grammar of this route's streams; null for routes that never stream. */
    public ErrorResponses.StreamKind streamKind() {
        return streamKind;
    }
}
