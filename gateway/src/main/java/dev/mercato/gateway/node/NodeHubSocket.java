package dev.mercato.gateway.node;

import dev.mercato.gateway.auth.Secrets;
import dev.mercato.protocol.FrameCodec;
import dev.mercato.protocol.NodeFrame;
import io.micronaut.http.HttpRequest;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.Scheduled;
import io.micronaut.websocket.CloseReason;
import io.micronaut.websocket.WebSocketSession;
import io.micronaut.websocket.annotation.OnClose;
import io.micronaut.websocket.annotation.OnError;
import io.micronaut.websocket.annotation.OnMessage;
import io.micronaut.websocket.annotation.OnOpen;
import io.micronaut.websocket.annotation.ServerWebSocket;
import jakarta.inject.Named;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;

/**
 * Where node agents dial in ({@code /v1/nodes/connect}). The first frame must be a valid
 * {@code hello}; after the {@code welcome}, frames are routed to the node's requests.
 */
@ServerWebSocket("/v1/nodes/connect")
public class NodeHubSocket {

    private static final Logger LOG = LoggerFactory.getLogger(NodeHubSocket.class);

    private final FrameCodec codec;
    private final NodeRegistry registry;
    private final NodeDirectory directory;
    private final NodeSettings settings;
    private final ExecutorService blockingExecutor;
    private final NodeHealthRegistry health;
    private final String gatewayInstance = "gw-" + UUID.randomUUID().toString().substring(0, 8);
    /** Sessions that connected but have not been welcomed yet, with when they connected. */
    private final ConcurrentHashMap<String, PendingSession> pendingBySession = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, ConnectedNode> nodesBySession = new ConcurrentHashMap<>();

    public NodeHubSocket(FrameCodec codec, NodeRegistry registry, NodeDirectory directory, NodeSettings settings,
                         @Named(TaskExecutors.BLOCKING) ExecutorService blockingExecutor, NodeHealthRegistry health) {
        this.health = health;
        this.codec = codec;
        this.registry = registry;
        this.directory = directory;
        this.settings = settings;
        this.blockingExecutor = blockingExecutor;
    }

    @OnOpen
    public void onOpen(WebSocketSession session, HttpRequest<?> upgrade) {
        String remoteAddress = Optional.ofNullable(upgrade.getRemoteAddress().getAddress())
            .map(InetAddress::getHostAddress).orElse(upgrade.getRemoteAddress().getHostString());
        pendingBySession.put(session.getId(), new PendingSession(session, System.nanoTime(), remoteAddress));
    }

    @OnMessage(maxPayloadLength = FrameCodec.MAX_FRAME_BYTES)
    public void onMessage(String text, WebSocketSession session) {
        NodeFrame frame;
        try {
            frame = codec.decode(text);
        } catch (FrameCodec.MalformedFrameException e) {
            reject(session, addressOf(session), "malformed_frame", e.getMessage());
            return;
        }
        ConnectedNode node = nodesBySession.get(session.getId());
        if (node != null) {
            node.onFrame(frame);
            return;
        }
        if (!(frame instanceof NodeFrame.Hello hello)) {
            reject(session, addressOf(session), "hello_required", "The first frame must be hello, was " + frame.getClass().getSimpleName());
            return;
        }
        PendingSession pending = pendingBySession.remove(session.getId());
        if (pending == null) {
            return; // a second frame raced the first hello's lookup; the hello decides
        }
        // Shape first, before any database work: a malformed hello costs the gateway nothing.
        String problem = validate(hello);
        if (problem != null) {
            reject(session, pending.remoteAddress(), "invalid_hello", problem);
            return;
        }
        CompletableFuture.supplyAsync(() -> admit(hello), blockingExecutor).whenComplete((identity, failure) -> {
            if (failure != null) {
                LOG.error("could not check a node token", failure);
                reject(session, pending.remoteAddress(), "internal_error",
                    "The gateway could not check the node token; try again.");
            } else if (identity.isEmpty()) {
                reject(session, pending.remoteAddress(), "invalid_node_token",
                    "The node token is not valid: use the token the gateway issued for this node.");
            } else {
                welcome(session, pending.remoteAddress(), hello, identity.get());
            }
        });
    }

    private Optional<NodeIdentity> admit(NodeFrame.Hello hello) {
        if (!Secrets.looksLike(hello.nodeToken(), Secrets.NODE_TOKEN_PREFIX)) { // null-safe
            return Optional.empty();
        }
        Optional<NodeIdentity> identity = directory.findByTokenHash(Secrets.hash(hello.nodeToken()));
        if (identity.isPresent()) {
            for (NodeFrame.ModelOffer offer : hello.models()) {
                if (!registry.isKnownModel(offer.id())) {
                    directory.rememberModel(offer.id(), offer.protocol().wireName());
                }
            }
            directory.knownModels().forEach(registry::rememberModel);
            directory.touch(identity.get().nodeId());
        }
        return identity;
    }

    private void welcome(WebSocketSession session, String remoteAddress, NodeFrame.Hello hello, NodeIdentity identity) {
        if (!session.isOpen()) {
            return;
        }
        ConnectedNode node = new ConnectedNode(identity, session, codec, hello, health.of(identity.displayName()));
        nodesBySession.put(session.getId(), node);
        registry.register(node);
        session.sendAsync(codec.encode(new NodeFrame.Welcome(identity.displayName(), settings.heartbeatSeconds(),
            gatewayInstance)));
        LOG.info("node {} connected from {} (agent {}): serves {} with max concurrency {}", identity.displayName(),
            remoteAddress, hello.agentVersion(), node.models().keySet(), hello.maxConcurrency());
    }

    /** Bounds on what a node may advertise; a node outside them is refused with the reason. */
    static String validate(NodeFrame.Hello hello) {
        if (hello.models() == null || hello.models().isEmpty()) {
            return "A node must offer at least one model.";
        }
        if (hello.models().size() > 256) {
            return "A node may offer at most 256 models, this one offered " + hello.models().size() + ".";
        }
        if (hello.maxConcurrency() < 1 || hello.maxConcurrency() > 10_000) {
            return "maxConcurrency must be between 1 and 10000, was " + hello.maxConcurrency() + ".";
        }
        for (NodeFrame.ModelOffer offer : hello.models()) {
            if (offer.id() == null || offer.id().isEmpty() || offer.id().length() > 200 || offer.id().contains("/")) {
                return "Model ids must be 1 to 200 characters without '/', got '" + offer.id() + "'.";
            }
        }
        return null;
    }

    @OnClose
    public void onClose(WebSocketSession session, CloseReason reason) {
        pendingBySession.remove(session.getId());
        ConnectedNode node = nodesBySession.remove(session.getId());
        if (node != null) {
            registry.unregister(node);
            node.failAll("the connection to node " + node.displayName() + " dropped");
            LOG.info("node {} disconnected ({} {})", node.displayName(), reason.getCode(), reason.getReason());
        }
    }

    @OnError
    public void onError(WebSocketSession session, Throwable error) {
        LOG.warn("node connection {} failed: {}", session.getId(), error.toString());
        session.close(CloseReason.INTERNAL_ERROR);
    }

    /** Drops connections that never said hello in time, and nodes that stopped talking. */
    @Scheduled(fixedDelay = "2s", initialDelay = "2s")
    void sweep() {
        long now = System.nanoTime();
        long helloTimeoutNanos = settings.helloTimeoutMillis() * 1_000_000L;
        pendingBySession.forEach((sessionId, pending) -> {
            if (now - pending.sinceNanos() > helloTimeoutNanos && pendingBySession.remove(sessionId, pending)) {
                reject(pending.session(), pending.remoteAddress(), "hello_timeout",
                    "No hello arrived within " + settings.helloTimeoutMillis() + " ms of connecting.");
            }
        });
        long silenceLimitNanos = settings.heartbeatSeconds() * NodeSettings.MISSED_BEATS_BEFORE_DROP * 1_000_000_000L;
        for (ConnectedNode node : nodesBySession.values()) {
            if (now - node.lastHeardNanos() > silenceLimitNanos) {
                LOG.warn("node {} was silent for {} heartbeats; dropping it", node.displayName(),
                    NodeSettings.MISSED_BEATS_BEFORE_DROP);
                node.disconnect();
            }
        }
    }

    private String addressOf(WebSocketSession session) {
        PendingSession pending = pendingBySession.get(session.getId());
        if (pending != null) {
            return pending.remoteAddress();
        }
        ConnectedNode node = nodesBySession.get(session.getId());
        return node == null ? "unknown" : "node " + node.displayName();
    }

    private void reject(WebSocketSession session, String remoteAddress, String code, String message) {
        LOG.warn("refused node connection from {}: {} ({})", remoteAddress, code, message);
        pendingBySession.remove(session.getId());
        session.sendAsync(codec.encode(new NodeFrame.Reject(code, message)))
            .whenComplete((sent, failure) -> session.close(CloseReason.POLICY_VIOLATION));
    }

    private record PendingSession(WebSocketSession session, long sinceNanos, String remoteAddress) {
    }
}
