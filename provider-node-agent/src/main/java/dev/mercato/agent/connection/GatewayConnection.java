package dev.mercato.agent.connection;

import dev.mercato.agent.rest.RestWindows;
import dev.mercato.agent.serving.RequestServer;
import dev.mercato.agent.serving.ServedRequest;
import dev.mercato.protocol.FrameCodec;
import dev.mercato.protocol.NodeFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;

/**
 * Keeps one WebSocket open to one gateway instance: says hello, waits for the welcome, sends
 * a status and a ping every heartbeat, serves the requests that arrive, and reconnects with
 * backoff whenever the socket is lost. Requests in flight on a lost socket are stopped.
 */
public final class GatewayConnection {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayConnection.class);

    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** A gateway that has not welcomed the hello by then is treated as unreachable. */
    public static final long WELCOME_TIMEOUT_MILLIS = 10_000;
    /** A gateway silent for this many heartbeats is dropped and dialled again. */
    public static final int MISSED_BEATS_BEFORE_DROP = 3;
    public static final int MIN_HEARTBEAT_SECONDS = 1;
    public static final int MAX_HEARTBEAT_SECONDS = 300;
    /** A connection that lasted this long resets the backoff, so one drop after hours starts from the base. */
    public static final long STABLE_CONNECTION_MILLIS = 10_000;
    /**
     * After a reject (say, a revoked token) the gateway is asked again this rarely: often
     * enough to recover from a gateway-side mistake, rarely enough not to hammer it.
     */
    public static final long REJECTED_RETRY_MILLIS = 5 * 60_000;
    /** How long a graceful close waits for the gateway to answer the close frame. */
    public static final long CLOSE_HANDSHAKE_MILLIS = 2_000;

    private final URI url;
    private final HttpClient client;
    private final FrameCodec codec;
    private final ScheduledExecutorService scheduler;
    private final Supplier<NodeFrame.Hello> hello;
    private final RequestServer server;
    private final RestWindows rest;
    private final Runnable onWelcome;
    private final RandomGenerator random;
    private Session current;
    private int failedAttempts;
    private boolean closed;

    public GatewayConnection(URI url, HttpClient client, FrameCodec codec, ScheduledExecutorService scheduler,
                             Supplier<NodeFrame.Hello> hello, RequestServer server, RestWindows rest,
                             Runnable onWelcome, RandomGenerator random) {
        this.url = url;
        this.client = client;
        this.codec = codec;
        this.scheduler = scheduler;
        this.hello = hello;
        this.server = server;
        this.rest = rest;
        this.onWelcome = onWelcome;
        this.random = random;
    }

    /** Dials the gateway now; from then on the connection keeps itself up until {@link #close}. */
    public void start() {
        connect();
    }

    /** Welcomed by the gateway and not lost since. */
    public synchronized boolean isWelcomed() {
        return current != null && current.welcomed;
    }

    /** Sends a status frame if the gateway has welcomed this node. */
    public void sendStatus(NodeFrame.Status status) {
        Session session = currentSession();
        if (session != null && session.welcomed) {
            session.send(status);
        }
    }

    /** Aborts the socket with no close frame, as a crash would; the connection then dials again. */
    public void drop() {
        Session session = currentSession();
        if (session != null) {
            session.lost("dropped on purpose", true);
        }
    }

    /** Closes the socket with a close frame and stops reconnecting; requests still in flight are stopped. */
    public CompletableFuture<Void> close() {
        Session session;
        synchronized (this) {
            closed = true;
            session = current;
        }
        return session == null ? CompletableFuture.completedFuture(null) : session.closeGracefully();
    }

    private synchronized Session currentSession() {
        return current;
    }

    private void connect() {
        Session session;
        synchronized (this) {
            if (closed) {
                return;
            }
            session = new Session();
            current = session;
        }
        try {
            client.newWebSocketBuilder()
                .connectTimeout(CONNECT_TIMEOUT)
                .buildAsync(url, session)
                .whenComplete((_, error) -> {
                    if (error != null) {
                        Throwable cause = error.getCause() != null ? error.getCause() : error;
                        session.lost("cannot connect: " + describe(cause), false);
                    }
                });
        } catch (RuntimeException e) {
            session.lost("cannot connect: " + describe(e), false);
        }
    }

    /** Schedules the next attempt after {@code session} ended; returns the wait, or -1 when closed. */
    private long sessionEnded(Session session) {
        long delayMillis;
        synchronized (this) {
            if (current == session) {
                current = null;
            }
            if (closed) {
                return -1;
            }
            if (session.rejected) {
                delayMillis = REJECTED_RETRY_MILLIS;
            } else {
                if (session.wasStable()) {
                    failedAttempts = 0;
                }
                delayMillis = Backoff.RECONNECT.delayMillis(failedAttempts, random);
                failedAttempts = Math.min(failedAttempts + 1, Long.SIZE);
            }
        }
        scheduler.schedule(this::connect, delayMillis, TimeUnit.MILLISECONDS);
        return delayMillis;
    }

    private static String describe(Throwable error) {
        return error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
    }

    /** One WebSocket, from dialling to its loss; the connection makes a new one for every attempt. */
    private final class Session implements WebSocket.Listener {

        private final ConcurrentHashMap<String, ServedRequest> active = new ConcurrentHashMap<>();
        private final AtomicBoolean ended = new AtomicBoolean();
        private final StringBuilder partialText = new StringBuilder();
        private final CompletableFuture<Void> closedFuture = new CompletableFuture<>();
        private volatile WebSocket socket;
        private volatile FrameSender sender;
        private volatile boolean welcomed;
        private volatile boolean rejected;
        private volatile long lastHeardNanos = System.nanoTime();
        private volatile long welcomedAtNanos;
        private volatile ScheduledFuture<?> welcomeTimer;
        private volatile ScheduledFuture<?> heartbeat;

        @Override
        public void onOpen(WebSocket webSocket) {
            if (ended.get()) {
                // Closed while it was still dialling.
                webSocket.abort();
                return;
            }
            socket = webSocket;
            // Sending fails inside an upstream's callback; the connection is torn down on another thread.
            sender = new FrameSender(webSocket, reason -> {
                try {
                    scheduler.execute(() -> lost(reason, true));
                } catch (RejectedExecutionException e) {
                    lost(reason, true);
                }
            });
            lastHeardNanos = System.nanoTime();
            webSocket.request(1);
            send(hello.get());
            welcomeTimer = scheduler.schedule(() -> {
                if (!welcomed) {
                    lost("no welcome within " + WELCOME_TIMEOUT_MILLIS + " ms of the hello", true);
                }
            }, WELCOME_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            lastHeardNanos = System.nanoTime();
            if (partialText.length() + data.length() > FrameCodec.MAX_FRAME_BYTES) {
                lost("the gateway sent a frame larger than " + FrameCodec.MAX_FRAME_BYTES + " characters", true);
                return null;
            }
            if (last && partialText.isEmpty()) {
                handle(data.toString());
            } else {
                partialText.append(data);
                if (last) {
                    String text = partialText.toString();
                    partialText.setLength(0);
                    handle(text);
                }
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            lastHeardNanos = System.nanoTime();
            LOG.warn("gateway {} sent a binary frame; this protocol version uses text frames only, ignored", url);
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
            lastHeardNanos = System.nanoTime();
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
            lastHeardNanos = System.nanoTime();
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            lost("the gateway closed the connection (" + statusCode + (reason.isEmpty() ? "" : " " + reason) + ")",
                false);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            lost("connection error: " + describe(error), false);
        }

        private void handle(String text) {
            NodeFrame frame;
            try {
                frame = codec.decode(text);
            } catch (FrameCodec.MalformedFrameException e) {
                LOG.warn("gateway {} sent a frame this agent cannot read, ignored: {}", url, e.getMessage());
                return;
            }
            switch (frame) {
                case NodeFrame.Welcome welcome -> welcomed(welcome);
                case NodeFrame.Reject reject -> {
                    rejected = true;
                    LOG.error("gateway {} rejected this node: {}: {} (asking again in {} s)", url, reject.code(),
                        reject.message(), REJECTED_RETRY_MILLIS / 1000);
                }
                case NodeFrame.Request request -> {
                    if (welcomed) {
                        server.serve(request, this::send, active);
                    } else {
                        LOG.warn("gateway {} sent request {} before its welcome; ignored", url, request.id());
                    }
                }
                case NodeFrame.Cancel cancel -> {
                    ServedRequest served = active.get(cancel.id());
                    if (served != null) {
                        LOG.debug("gateway {} cancelled request {}: {}", url, cancel.id(), cancel.reason());
                        served.cancel();
                    }
                }
                case NodeFrame.Hello _, NodeFrame.Status _, NodeFrame.Head _, NodeFrame.Chunk _, NodeFrame.End _,
                     NodeFrame.Fail _ -> LOG.warn("gateway {} sent a {} frame, which only agents send; ignored", url,
                    frame.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT));
            }
        }

        private void welcomed(NodeFrame.Welcome welcome) {
            if (welcomed) {
                LOG.warn("gateway {} sent a second welcome; ignored", url);
                return;
            }
            int heartbeatSeconds = Math.clamp(welcome.heartbeatSeconds(), MIN_HEARTBEAT_SECONDS, MAX_HEARTBEAT_SECONDS);
            welcomedAtNanos = System.nanoTime();
            ScheduledFuture<?> timer = welcomeTimer;
            if (timer != null) {
                timer.cancel(false);
            }
            NodeFrame.Hello sent = hello.get();
            LOG.info("connected to {} as node {}; serving {} (max concurrency {})", url, welcome.nodeId(),
                sent.models().stream().map(NodeFrame.ModelOffer::id).collect(Collectors.joining(", ")),
                sent.maxConcurrency());
            heartbeat = scheduler.scheduleAtFixedRate(() -> {
                try {
                    beat(heartbeatSeconds);
                } catch (RuntimeException e) {
                    LOG.error("heartbeat to {} failed", url, e);
                }
            }, heartbeatSeconds, heartbeatSeconds, TimeUnit.SECONDS);
            welcomed = true;
            // The state may have changed between the hello and the welcome.
            send(rest.status());
            if (ended.get()) {
                heartbeat.cancel(false);
                return;
            }
            onWelcome.run();
        }

        private void beat(int heartbeatSeconds) {
            if (ended.get()) {
                return;
            }
            long silentMillis = (System.nanoTime() - lastHeardNanos) / 1_000_000;
            if (silentMillis > MISSED_BEATS_BEFORE_DROP * heartbeatSeconds * 1000L) {
                lost("the gateway was silent for " + silentMillis + " ms (" + MISSED_BEATS_BEFORE_DROP
                    + " heartbeats of " + heartbeatSeconds + " s)", true);
                return;
            }
            send(rest.status());
            WebSocket webSocket = socket;
            try {
                // A ping still unanswered makes this one fail; the silence check above covers that case.
                webSocket.sendPing(ByteBuffer.allocate(0)).exceptionally(_ -> null);
            } catch (IllegalStateException e) {
                LOG.debug("ping to {} not sent: {}", url, e.getMessage());
            }
        }

        void send(NodeFrame frame) {
            FrameSender current = sender;
            if (current != null && !ended.get()) {
                current.send(codec.encode(frame));
            }
        }

        CompletableFuture<Void> closeGracefully() {
            WebSocket webSocket = socket;
            if (webSocket == null || ended.get()) {
                lost("the agent is shutting down", true);
                return CompletableFuture.completedFuture(null);
            }
            webSocket.sendClose(WebSocket.NORMAL_CLOSURE, "agent shutting down").exceptionally(_ -> null);
            return closedFuture.completeOnTimeout(null, CLOSE_HANDSHAKE_MILLIS, TimeUnit.MILLISECONDS)
                .thenRun(() -> lost("the agent is shutting down", true));
        }

        boolean wasStable() {
            return welcomedAtNanos != 0
                && (System.nanoTime() - welcomedAtNanos) / 1_000_000 >= STABLE_CONNECTION_MILLIS;
        }

        /** Ends this session once: stops its timers and requests, then lets the connection dial again. */
        void lost(String reason, boolean abortSocket) {
            if (!ended.compareAndSet(false, true)) {
                return;
            }
            boolean wasWelcomed = welcomed;
            welcomed = false;
            for (ScheduledFuture<?> timer : new ScheduledFuture<?>[] {welcomeTimer, heartbeat}) {
                if (timer != null) {
                    timer.cancel(false);
                }
            }
            WebSocket webSocket = socket;
            if (abortSocket && webSocket != null) {
                webSocket.abort();
            }
            List<ServedRequest> stopped = List.copyOf(active.values());
            for (ServedRequest served : stopped) {
                served.cancel();
            }
            closedFuture.complete(null);
            long retryMillis = sessionEnded(this);
            if (retryMillis < 0) {
                LOG.info("disconnected from {}", url);
            } else if (wasWelcomed) {
                LOG.warn("connection to {} lost: {}; requests in flight on it stopped: {}; reconnecting in {} ms",
                    url, reason, stopped.size(), retryMillis);
            } else {
                LOG.warn("gateway {}: {}; trying again in {} ms", url, reason, retryMillis);
            }
        }
    }
}
