package dev.mercato.gateway.node;

import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.error.ErrorCode;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Value;
import io.micronaut.scheduling.TaskExecutors;
import io.netty.util.HashedWheelTimer;
import jakarta.inject.Named;
import io.micronaut.core.annotation.Nullable;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The live nodes of this gateway instance and the choice of a node for a request. Strategy:
 * among nodes that serve the model, accept work now, whose circuit admits the call and that
 * have a free slot, take the one with the lowest load relative to its cap. Among equally loaded
 * nodes, those clearly slower to start answering (moving average of time to first byte more than
 * {@link #LATENCY_TIE_MARGIN} above the quickest) are passed over, and the choice among the rest,
 * including nodes not yet measured, is random: equal nodes share the load instead of one node
 * taking every burst, and a new node gets traffic to be measured by.
 */
@Singleton
@Context
public class NodeRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(NodeRegistry.class);

    /** Suggested wait when no node serving a model is connected at all. */
    static final int NO_PROVIDERS_RETRY_AFTER_SECONDS = 10;
    /** Suggested wait when every node is at its cap (errors.md). */
    static final int ALL_BUSY_RETRY_AFTER_SECONDS = 2;
    /** How much slower than the quickest of equally loaded nodes a node may start answering and still share its load. */
    static final double LATENCY_TIE_MARGIN = 0.25;

    private final Clock clock;
    private final NodeHealthRegistry health;
    private final HashedWheelTimer timer;
    private final ExecutorService wakeExecutor;
    private final long busyWaitMillis;
    private final int maxWaiting;
    /** Requests waiting for a slot, per model, oldest first; at most max-waiting in all. */
    private final ConcurrentHashMap<String, ConcurrentLinkedQueue<Waiter>> waitersByModel = new ConcurrentHashMap<>();
    private final AtomicInteger waiting = new AtomicInteger();
    private final ConcurrentHashMap<String, ConnectedNode> nodesByName = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, KnownModel> knownModelsById = new ConcurrentHashMap<>();
    /** model id → nodes serving it; rebuilt on every (rare) connect or disconnect, read lock-free. */
    private volatile Map<String, List<ConnectedNode>> nodesByModel = Map.of();

    public NodeRegistry(Clock clock, NodeDirectory directory, NodeHealthRegistry health, HashedWheelTimer timer,
                        @Named(TaskExecutors.BLOCKING) ExecutorService wakeExecutor,
                        @Value("${mercato.relay.busy-wait-millis:3000}") long busyWaitMillis,
                        @Value("${mercato.relay.max-waiting:1000}") int maxWaiting) {
        this.clock = clock;
        this.health = health;
        this.timer = timer;
        this.wakeExecutor = wakeExecutor;
        this.busyWaitMillis = busyWaitMillis;
        this.maxWaiting = maxWaiting;
        for (KnownModel model : directory.knownModels()) {
            knownModelsById.put(model.id(), model);
        }
    }

    /** Adds a node; a node that reconnects replaces its stale connection, whose requests then fail over. */
    void register(ConnectedNode node) {
        node.onSlotFreed(() -> slotFreed(node));
        ConnectedNode previous = nodesByName.put(node.displayName(), node);
        if (previous != null) {
            LOG.info("node {} reconnected; closing its previous connection", node.displayName());
            previous.failAll("node " + previous.displayName() + " reconnected on a new socket");
            previous.disconnect();
        }
        rebuildIndex();
        slotFreed(node); // a node that arrives is as good as a freed slot to whoever waits
    }

    void unregister(ConnectedNode node) {
        if (nodesByName.remove(node.displayName(), node)) {
            rebuildIndex();
        }
    }

    void rememberModel(KnownModel model) {
        knownModelsById.putIfAbsent(model.id(), model);
    }

    boolean isKnownModel(String modelId) {
        return knownModelsById.containsKey(modelId);
    }

    private synchronized void rebuildIndex() {
        Map<String, List<ConnectedNode>> index = new TreeMap<>();
        for (ConnectedNode node : nodesByName.values()) {
            for (String modelId : node.models().keySet()) {
                index.computeIfAbsent(modelId, id -> new ArrayList<>()).add(node);
            }
        }
        index.replaceAll((id, nodes) -> List.copyOf(nodes));
        nodesByModel = Map.copyOf(index);
    }


    /**
     * Picks a node for the model and takes one of its slots, or says precisely why none can
     * serve: nobody serving it is connected, all of them rest, all of them are full, or all of
     * them are failing. Passes over the nodes already tried for this request (a request that
     * failed on a node is never sent to it again) and, for a request pinned to an operator,
     * every node of other operators.
     */
    public Choice choose(String modelId, Set<ConnectedNode> excluded, @Nullable String pinnedOperator) {
        return choose(modelId, excluded, pinnedOperator, null);
    }

    /**
     * As {@link #choose(String, Set, String)}, going back to {@code preferredNode} (the node that
     * last served this conversation) when it is awake, its circuit closed and a slot free; the
     * usual choice otherwise, so a busy or failing node never holds a conversation back.
     */
    public Choice choose(String modelId, Set<ConnectedNode> excluded, @Nullable String pinnedOperator,
                         @Nullable String preferredNode) {
        List<ConnectedNode> candidates = nodesByModel.getOrDefault(modelId, List.of());
        if (!excluded.isEmpty() || pinnedOperator != null) {
            candidates = candidates.stream().filter(node -> !excluded.contains(node)
                && (pinnedOperator == null || node.identity().operatorName().equals(pinnedOperator))).toList();
        }
        if (candidates.isEmpty() && pinnedOperator != null) {
            return new Choice.None(ApiError.of(ErrorCode.NO_PROVIDERS_ONLINE, "No node of operator '" + pinnedOperator
                + "' serving model '" + modelId + "' is online right now; try again in a few minutes, or drop the '"
                + pinnedOperator + "/' prefix to be served by any operator.").withRetryAfter(NO_PROVIDERS_RETRY_AFTER_SECONDS));
        }
        if (candidates.isEmpty()) {
            return new Choice.None(ApiError.of(ErrorCode.NO_PROVIDERS_ONLINE,
                "No provider node serving model '" + modelId + "' is online right now; try again in a few minutes.")
                .withRetryAfter(NO_PROVIDERS_RETRY_AFTER_SECONDS));
        }
        Instant now = clock.instant();
        if (preferredNode != null) {
            for (ConnectedNode node : candidates) {
                if (node.displayName().equals(preferredNode) && node.acceptsWorkAt(now) && !node.circuitOpen()
                    && node.tryAcquireSlot()) {
                    if (node.circuitAdmits()) {
                        return new Choice.Chosen(node);
                    }
                    node.releaseUnusedSlot();
                }
            }
        }
        Set<ConnectedNode> notAdmitted = new HashSet<>(); // half-open circuits with no trial call left
        List<ConnectedNode> leastLoaded = new ArrayList<>();
        while (true) {
            leastLoaded.clear();
            double bestLoad = Double.MAX_VALUE;
            boolean anyAwake = false;
            boolean anyAtCap = false;
            for (ConnectedNode node : candidates) {
                if (!node.acceptsWorkAt(now)) {
                    continue;
                }
                anyAwake = true;
                if (node.circuitOpen() || notAdmitted.contains(node)) {
                    continue;
                }
                int inFlight = node.inFlight();
                if (inFlight >= node.maxConcurrency()) {
                    anyAtCap = true;
                    continue;
                }
                double load = (double) inFlight / node.maxConcurrency();
                if (load < bestLoad) {
                    leastLoaded.clear();
                    bestLoad = load;
                }
                if (load == bestLoad) {
                    leastLoaded.add(node);
                }
            }
            if (leastLoaded.isEmpty()) {
                if (!anyAwake) {
                    return new Choice.None(allResting(modelId, candidates, now));
                }
                return new Choice.None(anyAtCap ? allBusy(modelId, candidates.size()) : allFailing(modelId));
            }
            ConnectedNode best = quickEnough(leastLoaded);
            if (!best.tryAcquireSlot()) {
                continue; // another request took the last slot between our look and our take; look again
            }
            if (!best.circuitAdmits()) {
                best.releaseUnusedSlot();
                notAdmitted.add(best);
                continue;
            }
            return new Choice.Chosen(best);
        }
    }

    /** A random one of the nodes no more than {@link #LATENCY_TIE_MARGIN} slower to start answering than the quickest. */
    static ConnectedNode quickEnough(List<ConnectedNode> nodes) {
        if (nodes.size() == 1) {
            return nodes.getFirst();
        }
        double quickestMillis = Double.POSITIVE_INFINITY;
        for (ConnectedNode node : nodes) {
            // An unmeasured node never sets the bar: Math.min would carry its NaN along.
            quickestMillis = Math.min(quickestMillis, Double.isNaN(node.health().firstByteMillis())
                ? Double.POSITIVE_INFINITY : node.health().firstByteMillis());
        }
        ConnectedNode chosen = null;
        int eligible = 0;
        for (ConnectedNode node : nodes) {
            double millis = node.health().firstByteMillis();
            boolean quickEnough = Double.isNaN(millis) || millis <= quickestMillis * (1 + LATENCY_TIE_MARGIN);
            if (quickEnough && ThreadLocalRandom.current().nextInt(++eligible) == 0) {
                chosen = node; // reservoir sampling: each eligible node equally likely
            }
        }
        return chosen;
    }

    /**
     * As {@link #choose(String, Set, String)}, except that when every node is at its cap the
     * request waits up to {@code mercato.relay.busy-wait-millis} for a slot to free, first come
     * first served, before {@code all_providers_busy}. At most {@code mercato.relay.max-waiting}
     * requests wait at once; beyond that the refusal is immediate.
     */
    public CompletableFuture<Choice> chooseOrWait(String modelId, @Nullable String pinnedOperator,
                                                  @Nullable String preferredNode) {
        Choice choice = choose(modelId, Set.of(), pinnedOperator, preferredNode);
        if (busyWaitMillis <= 0 || !(choice instanceof Choice.None none)
            || none.error().code() != ErrorCode.ALL_PROVIDERS_BUSY) {
            return CompletableFuture.completedFuture(choice);
        }
        if (waiting.incrementAndGet() > maxWaiting) {
            waiting.decrementAndGet();
            return CompletableFuture.completedFuture(choice);
        }
        Waiter waiter = new Waiter(modelId, pinnedOperator);
        waitersByModel.computeIfAbsent(modelId, id -> new ConcurrentLinkedQueue<>()).add(waiter);
        timer.newTimeout(timeout -> wakeExecutor.execute(() -> waiter.settle(true)), busyWaitMillis,
            TimeUnit.MILLISECONDS);
        wake(modelId); // a slot may have freed between the look above and joining the queue
        return waiter.answer;
    }

    /** A slot of the node freed: wake whoever waits for one of its models (off the caller's thread and locks). */
    private void slotFreed(ConnectedNode node) {
        if (waiting.get() == 0) {
            return;
        }
        for (String modelId : node.models().keySet()) {
            ConcurrentLinkedQueue<Waiter> queue = waitersByModel.get(modelId);
            if (queue != null && !queue.isEmpty()) {
                wakeExecutor.execute(() -> wake(modelId));
            }
        }
    }

    /** Serves the model's waiters in order while nodes have slots; stops at the first that still finds none. */
    private void wake(String modelId) {
        ConcurrentLinkedQueue<Waiter> queue = waitersByModel.get(modelId);
        if (queue == null) {
            return;
        }
        for (Waiter waiter = queue.peek(); waiter != null; waiter = queue.peek()) {
            if (!waiter.settle(false) && !waiter.isDone()) {
                return;
            }
        }
    }

    /** A request waiting for a slot; answered once, by a freed slot or by its wait running out. */
    private final class Waiter {
        private final String modelId;
        private final String pinnedOperator;
        private final CompletableFuture<Choice> answer = new CompletableFuture<>();

        Waiter(String modelId, String pinnedOperator) {
            this.modelId = modelId;
            this.pinnedOperator = pinnedOperator;
        }

        boolean isDone() {
            return answer.isDone();
        }

        /**
         * Looks for a node once more; answers when one is found, or with the refusal when the wait
         * is over. Returns whether this call answered. Synchronized so a slot is never taken for a
         * waiter that was already answered.
         */
        synchronized boolean settle(boolean waitIsOver) {
            if (answer.isDone()) {
                return false;
            }
            Choice choice = choose(modelId, Set.of(), pinnedOperator);
            if (choice instanceof Choice.None && !waitIsOver) {
                return false;
            }
            ConcurrentLinkedQueue<Waiter> queue = waitersByModel.get(modelId);
            if (queue != null) {
                queue.remove(this);
            }
            waiting.decrementAndGet();
            answer.complete(choice);
            return true;
        }
    }

    private ApiError allFailing(String modelId) {
        int retryAfter = health.openSeconds();
        return ApiError.of(ErrorCode.UPSTREAM_FAILED, "Every provider node serving model '" + modelId
            + "' has been failing and is paused; retry in " + retryAfter + " seconds.").withRetryAfter(retryAfter);
    }

    private static ApiError allBusy(String modelId, int nodeCount) {
        return ApiError.of(ErrorCode.ALL_PROVIDERS_BUSY, "All " + nodeCount + " provider node(s) serving model '"
            + modelId + "' are at their concurrency limit; retry in " + ALL_BUSY_RETRY_AFTER_SECONDS + " seconds.")
            .withRetryAfter(ALL_BUSY_RETRY_AFTER_SECONDS);
    }

    private static ApiError allResting(String modelId, List<ConnectedNode> nodes, Instant now) {
        Instant earliest = null;
        for (ConnectedNode node : nodes) {
            Instant back = node.schedule().phaseAt(now).online() ? now : node.schedule().phaseAt(now).nextChangeAt();
            if (back != null && (earliest == null || back.isBefore(earliest))) {
                earliest = back;
            }
        }
        long seconds = earliest == null ? NO_PROVIDERS_RETRY_AFTER_SECONDS
            : Math.max(1, Duration.between(now, earliest).toSeconds() + 1);
        int retryAfter = (int) Math.min(Integer.MAX_VALUE, seconds);
        return ApiError.of(ErrorCode.ALL_PROVIDERS_RESTING, "Every provider node serving model '" + modelId
            + "' is in its rest window; the earliest returns in " + retryAfter + " seconds.").withRetryAfter(retryAfter);
    }

    /** Models some connected node serves, sorted, with their protocol and first-seen time. */
    public List<KnownModel> servedModels() {
        List<KnownModel> served = new ArrayList<>();
        for (String modelId : nodesByModel.keySet()) {
            KnownModel known = knownModelsById.get(modelId);
            if (known != null) {
                served.add(known);
            }
        }
        served.sort((a, b) -> a.id().compareTo(b.id()));
        return served;
    }

    public KnownModel knownModel(String modelId) {
        return knownModelsById.get(modelId);
    }

    public Collection<ConnectedNode> nodes() {
        return nodesByName.values();
    }

    /** Either a node whose slot is now taken, or the refusal to give the consumer. */
    public sealed interface Choice {
        record Chosen(ConnectedNode node) implements Choice {
        }

        record None(ApiError error) implements Choice {
        }
    }
}
