package dev.mercato.gateway.relay;

import dev.mercato.gateway.auth.AuthenticatedKey;
import dev.mercato.gateway.billing.Billing;
import dev.mercato.gateway.billing.Hold;
import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.usage.UsageRecord;
import dev.mercato.gateway.usage.UsageRecorder;
import dev.mercato.gateway.error.ErrorCode;
import dev.mercato.gateway.node.KnownModel;
import dev.mercato.gateway.node.NodeRegistry;
import dev.mercato.protocol.NodeFrame;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.server.netty.NettyHttpRequest;
import io.micronaut.json.JsonMapper;
import io.netty.channel.Channel;
import io.netty.util.HashedWheelTimer;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/**
 * The relay steps of the request path: check the model, reserve the request's maximum cost,
 * pick a node, send the request, turn the node's frames into the consumer's response, and
 * settle what it cost once it ends.
 */
@Singleton
public final class Relay {

    /** Request headers the upstream may need; nothing else of the consumer's request is passed on. */
    private static final List<String> FORWARDED_HEADERS = List.of("anthropic-version", "anthropic-beta", "openai-beta");

    /** Longest model list quoted in an error message. */
    private static final int MAX_MODELS_LISTED = 50;

    private final NodeRegistry registry;
    private final RequestParser parser;
    private final RelaySettings settings;
    private final JsonMapper jsonMapper;
    private final HashedWheelTimer timer;
    private final Billing billing;
    private final UsageRecorder usageRecorder;

    public Relay(NodeRegistry registry, RequestParser parser, RelaySettings settings, JsonMapper jsonMapper,
                 HashedWheelTimer timer, Billing billing, UsageRecorder usageRecorder) {
        this.billing = billing;
        this.usageRecorder = usageRecorder;
        this.registry = registry;
        this.parser = parser;
        this.settings = settings;
        this.jsonMapper = jsonMapper;
        this.timer = timer;
    }

    /** @throws ApiError.Exception when the request is refused before any node is involved */
    public CompletableFuture<MutableHttpResponse<?>> relay(ApiRoute route, AuthenticatedKey key, HttpRequest<?> httpRequest,
                                                            byte[] body, String requestId) {
        ParsedRequest request = parser.parse(route, body);
        KnownModel model = registry.knownModel(request.model());
        if (model == null) {
            throw new ApiError.Exception(new ApiError(ErrorCode.MODEL_NOT_AVAILABLE, "The model '" + request.model()
                + "' is not available. Models available now: " + availableModels() + ".", "model", null));
        }
        if (!model.protocol().equals(route.upstreamProtocol().wireName())) {
            String routes = route.upstreamProtocol() == dev.mercato.protocol.Protocol.ANTHROPIC
                ? "/v1/chat/completions or /v1/responses" : "/v1/messages";
            throw new ApiError.Exception(new ApiError(ErrorCode.MODEL_NOT_AVAILABLE, "The model '" + request.model()
                + "' is served over the " + model.protocol() + " API; call " + routes + " for it.", "model", null));
        }
        if (route == ApiRoute.COUNT_TOKENS) {
            return dispatch(request, key, httpRequest, requestId, null); // counting tokens is free
        }
        return billing.reserve(key.accountId(), request.model(), body.length, request.maxOutputTokens(), requestId,
                Duration.ofMillis(settings.deadlineMillis()))
            .thenCompose(hold -> {
                try {
                    return dispatch(request, key, httpRequest, requestId, hold);
                } catch (RuntimeException refused) {
                    billing.release(hold); // no node took it: nothing was forwarded, nothing is charged
                    throw refused;
                }
            });
    }

    private CompletableFuture<MutableHttpResponse<?>> dispatch(ParsedRequest request, AuthenticatedKey key,
                                                               HttpRequest<?> httpRequest, String requestId, Hold hold) {
        NodeRegistry.Choice choice = registry.choose(request.model());
        return switch (choice) {
            case NodeRegistry.Choice.None none -> throw new ApiError.Exception(none.error());
            case NodeRegistry.Choice.Chosen chosen -> {
                NodeFrame.Request frame = new NodeFrame.Request(requestId, request.route().upstreamProtocol(),
                    request.route().path(), request.model(), forwardedHeaders(httpRequest), request.upstreamBody(),
                    System.currentTimeMillis() + settings.deadlineMillis());
                long operatorId = chosen.node().identity().operatorId();
                RelayExchange exchange = new RelayExchange(request, requestId, chosen.node(), settings, jsonMapper,
                    channelOf(httpRequest), hold, (usage, delivered, outcome, latencyMillis, firstByteMillis) -> {
                        CompletableFuture<Long> charged = hold == null ? CompletableFuture.completedFuture(0L)
                            : delivered ? billing.settle(hold, usage, operatorId) : billing.release(hold);
                        charged.thenAccept(costNano -> usageRecorder.record(new UsageRecord(null, requestId,
                            key.accountId(), key.keyId(), request.model(), chosen.node().displayName(), operatorId,
                            usage.inputTokens(), usage.outputTokens(), usage.cacheWriteTokens(), usage.cacheReadTokens(),
                            usage.reasoningTokens(), costNano, outcome, latencyMillis, firstByteMillis, null)));
                    });
                yield exchange.start(frame, timer);
            }
        };
    }

    private String availableModels() {
        List<KnownModel> served = registry.servedModels();
        if (served.isEmpty()) {
            return "none (no provider node is online)";
        }
        String listed = served.stream().limit(MAX_MODELS_LISTED).map(KnownModel::id).collect(Collectors.joining(", "));
        return served.size() > MAX_MODELS_LISTED ? listed + " and " + (served.size() - MAX_MODELS_LISTED) + " more"
            : listed;
    }

    private static Map<String, String> forwardedHeaders(HttpRequest<?> request) {
        Map<String, String> headers = new HashMap<>(4);
        for (String name : FORWARDED_HEADERS) {
            String value = request.getHeaders().get(name);
            if (value != null) {
                headers.put(name, value);
            }
        }
        return headers;
    }

    private static Channel channelOf(HttpRequest<?> request) {
        return request instanceof NettyHttpRequest<?> netty ? netty.getChannelHandlerContext().channel() : null;
    }
}
