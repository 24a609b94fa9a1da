package dev.mercato.simulator;

import dev.mercato.protocol.Protocol;
import dev.mercato.protocol.TokenUsage;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

/**
 * A simulated LLM upstream: plans, deterministically, the exact response the real Anthropic or
 * OpenAI API would send to a request, as timed parts that a caller plays out in order.
 *
 * <p>Paths: {@code /v1/messages} and {@code /v1/messages/count_tokens} (Anthropic),
 * {@code /v1/chat/completions} and {@code /v1/responses} (OpenAI); any other path is a 404 in
 * the protocol's error shape, and a body that is not valid JSON or lacks a required field a 400.
 * The n-th plan of a simulator uses sequence number n for its ids and its failure draw, so a
 * run with the same settings and requests replays byte for byte (the {@link Clock} aside).
 *
 * <p>A request's prompt text can steer one response with directives:
 * <table>
 *   <caption>Directives, written anywhere in the prompt text</caption>
 *   <tr><th>directive</th><th>effect</th></tr>
 *   <tr><td>{@code [[sim:fail=auth]]}</td><td>401: Anthropic {@code authentication_error},
 *       OpenAI {@code invalid_api_key}</td></tr>
 *   <tr><td>{@code [[sim:fail=rate_limited]]}</td><td>429 with {@code retry-after: 1}: Anthropic
 *       {@code rate_limit_error}, OpenAI {@code rate_limit_exceeded}</td></tr>
 *   <tr><td>{@code [[sim:fail=overloaded]]}</td><td>Anthropic 529 {@code overloaded_error}, OpenAI 503
 *       {@code server_error}</td></tr>
 *   <tr><td>{@code [[sim:fail=server_error]]}</td><td>500: Anthropic {@code api_error}, OpenAI
 *       {@code server_error}</td></tr>
 *   <tr><td>{@code [[sim:fail=bad_request]]}</td><td>400 {@code invalid_request_error}</td></tr>
 *   <tr><td>{@code [[sim:drop-after=N]]}</td><td>only the first N parts are sent, then the connection
 *       dies ({@link Ending#DROP})</td></tr>
 *   <tr><td>{@code [[sim:latency-ms=N]]}</td><td>the first part comes after N ms</td></tr>
 *   <tr><td>{@code [[sim:tokens=N]]}</td><td>the answer has N tokens (at most the request's cap and
 *       {@link SimulatorSettings#maxOutputTokens()})</td></tr>
 *   <tr><td>{@code [[sim:tokens-per-second=N]]}</td><td>tokens come N a second; 0 sends them at
 *       once</td></tr>
 * </table>
 * An unknown directive or a value out of range is a 400, so a typo never passes silently.
 */
public final class Simulator {

    private static final String JSON = "application/json";
    private static final String EVENT_STREAM = "text/event-stream";

    private final SimulatorSettings settings;
    private final Clock clock;
    private final RandomGenerator failureDraws;
    private long sequence;

    public Simulator(SimulatorSettings settings) {
        this(settings, Clock.systemUTC());
    }

    /** @param clock gives the {@code created} timestamps; tests fix it to get exact bytes */
    public Simulator(SimulatorSettings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        this.failureDraws = RandomGeneratorFactory.of("L64X128MixRandom").create(settings.seed());
    }

    public SimulatorSettings settings() {
        return settings;
    }

    /**
     * The complete response to a POST of {@code requestBodyJson} to {@code path}; see the class
     * description for paths and directives. Safe to call from many threads.
     */
    public SimulatedResponse plan(Protocol protocol, String path, String requestBodyJson) {
        Ticket ticket = nextTicket();
        Ids ids = new Ids(ticket.sequence());
        Endpoint endpoint = Endpoint.find(protocol, path);
        if (endpoint == null) {
            return error(protocol, ids, ErrorKind.NOT_FOUND, notFoundMessage(protocol, "POST", path), null,
                Directives.defaults(settings));
        }
        Directives directives = Directives.defaults(settings);
        try {
            Ask ask = Ask.read(endpoint, Json.parseObject(requestBodyJson));
            directives = Directives.parse(ask.promptText(), settings);
            Failure failure = directives.failure() != null ? directives.failure()
                : ticket.failed() ? Failure.fromWireName(settings.failureKind()) : null;
            if (failure != null) {
                ErrorKind kind = ErrorKind.of(failure);
                return error(protocol, ids, kind, kind.injectedMessage(protocol), null, directives);
            }
            return answer(ask, ids, directives);
        } catch (InvalidRequestException e) {
            return error(protocol, ids, ErrorKind.INVALID_REQUEST, e.getMessage(), e.param(), directives);
        }
    }

    /**
     * The response to a request refused before its body is read: a wrong key, a method not
     * served, a body too large.
     */
    SimulatedResponse reject(Protocol protocol, ErrorKind kind, String message) {
        Ids ids = new Ids(nextTicket().sequence());
        return error(protocol, ids, kind, message, null, Directives.defaults(settings));
    }

    /** What the real API says for a method and path it does not serve. */
    static String notFoundMessage(Protocol protocol, String method, String path) {
        return protocol == Protocol.ANTHROPIC ? "Not Found" : "Invalid URL (" + method + " " + path + ")";
    }

    private SimulatedResponse answer(Ask ask, Ids ids, Directives directives) {
        Map<String, String> headers = headers(ask.endpoint().protocol(), ids, ask.stream() ? EVENT_STREAM : JSON);
        if (ask.endpoint() == Endpoint.COUNT_TOKENS) {
            Timeline timeline = new Timeline(directives.latencyMillis(), directives.tokensPerSecond(), 0);
            long promptTokens = Answer.inputTokens(ask.promptText()) + settings.cacheReadTokens();
            timeline.whole(AnthropicFormat.tokenCount(promptTokens), 0);
            return finish(200, headers, timeline.parts(), TokenUsage.ZERO, directives);
        }
        String signature = Base64.getEncoder().encodeToString(
            ("simulated-signature-" + ids.sequence()).getBytes(StandardCharsets.UTF_8));
        Answer answer = Answer.plan(ask, directives.outputTokens(), settings.maxOutputTokens(),
            settings.cacheReadTokens(), signature);
        long createdEpochSeconds = clock.instant().getEpochSecond();
        Timeline timeline = new Timeline(directives.latencyMillis(), directives.tokensPerSecond(),
            ask.stream() ? answer.hiddenReasoningTokens() : 0);
        if (!ask.stream()) {
            String body = switch (ask.endpoint()) {
                case MESSAGES, COUNT_TOKENS -> AnthropicFormat.message(answer, ids);
                case CHAT_COMPLETIONS -> ChatCompletionsFormat.completion(answer, ids, createdEpochSeconds);
                case RESPONSES -> ResponsesFormat.response(answer, ask, ids, createdEpochSeconds);
            };
            timeline.whole(body, answer.outputTokens());
        } else {
            switch (ask.endpoint()) {
                case MESSAGES, COUNT_TOKENS -> AnthropicFormat.stream(answer, ids, timeline);
                case CHAT_COMPLETIONS -> ChatCompletionsFormat.stream(answer, ids, createdEpochSeconds,
                    ask.includeUsage(), timeline);
                case RESPONSES -> ResponsesFormat.stream(answer, ask, ids, createdEpochSeconds, timeline);
            }
        }
        return finish(200, headers, timeline.parts(), answer.usage(), directives);
    }

    private SimulatedResponse error(Protocol protocol, Ids ids, ErrorKind kind, String message, String param,
                                    Directives directives) {
        Map<String, String> headers = headers(protocol, ids, JSON);
        if (kind == ErrorKind.RATE_LIMITED) {
            headers.put("retry-after", Integer.toString(ErrorBodies.RETRY_AFTER_SECONDS));
        }
        Timeline timeline = new Timeline(directives.latencyMillis(), directives.tokensPerSecond(), 0);
        timeline.whole(ErrorBodies.body(protocol, kind, message, param, ids.requestId()), 0);
        return finish(kind.status(protocol), headers, timeline.parts(), TokenUsage.ZERO, directives);
    }

    private static Map<String, String> headers(Protocol protocol, Ids ids, String contentType) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("content-type", contentType);
        headers.put(protocol == Protocol.ANTHROPIC ? "request-id" : "x-request-id", ids.requestId());
        return headers;
    }

    private static SimulatedResponse finish(int status, Map<String, String> headers, List<Part> parts,
                                            TokenUsage usage, Directives directives) {
        if (directives.dropAfterParts() < 0) {
            return new SimulatedResponse(status, headers, parts, usage, Ending.COMPLETE);
        }
        List<Part> sent = parts.subList(0, Math.min(directives.dropAfterParts(), parts.size()));
        return new SimulatedResponse(status, headers, sent, usage, Ending.DROP);
    }

    /** The next sequence number with its failure draw, taken together so request n always gets draw n. */
    private synchronized Ticket nextTicket() {
        sequence++;
        boolean failed = failureDraws.nextDouble() < settings.failureRate();
        return new Ticket(sequence, failed);
    }

    private record Ticket(long sequence, boolean failed) {
    }
}
