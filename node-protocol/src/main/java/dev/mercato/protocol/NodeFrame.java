package dev.mercato.protocol;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

import java.util.List;
import java.util.Map;

/**
 * One frame of the gateway ⇄ agent protocol (see agent-protocol.md). Each WebSocket text
 * message holds exactly one frame as a JSON object whose {@code type} names the record.
 */
@Serdeable
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = NodeFrame.Hello.class, name = "hello"),
    @JsonSubTypes.Type(value = NodeFrame.Welcome.class, name = "welcome"),
    @JsonSubTypes.Type(value = NodeFrame.Reject.class, name = "reject"),
    @JsonSubTypes.Type(value = NodeFrame.Status.class, name = "status"),
    @JsonSubTypes.Type(value = NodeFrame.Request.class, name = "request"),
    @JsonSubTypes.Type(value = NodeFrame.Head.class, name = "head"),
    @JsonSubTypes.Type(value = NodeFrame.Chunk.class, name = "chunk"),
    @JsonSubTypes.Type(value = NodeFrame.End.class, name = "end"),
    @JsonSubTypes.Type(value = NodeFrame.Fail.class, name = "fail"),
    @JsonSubTypes.Type(value = NodeFrame.Cancel.class, name = "cancel"),
})
public sealed interface NodeFrame {

    /** Agent → gateway, first frame of a connection. */
    @Serdeable
    record Hello(String nodeToken, String agentVersion, List<ModelOffer> models, int maxConcurrency,
                 Schedule schedule, NodeState state) implements NodeFrame {
    }

    /** Gateway → agent: the hello was accepted. */
    @Serdeable
    record Welcome(String nodeId, int heartbeatSeconds, String gatewayInstance) implements NodeFrame {
    }

    /** Gateway → agent: the hello was refused; the gateway closes the socket after it. */
    @Serdeable
    record Reject(String code, String message) implements NodeFrame {
    }

    /** Agent → gateway: on every state change and every heartbeat. */
    @Serdeable
    record Status(NodeState state, int inFlight, @Nullable Long nextChangeEpochMillis) implements NodeFrame {
    }

    /**
     * Gateway → agent: serve this. {@code headers} holds only what the upstream needs
     * (never the consumer's key); {@code body} is the upstream JSON as text.
     */
    @Serdeable
    record Request(String id, Protocol protocol, String path, String model, Map<String, String> headers,
                   String body, long deadlineEpochMillis) implements NodeFrame {
    }

    /** Agent → gateway: the upstream answered; comes before any chunk. */
    @Serdeable
    record Head(String id, int status, Map<String, String> headers) implements NodeFrame {
    }

    /** Agent → gateway: the next part of the upstream body, in order, as received. */
    @Serdeable
    record Chunk(String id, String data) implements NodeFrame {
    }

    /** Agent → gateway: the body is complete. {@code usage} is what the upstream reported, if it did. */
    @Serdeable
    record End(String id, @Nullable TokenUsage usage, long upstreamMillis) implements NodeFrame {
    }

    /** Agent → gateway: the request failed at or before the upstream. Closes the request like {@link End}. */
    @Serdeable
    record Fail(String id, FailKind kind, int status, String message, boolean retryable,
                @Nullable Integer retryAfterSeconds) implements NodeFrame {
    }

    /** Gateway → agent: stop serving this request and free its slot. */
    @Serdeable
    record Cancel(String id, String reason) implements NodeFrame {
    }

    /** A model a node serves, in the upstream protocol it speaks, with an optional per-model cap. */
    @Serdeable
    record ModelOffer(String id, Protocol protocol, @Nullable Integer maxConcurrency) {
    }
}
