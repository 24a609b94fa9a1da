package dev.mercato.gateway.consumer;

import dev.mercato.gateway.billing.ModelPrice;
import dev.mercato.gateway.billing.PriceBook;
import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.error.ErrorCode;
import dev.mercato.gateway.error.Json;
import dev.mercato.gateway.error.WireProtocol;
import dev.mercato.gateway.keys.ApiKey;
import dev.mercato.gateway.limits.Admission;
import dev.mercato.gateway.node.KnownModel;
import dev.mercato.gateway.node.NodeRegistry;
import dev.mercato.ledger.Usdc;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.QueryValue;

import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * {@code GET /v1/models}: the models some online node serves that the key may call, in the Anthropic shape when the
 * caller is an Anthropic client ({@code anthropic-version} or {@code x-api-key} present) and in
 * the OpenAI shape otherwise.
 */
@Controller("/v1/models")
public class ModelsController {

    /** Anthropic's page size bounds. */
    static final int DEFAULT_PAGE_SIZE = 20;
    static final int MAX_PAGE_SIZE = 1000;

    private final ConsumerGate gate;
    private final NodeRegistry registry;
    private final PriceBook prices;

    public ModelsController(ConsumerGate gate, NodeRegistry registry, PriceBook prices) {
        this.gate = gate;
        this.registry = registry;
        this.prices = prices;
    }

    @Get(produces = MediaType.APPLICATION_JSON)
    public CompletableFuture<MutableHttpResponse<?>> list(HttpRequest<?> request, @QueryValue @Nullable Integer limit,
                                                          @Nullable @QueryValue("after_id") String afterId,
                                                          @Nullable @QueryValue("before_id") String beforeId) {
        WireProtocol protocol = shapeFor(request);
        return gate.read(request, protocol, key -> {
            List<KnownModel> models = servedTo(key);
            if (protocol == WireProtocol.OPENAI) {
                StringBuilder json = new StringBuilder("{\"object\":\"list\",\"data\":[");
                for (int i = 0; i < models.size(); i++) {
                    if (i > 0) {
                        json.append(',');
                    }
                    appendOpenAi(json, models.get(i));
                }
                return ok(json.append("]}").toString());
            }
            return ok(anthropicPage(models, limit, afterId, beforeId));
        });
    }

    @Get(uri = "/{modelId}", produces = MediaType.APPLICATION_JSON)
    public CompletableFuture<MutableHttpResponse<?>> retrieve(HttpRequest<?> request, @PathVariable String modelId) {
        WireProtocol protocol = shapeFor(request);
        return gate.read(request, protocol, key -> {
            KnownModel model = servedTo(key).stream().filter(m -> m.id().equals(modelId)).findFirst()
                .orElseThrow(() -> new ApiError.Exception(new ApiError(ErrorCode.NOT_FOUND,
                    "The model '" + modelId + "' is not served by any online node, or this key may not call it.", "model",
                    null)));
            StringBuilder json = new StringBuilder();
            if (protocol == WireProtocol.OPENAI) {
                appendOpenAi(json, model);
            } else {
                appendAnthropic(json, model);
            }
            return ok(json.toString());
        });
    }

    private List<KnownModel> servedTo(ApiKey key) {
        return registry.servedModels().stream().filter(model -> Admission.mayUse(key, model.id())).toList();
    }

    private static CompletableFuture<MutableHttpResponse<?>> ok(String json) {
        return CompletableFuture.completedFuture(HttpResponse.ok(json).contentType(MediaType.APPLICATION_JSON_TYPE));
    }

    static WireProtocol shapeFor(HttpRequest<?> request) {
        return request.getHeaders().contains("anthropic-version") || request.getHeaders().contains("x-api-key")
            ? WireProtocol.ANTHROPIC : WireProtocol.OPENAI;
    }

    private String anthropicPage(List<KnownModel> models, Integer limit, String afterId, String beforeId) {
        int pageSize = limit == null ? DEFAULT_PAGE_SIZE : limit;
        if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
            throw new ApiError.Exception(ApiError.invalidParam("limit",
                "The 'limit' parameter must be between 1 and " + MAX_PAGE_SIZE + ", was " + pageSize + "."));
        }
        int from = 0;
        int to = models.size();
        if (afterId != null) {
            from = indexAfter(models, afterId);
        }
        if (beforeId != null) {
            to = indexOf(models, beforeId);
            from = Math.max(from, to - pageSize);
        }
        to = Math.min(to, from + pageSize);
        List<KnownModel> page = from < to ? models.subList(from, to) : List.of();
        StringBuilder json = new StringBuilder("{\"data\":[");
        for (int i = 0; i < page.size(); i++) {
            if (i > 0) {
                json.append(',');
            }
            appendAnthropic(json, page.get(i));
        }
        boolean hasMore = beforeId != null ? from > 0 : to < models.size();
        json.append("],\"has_more\":").append(hasMore).append(",\"first_id\":");
        json.append(page.isEmpty() ? "null" : Json.string(page.getFirst().id()));
        json.append(",\"last_id\":");
        json.append(page.isEmpty() ? "null" : Json.string(page.getLast().id()));
        return json.append('}').toString();
    }

    /** The price in force, per million tokens in decimal USDC: an extra field the SDKs ignore. */
    private void appendPricing(StringBuilder json, KnownModel model) {
        ModelPrice price = prices.current(model.id());
        json.append("\"pricing\":{\"currency\":\"USDC\",\"unit\":\"1M tokens\",\"input\":")
            .append(Json.string(perMillion(price.inputPerMillionMicros())))
            .append(",\"output\":").append(Json.string(perMillion(price.outputPerMillionMicros())))
            .append(",\"cache_write\":").append(Json.string(perMillion(price.cacheWritePerMillionMicros())))
            .append(",\"cache_read\":").append(Json.string(perMillion(price.cacheReadPerMillionMicros())))
            .append('}');
    }

    private static String perMillion(long micros) {
        return Usdc.format(Math.multiplyExact(micros, 1000L));
    }

    private static int indexAfter(List<KnownModel> models, String id) {
        for (int i = 0; i < models.size(); i++) {
            if (models.get(i).id().compareTo(id) > 0) {
                return i;
            }
        }
        return models.size();
    }

    private static int indexOf(List<KnownModel> models, String id) {
        for (int i = 0; i < models.size(); i++) {
            if (models.get(i).id().compareTo(id) >= 0) {
                return i;
            }
        }
        return models.size();
    }

    private void appendOpenAi(StringBuilder json, KnownModel model) {
        json.append("{\"id\":").append(Json.string(model.id()))
            .append(",\"object\":\"model\",\"created\":").append(model.firstSeenAt().getEpochSecond())
            .append(",\"owned_by\":\"mercato\",");
        appendPricing(json, model);
        json.append('}');
    }

    private void appendAnthropic(StringBuilder json, KnownModel model) {
        json.append("{\"type\":\"model\",\"id\":").append(Json.string(model.id()))
            .append(",\"display_name\":").append(Json.string(model.id()))
            .append(",\"created_at\":").append(Json.string(DateTimeFormatter.ISO_INSTANT.format(model.firstSeenAt())))
            .append(',');
        appendPricing(json, model);
        json.append('}');
    }
}
