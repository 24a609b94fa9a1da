package dev.mercato.gateway.node;

import dev.mercato.protocol.NodeFrame;

/**
 * The gateway's side of one request in flight on a node: receives that request's frames, in
 * order, on the node connection's event loop.
 */
public interface NodeExchange {

    void onHead(NodeFrame.Head head);

    void onChunk(NodeFrame.Chunk chunk);

    /** The request ended; no frame for it follows. */
    void onEnd(NodeFrame.End end);

    /** The request failed at or before the upstream, or the node went away; no frame for it follows. */
    void onFail(NodeFrame.Fail fail);

    /** Handling one of this request's frames threw: end the request with an internal error. */
    void failInternally(Throwable bug);
}
