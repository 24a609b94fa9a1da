package dev.mercato.gateway.consumer;

import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.usage.UsageRecord;
import dev.mercato.gateway.usage.UsageRepository;
import dev.mercato.gateway.error.Json;
import dev.mercato.gateway.error.WireProtocol;
import dev.mercato.ledger.Usdc;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import jakarta.inject.Named;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;

/**
 * {@code GET /v1/usage}: the calling key's account's requests, newest first, in a time range
 * ({@code from}, {@code to}: RFC 3339; default the last 30 days), {@code limit} per page (at most
 * {@value #MAX_PAGE_SIZE}) and {@code before_id} to continue from a page's {@code next_before_id}.
 */
@Controller("/v1/usage")
public class UsageController {

    static final int DEFAULT_PAGE_SIZE = 50;
    static final int MAX_PAGE_SIZE = 500;
    static final Duration DEFAULT_RANGE = Duration.ofDays(30);

    private final ConsumerGate gate;
    private final UsageRepository records;
    private final ExecutorService blockingExecutor;
    private final Clock clock;

    public UsageController(ConsumerGate gate, UsageRepository records,
                           @Named(TaskExecutors.BLOCKING) ExecutorService blockingExecutor, Clock clock) {
        this.gate = gate;
        this.records = records;
        this.blockingExecutor = blockingExecutor;
        this.clock = clock;
    }

    @Get(produces = MediaType.APPLICATION_JSON)
    public CompletableFuture<MutableHttpResponse<?>> usage(HttpRequest<?> request, @Nullable @QueryValue String from,
                                                           @Nullable @QueryValue String to, @Nullable @QueryValue Integer limit,
                                                           @Nullable @QueryValue("before_id") Long beforeId) {
        return gate.read(request, WireProtocol.OPENAI, key -> CompletableFuture.<MutableHttpResponse<?>>supplyAsync(() -> {
            Instant end = instant("to", to, clock.instant());
            Instant start = instant("from", from, end.minus(DEFAULT_RANGE));
            int pageSize = limit == null ? DEFAULT_PAGE_SIZE : limit;
            if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
                throw new ApiError.Exception(ApiError.invalidParam("limit",
                    "The 'limit' parameter must be between 1 and " + MAX_PAGE_SIZE + ", was " + pageSize + "."));
            }
            // One more than asked for tells whether another page follows.
            List<UsageRecord> page = records.page(key.accountId(), start, end, beforeId == null ? Long.MAX_VALUE : beforeId,
                pageSize + 1);
            return HttpResponse.ok(body(page, pageSize)).contentType(MediaType.APPLICATION_JSON_TYPE);
        }, blockingExecutor));
    }

    private static Instant instant(String param, String value, Instant fallback) {
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw new ApiError.Exception(ApiError.invalidParam(param,
                "The '" + param + "' parameter must be an RFC 3339 time such as 2026-11-22T00:00:00Z, was '" + value + "'."));
        }
    }

    private static String body(List<UsageRecord> page, int pageSize) {
        boolean hasMore = page.size() > pageSize;
        List<UsageRecord> shown = hasMore ? page.subList(0, pageSize) : page;
        StringBuilder json = new StringBuilder(128 + shown.size() * 320).append("{\"object\":\"list\",\"data\":[");
        for (int i = 0; i < shown.size(); i++) {
            UsageRecord r = shown.get(i);
            json.append(i == 0 ? "" : ",").append("{\"id\":").append(r.id())
                .append(",\"request_id\":").append(Json.string(r.requestId()))
                .append(",\"created_at\":").append(Json.string(r.createdAt().toString()))
                .append(",\"model\":").append(Json.string(r.modelId()))
                .append(",\"node\":").append(Json.string(r.node()))
                .append(",\"api_key_id\":").append(r.apiKeyId())
                .append(",\"input_tokens\":").append(r.inputTokens())
                .append(",\"output_tokens\":").append(r.outputTokens())
                .append(",\"cache_write_tokens\":").append(r.cacheWriteTokens())
                .append(",\"cache_read_tokens\":").append(r.cacheReadTokens())
                .append(",\"reasoning_tokens\":").append(r.reasoningTokens())
                .append(",\"cost\":").append(Json.string(Usdc.format(r.costNano())))
                .append(",\"outcome\":").append(Json.string(r.outcome()))
                .append(",\"latency_ms\":").append(r.latencyMillis())
                .append(",\"first_byte_ms\":").append(r.firstByteMillis() == null ? "null" : r.firstByteMillis().toString())
                .append('}');
        }
        json.append("],\"has_more\":").append(hasMore).append(",\"next_before_id\":")
            .append(hasMore ? shown.getLast().id().toString() : "null");
        return json.append('}').toString();
    }
}
