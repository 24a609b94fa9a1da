package dev.mercato.gateway.consumer;

import dev.mercato.gateway.auth.KeyAuthenticator;
import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.error.ErrorCode;
import dev.mercato.gateway.error.ErrorResponses;
import dev.mercato.gateway.error.WireProtocol;
import dev.mercato.gateway.relay.ApiRoute;
import dev.mercato.gateway.relay.Relay;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The consumer routes served by provider nodes, in the Anthropic and OpenAI wire formats.
 * Each request runs the same line of steps: authenticate, validate, pick a node, relay.
 */
@Controller
public class ConsumerController {

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerController.class);

    private final KeyAuthenticator keys;
    private final Relay relay;

    public ConsumerController(KeyAuthenticator keys, Relay relay) {
        this.keys = keys;
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
        return keys.authenticate(request)
            .thenCompose(key -> relay.relay(route, key, request, body, requestId))
            .exceptionally(failure -> refusal(route.wireProtocol(), failure, requestId));
    }

    /** Every failure of the request path becomes an error in the consumer's protocol; bugs become 500s. */
    static MutableHttpResponse<?> refusal(WireProtocol protocol, Throwable failure, String requestId) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof ApiError.Exception apiError) {
            return ErrorResponses.response(protocol, apiError.error(), requestId);
        }
        LOG.error("request {} failed inside the gateway", requestId, cause);
        return ErrorResponses.response(protocol, ApiError.of(ErrorCode.INTERNAL_ERROR,
            "The gateway failed to handle the request (request id " + requestId + "); retry, and report the id if it persists."),
            requestId);
    }
}
