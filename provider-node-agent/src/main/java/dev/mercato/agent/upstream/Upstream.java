package dev.mercato.agent.upstream;

import dev.mercato.protocol.NodeFrame;

/** A place the agent sends requests to: an HTTP API or the built-in simulator. */
public interface Upstream {

    /**
     * Starts serving {@code request} and returns at once; the outcome arrives on {@code sink}
     * as at most one head, then chunks, then exactly one end or fail (none after a cancel).
     */
    UpstreamCall start(NodeFrame.Request request, UpstreamSink sink);

    /** Releases connections and threads owned by this upstream. */
    default void close() {
    }
}
