package dev.mercato.gateway.node;

import dev.mercato.protocol.FailKind;
import dev.mercato.protocol.FrameCodec;
import dev.mercato.protocol.NodeFrame;
import dev.mercato.protocol.NodeState;
import dev.mercato.protocol.Schedule;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micronaut.websocket.WebSocketSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A node agent connected to this gateway instance: what it serves, its cap and state, and
 * the requests in flight on its socket. The agent is the final word on its capacity; the
 * in-flight count here keeps this gateway from sending it more than its cap.
 */
public final class ConnectedNode {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectedNode.class);

    private final NodeIdentity identity;
    private final WebSocketSession session;
    private final FrameCodec codec;
    private final Map<String, NodeFrame.ModelOffer> modelsById;
    private final int maxConcurrency;
    private final Schedule schedule;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ConcurrentHashMap<String, NodeExchange> exchangesById = new ConcurrentHashMap<>();
    /** Shared with this node's earlier connections: reconnecting does not wipe its record. */
    private final NodeHealth health;
    private final CircuitBreaker circuit;
    private volatile NodeState state;
    /** Told whenever a slot frees, so a request waiting for one can take it. */
    private volatile Runnable slotFreedListener = () -> { };
    private volatile long lastHeardNanos = System.nanoTime();

    ConnectedNode(NodeIdentity identity, WebSocketSession session, FrameCodec codec, NodeFrame.Hello hello,
                  NodeHealth health) {
        this.health = health;
        this.circuit = health.circuit();
        this.identity = identity;
        this.session = session;
        this.codec = codec;
        this.modelsById = hello.models().stream()
            .collect(Collectors.toUnmodifiableMap(NodeFrame.ModelOffer::id, Function.identity(), (a, b) -> a));
        this.maxConcurrency = hello.maxConcurrency();
        this.schedule = hello.schedule() == null ? Schedule.ALWAYS_ONLINE : hello.schedule();
        this.state = hello.state() == null ? NodeState.ONLINE : hello.state();
    }

    public NodeIdentity identity() {
        return identity;
    }

    public String displayName() {
        return identity.displayName();
    }

    public boolean serves(String modelId) {
        return modelsById.containsKey(modelId);
    }

    public Map<String, NodeFrame.ModelOffer> models() {
        return modelsById;
    }

    public int maxConcurrency() {
        return maxConcurrency;
    }

    public int inFlight() {
        return inFlight.get();
    }

    public NodeState state() {
        return state;
    }

    public Schedule schedule() {
        return schedule;
    }

    long lastHeardNanos() {
        return lastHeardNanos;
    }

    /** Online by its own report and by its advertised schedule. */
    public boolean acceptsWorkAt(Instant now) {
        return state == NodeState.ONLINE && schedule.phaseAt(now).online();
    }

    /** Whether the node's circuit is open: it failed too often lately and is passed over until it half-opens. */
    boolean circuitOpen() {
        return circuit.getState() == CircuitBreaker.State.OPEN;
    }

    /**
     * Whether the circuit lets one more request through now (always when closed; a few when
     * half-open). A request let through must end in exactly one of {@link #attemptAnswered},
     * {@link #attemptFailed} or {@link #attemptAbandoned}.
     */
    boolean circuitAdmits() {
        return circuit.tryAcquirePermission();
    }

    /** The node began answering (or refused the consumer's own bad request, which is not its fault). */
    public void attemptAnswered(long elapsedNanos) {
        health.answered(elapsedNanos);
    }

    /** The node or its upstream failed the request before answering. */
    public void attemptFailed(long elapsedNanos, String why) {
        health.failed(elapsedNanos, why);
    }

    /** A request this node answered ended, this long after it was sent to the node. */
    public void answerCompleted(long latencyNanos) {
        health.completed(latencyNanos);
    }

    public NodeHealth health() {
        return health;
    }

    /** The request ended for a reason that says nothing of the node (the consumer left, the gateway failed). */
    public void attemptAbandoned() {
        circuit.releasePermission();
    }

    /** Takes one of the node's slots if it has one free. */
    boolean tryAcquireSlot() {
        while (true) {
            int current = inFlight.get();
            if (current >= maxConcurrency) {
                return false;
            }
            if (inFlight.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    /** Gives back a slot taken by {@link #tryAcquireSlot} that was never used for a request. */
    void releaseUnusedSlot() {
        inFlight.decrementAndGet();
        slotFreedListener.run();
    }

    void onSlotFreed(Runnable listener) {
        this.slotFreedListener = listener;
    }

    /** Sends a request on a slot already taken; its frames go to {@code exchange} until it ends. */
    public void dispatch(NodeFrame.Request request, NodeExchange exchange) {
        exchangesById.put(request.id(), exchange);
        session.sendAsync(codec.encode(request)).whenComplete((sent, failure) -> {
            if (failure != null) {
                fail(request.id(), "could not send the request to node " + displayName() + ": " + failure.getMessage());
            }
        });
    }

    /** Stops a request (consumer gone, deadline passed): frees the slot and tells the agent. */
    public void cancel(String requestId, String reason) {
        if (finish(requestId) != null) {
            session.sendAsync(codec.encode(new NodeFrame.Cancel(requestId, reason)));
        }
    }

    void onFrame(NodeFrame frame) {
        lastHeardNanos = System.nanoTime();
        switch (frame) {
            case NodeFrame.Head head -> deliver(head.id(), exchangesById.get(head.id()), e -> e.onHead(head));
            case NodeFrame.Chunk chunk -> deliver(chunk.id(), exchangesById.get(chunk.id()), e -> e.onChunk(chunk));
            case NodeFrame.End end -> deliver(end.id(), finish(end.id()), e -> e.onEnd(end));
            case NodeFrame.Fail fail -> deliver(fail.id(), finish(fail.id()), e -> e.onFail(fail));
            case NodeFrame.Status status -> {
                if (status.state() != state) {
                    LOG.info("node {} is now {} ({} in flight)", displayName(), status.state().wireName(),
                        status.inFlight());
                }
                state = status.state();
            }
            case NodeFrame.Hello hello -> LOG.warn("node {} sent a second hello; ignored", displayName());
            case NodeFrame.Welcome w -> LOG.warn("node {} sent a gateway-only frame (welcome); ignored", displayName());
            case NodeFrame.Reject r -> LOG.warn("node {} sent a gateway-only frame (reject); ignored", displayName());
            case NodeFrame.Request r -> LOG.warn("node {} sent a gateway-only frame (request); ignored", displayName());
            case NodeFrame.Cancel c -> LOG.warn("node {} sent a gateway-only frame (cancel); ignored", displayName());
        }
    }

    /** Hands a frame to its request; frames for requests that already ended (a cancel raced them) are dropped. */
    private void deliver(String requestId, NodeExchange exchange, java.util.function.Consumer<NodeExchange> action) {
        if (exchange == null) {
            return;
        }
        try {
            action.accept(exchange);
        } catch (RuntimeException bug) {
            finish(requestId);
            exchange.failInternally(bug);
        }
    }

    /** The socket is gone: every request in flight on it fails at once as unavailable. */
    void failAll(String message) {
        for (String requestId : List.copyOf(exchangesById.keySet())) {
            fail(requestId, message);
        }
    }

    /** Closes the socket without waiting; {@link #failAll} follows from the close handler. */
    void disconnect() {
        session.close();
    }

    private void fail(String requestId, String message) {
        NodeExchange exchange = finish(requestId);
        if (exchange != null) {
            exchange.onFail(new NodeFrame.Fail(requestId, FailKind.UNAVAILABLE, 502, message, true, null));
        }
    }

    /** Removes the request exactly once and frees its slot; null when it had already ended. */
    private NodeExchange finish(String requestId) {
        NodeExchange exchange = exchangesById.remove(requestId);
        if (exchange != null) {
            inFlight.decrementAndGet();
            slotFreedListener.run();
        }
        return exchange;
    }
}
