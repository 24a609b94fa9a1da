package dev.mercato.gateway.relay;

import dev.mercato.gateway.billing.Billing;
import dev.mercato.gateway.billing.Hold;
import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.keys.ApiKey;
import dev.mercato.gateway.limits.Admission;
import dev.mercato.gateway.limits.Admitted;
import dev.mercato.gateway.usage.UsageRecord;
import dev.mercato.gateway.usage.UsageRecorder;
import dev.mercato.gateway.error.ErrorCode;
import dev.mercato.gateway.node.KnownModel;
import dev.mercato.gateway.node.NodeRegistry;
import dev.mercato.protocol.NodeFrame;
import dev.mercato.protocol.TokenUsage;
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
 * The relay steps of the request path: check the model, admit the request under its key's
 * limits, reserve its maximum cost, pick a node, send the request, turn the node's frames into
 * the consumer's response, and settle what it cost once it ends.
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
    private final Admission admission;
    private final StickyRoutes stickyRoutes;

    public Relay(NodeRegistry registry, RequestParser parser, RelaySettings settings, JsonMapper jsonMapper,
                 HashedWheelTimer timer, Billing billing, UsageRecorder usageRecorder, Admission admission,
                 StickyRoutes stickyRoutes) {
        this.admission = admission;
        this.stickyRoutes = stickyRoutes;
        this.billing = billing;
        this.usageRecorder = usageRecorder;
        this.registry = registry;
        this.parser = parser;
        this.settings = settings;
        this.jsonMapper = jsonMapper;
        this.timer = timer;
    }

    /** @throws ApiError.Exception when the request is refused before any node is involved */
    public CompletableFuture<MutableHttpResponse<?>> relay(ApiRoute route, ApiKey key, HttpRequest<?> httpRequest,
                                                            byte[] body, String requestId) {
        ParsedRequest parsed = parser.parse(route, body);
        Pin pin = pinOf(parsed.model());
        ParsedRequest request = pin == null ? parsed : parser.withModel(parsed, pin.model());
        String pinnedOperator = pin == null ? null : pin.operator();
        admission.checkModel(key, request.model());
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
            // Counting tokens is free: it takes a request and a slot of the key, and no money.
            return admission.admit(key, 0).thenCompose(admitted ->
                dispatch(request, pinnedOperator, key, httpRequest, requestId, null, admitted));
        }
        Billing.Quote quote = billing.quote(request.model(), body.length, request.maxOutputTokens());
        return admission.admit(key, quote.maxCostNano()).thenCompose(admitted ->
            billing.reserve(key.accountId(), quote, requestId, Duration.ofMillis(settings.deadlineMillis()))
                .whenComplete((hold, notReserved) -> {
                    if (notReserved != null) {
                        admitted.abandon();
                    }
                })
                .thenCompose(hold -> dispatch(request, pinnedOperator, key, httpRequest, requestId, hold, admitted)));
    }

    private CompletableFuture<MutableHttpResponse<?>> dispatch(ParsedRequest request, String pinnedOperator, ApiKey key,
                                                               HttpRequest<?> httpRequest, String requestId, Hold hold,
                                                               Admitted admitted) {
        String conversation = stickyRoutes.conversation(key.id(), request);
        return registry.chooseOrWait(request.model(), pinnedOperator, stickyRoutes.preferredNode(conversation))
            .thenCompose(choice -> switch (choice) {
                case NodeRegistry.Choice.None none -> {
                    // No node took it: nothing was forwarded, nothing is charged.
                    if (hold != null) {
                        billing.release(hold);
                    }
                    admitted.abandon();
                    throw new ApiError.Exception(none.error());
                }
                case NodeRegistry.Choice.Chosen chosen -> {
                    NodeFrame.Request frame = new NodeFrame.Request(requestId, request.route().upstreamProtocol(),
                        request.route().path(), request.model(), forwardedHeaders(httpRequest), request.upstreamBody(),
                        System.currentTimeMillis() + settings.deadlineMillis());
                    RelayExchange exchange = new RelayExchange(request, requestId, chosen.node(),
                        tried -> registry.choose(request.model(), tried, pinnedOperator), settings, jsonMapper,
                        channelOf(httpRequest), hold,
                        (servedBy, usage, delivered, outcome, latencyMillis, firstByteMillis) -> {
                            // The operator of the node the request ended on is paid; a node that failed over earns nothing.
                            long operatorId = servedBy.identity().operatorId();
                            admitted.ended(tokensOf(usage));
                            if (delivered) {
                                stickyRoutes.remember(conversation, servedBy.displayName());
                            }
                            CompletableFuture<Long> charged = hold == null ? CompletableFuture.completedFuture(0L)
                                : delivered ? billing.settle(hold, usage, operatorId) : billing.release(hold);
                            // A settle that failed leaves the hold to the sweeper, which voids it: nothing charged.
                            charged.whenComplete((costNano, failure) -> admitted.charged(failure == null ? costNano : 0));
                            charged.thenAccept(costNano -> usageRecorder.record(new UsageRecord(null, requestId,
                                key.accountId(), key.id(), request.model(), servedBy.displayName(), operatorId,
                                usage.inputTokens(), usage.outputTokens(), usage.cacheWriteTokens(), usage.cacheReadTokens(),
                                usage.reasoningTokens(), costNano, outcome, latencyMillis, firstByteMillis, null)));
                        });
                    yield exchange.start(frame, timer);
                }
            });
    }

    /**
     * A model named {@code <operator>/<model>} pins the request to that operator's nodes: it is
     * never failed over to another operator. A name that is itself a known model (some model
     * ids hold a slash) is never read as a pin.
     */
    private Pin pinOf(String model) {
        int slash = model.indexOf('/');
        if (slash <= 0 || registry.knownModel(model) != null || registry.knownModel(model.substring(slash + 1)) == null) {
            return null;
        }
        return new Pin(model.substring(0, slash), model.substring(slash + 1));
    }

    private record Pin(String operator, String model) {
    }

    /** Every token the request made the upstream read or write: what a tokens-per-minute limit counts. */
    private static long tokensOf(TokenUsage usage) {
        return usage.inputTokens() + usage.outputTokens() + usage.cacheWriteTokens() + usage.cacheReadTokens();
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
