package dev.mercato.agent.serving;

import dev.mercato.agent.rest.RestWindows;
import dev.mercato.agent.upstream.Upstream;
import dev.mercato.agent.upstream.UpstreamCall;
import dev.mercato.agent.upstream.UpstreamSink;
import dev.mercato.protocol.FailKind;
import dev.mercato.protocol.NodeFrame;
import dev.mercato.protocol.NodeState;
import dev.mercato.protocol.TokenUsage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One admitted request: turns what its upstream answers into frames for the gateway and
 * frees its slot exactly once, on whichever path it ends (end, fail, cancel, dropped socket).
 */
public final class ServedRequest implements UpstreamSink {

    private static final Logger LOG = LoggerFactory.getLogger(ServedRequest.class);

    private final String id;
    private final String modelId;
    private final Consumer<NodeFrame> out;
    private final ConcurrentMap<String, ServedRequest> active;
    private final Slots slots;
    private final RestWindows rest;
    private final Counters counters;
    private final long startNanos = System.nanoTime();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile UpstreamCall call;

    ServedRequest(String id, String modelId, Consumer<NodeFrame> out, ConcurrentMap<String, ServedRequest> active,
                  Slots slots, RestWindows rest, Counters counters) {
        this.id = id;
        this.modelId = modelId;
        this.out = out;
        this.active = active;
        this.slots = slots;
        this.rest = rest;
        this.counters = counters;
    }

    void start(Upstream upstream, NodeFrame.Request request) {
        try {
            UpstreamCall started = upstream.start(request, this);
            call = started;
            if (closed.get()) {
                // A cancel that raced the start found no call to stop; stop it now.
                started.cancel();
            }
        } catch (RuntimeException e) {
            LOG.error("request {} for model {}: the upstream call could not start", id, modelId, e);
            fail(FailKind.UPSTREAM_ERROR, 502, "the node could not start the upstream call: " + e.getMessage(), true,
                null);
        }
    }

    @Override
    public void head(int status, Map<String, String> headers) {
        if (!closed.get()) {
            out.accept(new NodeFrame.Head(id, status, headers));
        }
    }

    @Override
    public void chunk(String data) {
        if (!closed.get()) {
            out.accept(new NodeFrame.Chunk(id, data));
        }
    }

    @Override
    public void end(TokenUsage usageOrNull) {
        if (close()) {
            counters.countServed();
            out.accept(new NodeFrame.End(id, usageOrNull, (System.nanoTime() - startNanos) / 1_000_000));
        }
    }

    @Override
    public void fail(FailKind kind, int status, String message, boolean retryable, Integer retryAfterSeconds) {
        if (close()) {
            counters.countFailed();
            LOG.debug("request {} for model {} failed: {} {} {}", id, modelId, kind.wireName(), status, message);
            out.accept(new NodeFrame.Fail(id, kind, status, message, retryable, retryAfterSeconds));
        }
    }

    /**
     * Stops the request without a frame: the gateway cancelled it (and already counts it as
     * ended) or the socket it came on is gone.
     */
    public void cancel() {
        if (close()) {
            counters.countCancelled();
            UpstreamCall started = call;
            if (started != null) {
                started.cancel();
            }
        }
    }

    private boolean close() {
        if (!closed.compareAndSet(false, true)) {
            return false;
        }
        active.remove(id, this);
        slots.release(modelId);
        if (rest.state() == NodeState.DRAINING) {
            rest.tick();
        }
        return true;
    }
}
