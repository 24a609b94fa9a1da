package dev.mercato.gateway.node;

import dev.mercato.protocol.FrameCodec;
import dev.mercato.protocol.NodeFrame;
import dev.mercato.protocol.NodeState;
import dev.mercato.protocol.Schedule;
import io.micronaut.json.JsonMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A scripted node for gateway tests: a real WebSocket client whose frames the test writes by hand. */
public final class FakeNode implements WebSocket.Listener, AutoCloseable {

    private final FrameCodec codec = new FrameCodec(JsonMapper.createDefault());
    private final BlockingQueue<NodeFrame> received = new LinkedBlockingQueue<>();
    private final StringBuilder partial = new StringBuilder();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private WebSocket socket;
    private volatile String welcomedAs;
    private CompletableFuture<WebSocket> sending = CompletableFuture.completedFuture(null);

    public static FakeNode connect(String url, String token, List<NodeFrame.ModelOffer> models, int maxConcurrency) {
        return connect(url, token, models, maxConcurrency, Schedule.ALWAYS_ONLINE);
    }

    public static FakeNode connect(String url, String token, List<NodeFrame.ModelOffer> models, int maxConcurrency,
                                   Schedule schedule) {
        FakeNode node = new FakeNode();
        node.socket = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(url), node).join();
        node.send(new NodeFrame.Hello(token, "test", models, maxConcurrency, schedule, NodeState.ONLINE));
        return node;
    }

    /** The name the gateway welcomed this node as (set by the test once it saw the welcome). */
    public String welcomedAs() {
        return welcomedAs;
    }

    public void welcomedAs(String nodeId) {
        this.welcomedAs = nodeId;
    }

    public synchronized void send(NodeFrame frame) {
        String text = codec.encode(frame);
        sending = sending.thenCompose(ignored -> socket.sendText(text, true));
        sending.join();
    }

    /** The next frame of the given type, skipping nothing: any other frame first is a test failure. */
    public <T extends NodeFrame> T expect(Class<T> type, Duration timeout) {
        try {
            NodeFrame frame = received.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (frame == null) {
                throw new AssertionError("no " + type.getSimpleName() + " frame within " + timeout);
            }
            if (!type.isInstance(frame)) {
                throw new AssertionError("expected " + type.getSimpleName() + " but got " + frame);
            }
            return type.cast(frame);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public NodeFrame poll(Duration timeout) throws InterruptedException {
        return received.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public boolean awaitClosed(Duration timeout) {
        try {
            closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** Drops the socket without a close handshake, as a crashed agent would. */
    public void abort() {
        socket.abort();
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            received.add(codec.decode(partial.toString()));
            partial.setLength(0);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closed.complete(null);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.complete(null);
    }

    @Override
    public void close() {
        socket.abort();
    }
}
