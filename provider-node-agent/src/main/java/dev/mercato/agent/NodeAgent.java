package dev.mercato.agent;

import dev.mercato.agent.config.AgentConfig;
import dev.mercato.agent.config.ModelConfig;
import dev.mercato.agent.config.UpstreamConfig;
import dev.mercato.agent.connection.GatewayConnection;
import dev.mercato.agent.rest.RestWindows;
import dev.mercato.agent.serving.Counters;
import dev.mercato.agent.serving.RequestServer;
import dev.mercato.agent.serving.Slots;
import dev.mercato.agent.upstream.HttpUpstream;
import dev.mercato.agent.upstream.SimulatedUpstream;
import dev.mercato.agent.upstream.Upstream;
import dev.mercato.protocol.FrameCodec;
import dev.mercato.protocol.NodeFrame;
import io.micronaut.json.JsonMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;

/**
 * A running node agent: one connection per configured gateway, the upstreams behind them,
 * the shared concurrency slots and the rest schedule. Start it, and it keeps itself connected
 * until {@link #close}.
 */
public final class NodeAgent implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NodeAgent.class);

    public static final String AGENT_VERSION = "0.1.0";
    /** Timers, heartbeats and simulated streams all run here; none of them blocks. */
    static final int SCHEDULER_THREADS = 2;
    /** How long a graceful close lets requests in flight finish before it stops them. */
    public static final long SHUTDOWN_DRAIN_MILLIS = 30_000;
    /** How often the rest schedule is checked. */
    static final long REST_CHECK_MILLIS = 1_000;
    private static final long DRAIN_POLL_MILLIS = 20;

    private final ScheduledThreadPoolExecutor scheduler;
    private final HttpClient gatewayClient;
    private final List<Upstream> upstreams;
    private final List<GatewayConnection> connections;
    private final Slots slots;
    private final Counters counters;
    private final RestWindows rest;
    private final Object welcomeMonitor = new Object();
    private final AtomicBoolean closed = new AtomicBoolean();

    private NodeAgent(AgentConfig config, Clock clock) {
        AtomicInteger threadNumber = new AtomicInteger();
        this.scheduler = new ScheduledThreadPoolExecutor(SCHEDULER_THREADS, task -> {
            Thread thread = new Thread(task, "mercato-agent-" + threadNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        // Deadline timers are cancelled far more often than they fire; do not keep them queued.
        scheduler.setRemoveOnCancelPolicy(true);
        this.slots = new Slots(config.maxConcurrency());
        this.counters = new Counters();
        this.rest = new RestWindows(config.schedule(), clock, slots::inFlight);
        this.upstreams = new ArrayList<>();
        Map<String, RequestServer.Route> routes = new LinkedHashMap<>();
        List<NodeFrame.ModelOffer> offers = new ArrayList<>();
        for (UpstreamConfig upstreamConfig : config.upstreams()) {
            Upstream upstream = switch (upstreamConfig.type()) {
                case SIMULATED -> new SimulatedUpstream(upstreamConfig, scheduler, clock);
                case ANTHROPIC, OPENAI, OPENAI_COMPATIBLE -> new HttpUpstream(upstreamConfig, scheduler, clock);
            };
            upstreams.add(upstream);
            for (ModelConfig model : upstreamConfig.models()) {
                routes.put(model.id(), new RequestServer.Route(model, upstream));
                offers.add(new NodeFrame.ModelOffer(model.id(), model.protocol(), model.maxConcurrency()));
            }
        }
        RequestServer server = new RequestServer(routes, slots, rest, counters, clock);
        FrameCodec codec = new FrameCodec(JsonMapper.createDefault());
        this.gatewayClient = HttpClient.newBuilder().connectTimeout(GatewayConnection.CONNECT_TIMEOUT).build();
        List<NodeFrame.ModelOffer> helloModels = List.copyOf(offers);
        this.connections = new ArrayList<>();
        for (URI gateway : config.gateways()) {
            connections.add(new GatewayConnection(gateway, gatewayClient, codec, scheduler,
                () -> new NodeFrame.Hello(config.nodeToken(), AGENT_VERSION, helloModels, config.maxConcurrency(),
                    config.schedule(), rest.state()),
                server, rest, this::welcomed, RandomGenerator.getDefault()));
        }
        rest.onChange(status -> connections.forEach(connection -> connection.sendStatus(status)));
    }

    /** Starts an agent on the system clock. */
    public static NodeAgent start(AgentConfig config) {
        return start(config, Clock.systemUTC());
    }

    /** Starts an agent whose rest schedule and deadlines follow {@code clock}. */
    public static NodeAgent start(AgentConfig config, Clock clock) {
        NodeAgent agent = new NodeAgent(config, clock);
        agent.scheduler.scheduleAtFixedRate(agent::checkRestSchedule, REST_CHECK_MILLIS, REST_CHECK_MILLIS,
            TimeUnit.MILLISECONDS);
        agent.connections.forEach(GatewayConnection::start);
        return agent;
    }

    /** Waits until every gateway has welcomed this node; false when {@code timeout} passed first. */
    public boolean awaitConnected(Duration timeout) {
        long deadlineNanos = System.nanoTime() + timeout.toNanos();
        synchronized (welcomeMonitor) {
            while (!connections.stream().allMatch(GatewayConnection::isWelcomed)) {
                long remainingNanos = deadlineNanos - System.nanoTime();
                if (remainingNanos <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(welcomeMonitor, remainingNanos);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    public AgentStats stats() {
        return new AgentStats(slots.inFlight(), counters.served(), counters.failed(), counters.cancelled());
    }

    /** Aborts every gateway socket at once with no goodbye, as a crash would; the agent reconnects by itself. */
    public void dropConnections() {
        connections.forEach(GatewayConnection::drop);
    }

    /**
     * Stops gracefully: tells the gateways the node is draining, lets requests in flight finish
     * (up to {@link #SHUTDOWN_DRAIN_MILLIS}), then closes every socket and releases the upstreams.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        rest.shutDown();
        long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SHUTDOWN_DRAIN_MILLIS);
        while (slots.inFlight() > 0 && System.nanoTime() < deadlineNanos) {
            try {
                Thread.sleep(DRAIN_POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (slots.inFlight() > 0) {
            LOG.warn("stopping with {} requests still in flight after {} ms", slots.inFlight(), SHUTDOWN_DRAIN_MILLIS);
        }
        CompletableFuture<?>[] closing = connections.stream().map(GatewayConnection::close)
            .toArray(CompletableFuture<?>[]::new);
        try {
            CompletableFuture.allOf(closing).get(GatewayConnection.CLOSE_HANDSHAKE_MILLIS * 2, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("closing the gateway connections did not finish cleanly: {}", e.toString());
        }
        upstreams.forEach(Upstream::close);
        scheduler.shutdownNow();
        gatewayClient.shutdownNow();
        AgentStats stats = stats();
        LOG.info("agent stopped: {} served, {} failed, {} cancelled", stats.served(), stats.failed(),
            stats.cancelled());
    }

    private void checkRestSchedule() {
        try {
            rest.tick();
        } catch (RuntimeException e) {
            LOG.error("checking the rest schedule failed", e);
        }
    }

    private void welcomed() {
        synchronized (welcomeMonitor) {
            welcomeMonitor.notifyAll();
        }
    }
}
