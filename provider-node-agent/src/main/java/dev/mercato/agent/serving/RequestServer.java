package dev.mercato.agent.serving;

import dev.mercato.agent.config.ModelConfig;
import dev.mercato.agent.rest.RestWindows;
import dev.mercato.agent.upstream.Upstream;
import dev.mercato.protocol.FailKind;
import dev.mercato.protocol.NodeFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Consumer;

/**
 * Admits or refuses each {@code request} frame (unknown model, not online, no free slot) and
 * connects the admitted ones to their upstream. Shared by every gateway connection.
 */
public final class RequestServer {

    private static final Logger LOG = LoggerFactory.getLogger(RequestServer.class);

    /** A refusal lists at most this many of the models the node serves. */
    private static final int MAX_MODELS_NAMED = 10;

    /** Where a model's requests go. */
    public record Route(ModelConfig model, Upstream upstream) {
    }

    private final Map<String, Route> routes;
    private final Slots slots;
    private final RestWindows rest;
    private final Counters counters;
    private final Clock clock;

    public RequestServer(Map<String, Route> routes, Slots slots, RestWindows rest, Counters counters, Clock clock) {
        this.routes = Map.copyOf(routes);
        this.slots = slots;
        this.rest = rest;
        this.counters = counters;
        this.clock = clock;
    }

    /**
     * Serves one request; its frames go to {@code out}. While it runs it sits in {@code active}
     * under its id, so the connection can cancel it; it removes itself when it ends.
     */
    public void serve(NodeFrame.Request request, Consumer<NodeFrame> out, ConcurrentMap<String, ServedRequest> active) {
        Route route = routes.get(request.model());
        if (route == null) {
            List<String> served = routes.keySet().stream().sorted().limit(MAX_MODELS_NAMED).toList();
            refuse(request, out, FailKind.BAD_REQUEST, 400, "model '" + request.model()
                + "' is not served by this node (it serves " + String.join(", ", served) + ")", false, null);
            return;
        }
        if (!rest.acceptsWork()) {
            Instant back = rest.nextChangeAt();
            Integer retryAfterSeconds = back == null ? null
                : (int) Math.max(1, Math.min(Integer.MAX_VALUE, (back.toEpochMilli() - clock.millis() + 999) / 1000));
            refuse(request, out, FailKind.UNAVAILABLE, 503, "node is " + rest.state().wireName()
                + (back == null ? "" : " until " + back), true, retryAfterSeconds);
            return;
        }
        ModelConfig model = route.model();
        if (!slots.tryAcquire(model.id(), model.maxConcurrency())) {
            String full = slots.inFlight() >= slots.maxConcurrency()
                ? "node is at its concurrency cap of " + slots.maxConcurrency()
                : "model " + model.id() + " is at its concurrency cap of " + model.maxConcurrency();
            refuse(request, out, FailKind.OVERLOADED, 503, full, true, null);
            return;
        }
        ServedRequest served = new ServedRequest(request.id(), model.id(), out, active, slots, rest, counters);
        if (active.putIfAbsent(request.id(), served) != null) {
            slots.release(model.id());
            LOG.warn("request {} is already in flight on this connection; the duplicate is ignored", request.id());
            return;
        }
        served.start(route.upstream(), request);
    }

    private void refuse(NodeFrame.Request request, Consumer<NodeFrame> out, FailKind kind, int status, String message,
                        boolean retryable, Integer retryAfterSeconds) {
        counters.countFailed();
        LOG.debug("request {} refused: {}", request.id(), message);
        out.accept(new NodeFrame.Fail(request.id(), kind, status, message, retryable, retryAfterSeconds));
    }
}
