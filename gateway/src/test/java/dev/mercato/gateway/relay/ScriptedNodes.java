package dev.mercato.gateway.relay;

import dev.mercato.gateway.TestGateway;
import dev.mercato.gateway.node.FakeNode;
import dev.mercato.protocol.NodeFrame;
import dev.mercato.protocol.Protocol;
import io.micronaut.json.JsonMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** What the scheduling tests share: scripted nodes serving an OpenAI model, chat requests to it, whole answers. */
final class ScriptedNodes {

    static final Duration WAIT = Duration.ofSeconds(5);
    static final String ANSWER = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
        + "\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}],"
        + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}";

    private ScriptedNodes() {
    }

    /** A node of the operator serving the model over the OpenAI protocol, welcomed by the gateway. */
    static FakeNode connect(TestGateway gateway, String operator, String model, int maxConcurrency) {
        TestGateway.NewNode created = gateway.createNode(operator);
        FakeNode node = FakeNode.connect(gateway.nodeUrl(), created.token(),
            List.of(new NodeFrame.ModelOffer(model, Protocol.OPENAI, null)), maxConcurrency);
        node.welcomedAs(node.expect(NodeFrame.Welcome.class, WAIT).nodeId());
        return node;
    }

    /** A chat completion for the model; {@code extraFields} are JSON members added to the body ("" for none). */
    static CompletableFuture<HttpResponse<String>> chat(HttpClient http, TestGateway gateway, String apiKey, String model,
                                                        String extraFields) {
        String body = "{\"model\":\"" + model + "\",\"max_tokens\":5," + extraFields
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        return http.sendAsync(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/v1/chat/completions"))
                .header("authorization", "Bearer " + apiKey).header("content-type", "application/json")
                .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString());
    }

    /** The node answers the request whole: head, {@link #ANSWER}, end. */
    static void answer(FakeNode node, NodeFrame.Request request) {
        node.send(new NodeFrame.Head(request.id(), 200, Map.of("content-type", "application/json")));
        node.send(new NodeFrame.Chunk(request.id(), ANSWER));
        node.send(new NodeFrame.End(request.id(), null, 1));
    }

    /** The {@code error} object of an OpenAI-shaped refusal. */
    static Map<?, ?> error(TestGateway gateway, HttpResponse<String> response) throws IOException {
        return (Map<?, ?>) gateway.bean(JsonMapper.class).readValue(response.body(), Map.class).get("error");
    }
}
