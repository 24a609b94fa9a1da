package dev.mercato.gateway.node;

import dev.mercato.gateway.TestGateway;
import dev.mercato.protocol.NodeFrame;
import dev.mercato.protocol.Protocol;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the node hub refuses, and how: a reject frame naming the problem, then the socket closes. */
class NodeHubTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static TestGateway gateway;

    @BeforeAll
    static void startGateway() {
        gateway = TestGateway.start(Map.of("mercato.nodes.hello-timeout-millis", 300));
    }

    @AfterAll
    static void stopGateway() {
        gateway.close();
    }

    @Test
    void refusesAHelloThatOffersNoModels() {
        FakeNode node = FakeNode.connect(gateway.nodeUrl(), gateway.createNode("hub").token(), List.of(), 4);
        NodeFrame.Reject reject = node.expect(NodeFrame.Reject.class, WAIT);
        assertEquals(new NodeFrame.Reject("invalid_hello", "A node must offer at least one model."), reject);
        assertTrue(node.awaitClosed(WAIT));
    }

    @Test
    void refusesAModelIdThatWouldBeMistakenForAPinnedOperator() {
        FakeNode node = FakeNode.connect(gateway.nodeUrl(), gateway.createNode("hub").token(),
            List.of(new NodeFrame.ModelOffer("acme/gpt", Protocol.OPENAI, null)), 4);
        assertEquals(new NodeFrame.Reject("invalid_hello", "Model ids must be 1 to 200 characters without '/', got 'acme/gpt'."),
            node.expect(NodeFrame.Reject.class, WAIT));
    }

    @Test
    void refusesAnythingButHelloFirst() throws Exception {
        Listener listener = new Listener();
        WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder()
            .buildAsync(URI.create(gateway.nodeUrl()), listener).join();
        socket.sendText("{\"type\":\"status\",\"state\":\"online\",\"inFlight\":0}", true).join();
        assertEquals("{\"type\":\"reject\",\"code\":\"hello_required\",\"message\":\"The first frame must be hello, was Status\"}",
            listener.firstText.get(5, TimeUnit.SECONDS));
        listener.closed.get(5, TimeUnit.SECONDS);
    }

    @Test
    void closesAConnectionThatNeverSaysHello() throws Exception {
        Listener listener = new Listener();
        HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(gateway.nodeUrl()), listener).join();
        assertEquals("{\"type\":\"reject\",\"code\":\"hello_timeout\",\"message\":\"No hello arrived within 300 ms of connecting.\"}",
            listener.firstText.get(10, TimeUnit.SECONDS));
        listener.closed.get(5, TimeUnit.SECONDS);
    }

    private static final class Listener implements WebSocket.Listener {
        final CompletableFuture<String> firstText = new CompletableFuture<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            firstText.complete(data.toString());
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete(-1);
        }
    }
}
