package dev.mercato.agent.rest;

import dev.mercato.protocol.NodeFrame;
import dev.mercato.protocol.NodeState;
import dev.mercato.protocol.Schedule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

/**
 * Follows the node's rest schedule: online; draining when a rest window starts (no new work,
 * requests in flight finish); resting once nothing is in flight; online again when the window
 * ends. Every change is logged and handed to the listeners, which tell the gateways.
 */
public final class RestWindows {

    private static final Logger LOG = LoggerFactory.getLogger(RestWindows.class);

    private final Schedule schedule;
    private final Clock clock;
    private final IntSupplier inFlight;
    private final List<Consumer<NodeFrame.Status>> listeners = new CopyOnWriteArrayList<>();
    private NodeState state;
    private boolean shuttingDown;

    public RestWindows(Schedule schedule, Clock clock, IntSupplier inFlight) {
        this.schedule = schedule;
        this.clock = clock;
        this.inFlight = inFlight;
        this.state = schedule.phaseAt(clock.instant()).online() ? NodeState.ONLINE : NodeState.RESTING;
    }

    public synchronized NodeState state() {
        return state;
    }

    public boolean acceptsWork() {
        return state() == NodeState.ONLINE;
    }

    /** When the schedule next switches between online and rest; null when it never does. */
    public Instant nextChangeAt() {
        return schedule.phaseAt(clock.instant()).nextChangeAt();
    }

    /** The status frame a gateway is sent now. */
    public NodeFrame.Status status() {
        Instant nextChangeAt = nextChangeAt();
        return new NodeFrame.Status(state(), inFlight.getAsInt(),
            nextChangeAt == null ? null : nextChangeAt.toEpochMilli());
    }

    /** Called with the new status on every state change, outside any lock. */
    public void onChange(Consumer<NodeFrame.Status> listener) {
        listeners.add(listener);
    }

    /** Re-evaluates the schedule; runs about once a second, and when a draining node frees a slot. */
    public void tick() {
        List<NodeState> changes = new ArrayList<>(2);
        synchronized (this) {
            if (shuttingDown) {
                return;
            }
            if (schedule.phaseAt(clock.instant()).online()) {
                if (state != NodeState.ONLINE) {
                    state = NodeState.ONLINE;
                    changes.add(state);
                }
            } else {
                if (state == NodeState.ONLINE) {
                    state = NodeState.DRAINING;
                    changes.add(state);
                }
                if (state == NodeState.DRAINING && inFlight.getAsInt() == 0) {
                    state = NodeState.RESTING;
                    changes.add(state);
                }
            }
        }
        for (NodeState change : changes) {
            announce(change);
        }
    }

    /** The agent is stopping: take no new work, whatever the schedule says. */
    public void shutDown() {
        boolean changed;
        synchronized (this) {
            shuttingDown = true;
            changed = state == NodeState.ONLINE;
            if (changed) {
                state = NodeState.DRAINING;
            }
        }
        if (changed) {
            LOG.info("stopping: taking no new requests; in flight: {}", inFlight.getAsInt());
            tell(NodeState.DRAINING);
        }
    }

    private void announce(NodeState changed) {
        Instant nextChangeAt = nextChangeAt();
        switch (changed) {
            case ONLINE -> LOG.info("node is online: taking requests{}",
                nextChangeAt == null ? "" : " until the rest window at " + nextChangeAt);
            case DRAINING -> LOG.info("node is draining for its rest window: taking no new requests; in flight: {}",
                inFlight.getAsInt());
            case RESTING -> LOG.info("node is resting until {}", nextChangeAt);
        }
        tell(changed);
    }

    private void tell(NodeState changed) {
        Instant nextChangeAt = nextChangeAt();
        int requestsInFlight = inFlight.getAsInt();
        NodeFrame.Status status = new NodeFrame.Status(changed, requestsInFlight,
            nextChangeAt == null ? null : nextChangeAt.toEpochMilli());
        for (Consumer<NodeFrame.Status> listener : listeners) {
            listener.accept(status);
        }
    }
}
