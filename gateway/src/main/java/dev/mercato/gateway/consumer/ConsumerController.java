package dev.mercato.gateway.consumer;

import dev.mercato.gateway.relay.ApiRoute;
import dev.mercato.gateway.relay.Relay;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;

import java.util.concurrent.CompletableFuture;

/**
 * The consumer routes served by provider nodes, in the Anthropic and OpenAI wire formats.
 * Each request runs the same line of steps: authenticate, validate, admit, reserve, pick a node, relay.
 */
@Controller
public class ConsumerController {

    private final ConsumerGate gate;
    private final Relay relay;

    public ConsumerController(ConsumerGate gate, Relay relay) {
        this.gate = gate;
        this.relay = relay;
    }

    @Post(uri = "/v1/messages", consumes = MediaType.ALL, produces = MediaType.ALL)
    public CompletableFuture<MutableHttpResponse<?>> messages(HttpRequest<?> request, @Body @Nullable byte[] body) {
        return serve(ApiRoute.MESSAGES, request, body);
    }

    @Post(uri = "/v1/messages/count_tokens", consumes = MediaType.ALL, produces = MediaType.ALL)
    public CompletableFuture<MutableHttpResponse<?>> countTokens(HttpRequest<?> request, @Body @Nullable byte[] body) {
        return serve(ApiRoute.COUNT_TOKENS, request, body);
    }

    @Post(uri = "/v1/chat/completions", consumes = MediaType.ALL, produces = MediaType.ALL)
    public CompletableFuture<MutableHttpResponse<?>> chatCompletions(HttpRequest<?> request, @Body @Nullable byte[] body) {
        return serve(ApiRoute.CHAT_COMPLETIONS, request, body);
    }

    @Post(uri = "/v1/responses", consumes = MediaType.ALL, produces = MediaType.ALL)
    public CompletableFuture<MutableHttpResponse<?>> responses(HttpRequest<?> request, @Body @Nullable byte[] body) {
        return serve(ApiRoute.RESPONSES, request, body);
    }

    private CompletableFuture<MutableHttpResponse<?>> serve(ApiRoute route, HttpRequest<?> request, byte[] body) {
        String requestId = RequestIds.of(request);
        return gate.serve(request, route.wireProtocol(), key -> relay.relay(route, key, request, body, requestId));
    }
}
