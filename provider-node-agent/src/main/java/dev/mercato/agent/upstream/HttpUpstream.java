package dev.mercato.agent.upstream;

import dev.mercato.agent.config.ModelConfig;
import dev.mercato.agent.config.UpstreamConfig;
import dev.mercato.agent.config.UpstreamType;
import dev.mercato.protocol.FailKind;
import dev.mercato.protocol.NodeFrame;
import dev.mercato.protocol.Protocol;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Forwards requests to an HTTP API (Anthropic, OpenAI or an OpenAI-compatible server such as
 * vLLM) with the operator's key, and streams the answer back buffer by buffer as it arrives.
 */
public final class HttpUpstream implements Upstream {

    public static final String DEFAULT_ANTHROPIC_VERSION = "2023-06-01";
    /** Enough of an error body to find its message; the rest is not read. */
    public static final int MAX_ERROR_BODY_CHARS = 64 * 1024;
    /** Longer request paths are not API paths. */
    public static final int MAX_PATH_CHARS = 200;

    /** The only request headers passed on; keys and anything else from the consumer stay behind. */
    static final Set<String> FORWARDED_REQUEST_HEADERS = Set.of("anthropic-version", "anthropic-beta", "openai-beta");
    private static final Set<String> FORWARDED_RESPONSE_HEADERS = Set.of("content-type", "request-id",
        "x-request-id", "retry-after", "retry-after-ms");
    private static final List<String> FORWARDED_RESPONSE_HEADER_PREFIXES = List.of("anthropic-ratelimit-",
        "x-ratelimit-");

    private final UpstreamType type;
    private final URI baseUrl;
    private final String apiKey;
    private final long connectTimeoutMillis;
    private final Map<String, ModelConfig> modelsById;
    private final HttpClient client;
    private final ScheduledExecutorService scheduler;
    private final Clock clock;

    public HttpUpstream(UpstreamConfig config, ScheduledExecutorService scheduler, Clock clock) {
        if (config.type() == UpstreamType.SIMULATED) {
            throw new IllegalArgumentException("a simulated upstream is served by SimulatedUpstream");
        }
        this.type = config.type();
        this.baseUrl = config.baseUrl();
        this.apiKey = config.apiKey();
        this.connectTimeoutMillis = config.connectTimeoutMillis();
        this.modelsById = new LinkedHashMap<>();
        for (ModelConfig model : config.models()) {
            modelsById.put(model.id(), model);
        }
        this.scheduler = scheduler;
        this.clock = clock;
        this.client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofMillis(connectTimeoutMillis))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    }

    @Override
    public UpstreamCall start(NodeFrame.Request request, UpstreamSink sink) {
        Exchange exchange = new Exchange(request, sink);
        exchange.begin();
        return exchange;
    }

    @Override
    public void close() {
        client.shutdownNow();
    }

    /** The upstream URL for an API path; a base URL that already ends in {@code /v1} is not doubled. */
    URI resolve(String path) {
        String basePath = baseUrl.getRawPath() == null ? "" : baseUrl.getRawPath();
        while (basePath.endsWith("/")) {
            basePath = basePath.substring(0, basePath.length() - 1);
        }
        // SDK habits put /v1 in the base URL; the gateway's paths carry it too.
        if (basePath.endsWith("/v1") && path.startsWith("/v1/")) {
            basePath = basePath.substring(0, basePath.length() - 3);
        }
        return URI.create(baseUrl.getScheme() + "://" + baseUrl.getRawAuthority() + basePath + path);
    }

    HttpRequest buildRequest(NodeFrame.Request request) {
        checkPath(request.path());
        ModelConfig model = modelsById.get(request.model());
        String body = request.body();
        if (model != null && model.upstreamModel() != null) {
            body = ModelRewriter.withModel(body, model.upstreamModel());
        }
        HttpRequest.Builder builder = HttpRequest.newBuilder(resolve(request.path()))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
        if (type == UpstreamType.ANTHROPIC) {
            builder.header("x-api-key", apiKey);
        } else if (apiKey != null) {
            builder.header("authorization", "Bearer " + apiKey);
        }
        boolean versionGiven = false;
        if (request.headers() != null) {
            for (Map.Entry<String, String> header : request.headers().entrySet()) {
                String name = header.getKey().toLowerCase(Locale.ROOT);
                if (FORWARDED_REQUEST_HEADERS.contains(name) && header.getValue() != null) {
                    builder.header(name, header.getValue());
                    versionGiven |= name.equals("anthropic-version");
                }
            }
        }
        if (request.protocol() == Protocol.ANTHROPIC && !versionGiven) {
            builder.header("anthropic-version", DEFAULT_ANTHROPIC_VERSION);
        }
        return builder.build();
    }

    /**
     * Only plain API paths (with an optional simple query such as {@code ?beta=true}) go
     * upstream, so a gateway cannot steer the operator's key anywhere else.
     */
    private static void checkPath(String path) {
        if (path == null || !path.startsWith("/v1/") || path.length() > MAX_PATH_CHARS || path.contains("..")) {
            throw new IllegalArgumentException("path '" + path + "' is not an API path this node forwards");
        }
        int query = path.indexOf('?');
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '/' || c == '_' || c == '-' || c == '.'
                || (query >= 0 && i > query && (c == '=' || c == '&'))
                || i == query;
            if (!allowed) {
                throw new IllegalArgumentException("path '" + path + "' is not an API path this node forwards");
            }
        }
    }

    private static Map<String, String> forwardedHeaders(HttpHeaders headers) {
        Map<String, String> forwarded = new LinkedHashMap<>();
        headers.map().forEach((name, values) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            boolean wanted = FORWARDED_RESPONSE_HEADERS.contains(lower);
            for (String prefix : FORWARDED_RESPONSE_HEADER_PREFIXES) {
                wanted |= lower.startsWith(prefix);
            }
            if (wanted && !values.isEmpty()) {
                forwarded.put(lower, String.join(", ", values));
            }
        });
        return forwarded;
    }

    /** Reads nothing of a body nobody wants, which closes its connection. */
    private static final class Discard implements Flow.Subscriber<List<ByteBuffer>> {
        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.cancel();
        }

        @Override
        public void onNext(List<ByteBuffer> item) {
        }

        @Override
        public void onError(Throwable throwable) {
        }

        @Override
        public void onComplete() {
        }
    }

    /**
     * One request at the upstream. Everything that reaches the sink happens under this
     * object's lock after checking {@code finished}, so the deadline, a cancel and the body
     * never interleave; calls into the HTTP client happen outside the lock.
     */
    private final class Exchange implements UpstreamCall, Flow.Subscriber<List<ByteBuffer>> {

        private final NodeFrame.Request request;
        private final UpstreamSink sink;
        private final Utf8ChunkDecoder decoder = new Utf8ChunkDecoder();
        private boolean finished;
        private boolean headSent;
        private int errorStatus;
        private String errorRetryAfter;
        private StringBuilder errorBody;
        private UsageTracker usage;
        private Flow.Subscription subscription;
        private CompletableFuture<?> response;
        private ScheduledFuture<?> deadlineTimer;

        Exchange(NodeFrame.Request request, UpstreamSink sink) {
            this.request = request;
            this.sink = sink;
        }

        void begin() {
            long remainingMillis = request.deadlineEpochMillis() - clock.millis();
            if (remainingMillis <= 0) {
                fail(FailKind.TIMEOUT, 504, "the request's deadline passed before the upstream was called", true);
                return;
            }
            HttpRequest httpRequest;
            try {
                httpRequest = buildRequest(request);
            } catch (IllegalArgumentException e) {
                fail(FailKind.BAD_REQUEST, 400, e.getMessage(), false);
                return;
            }
            CompletableFuture<HttpResponse<Flow.Publisher<List<ByteBuffer>>>> future;
            synchronized (this) {
                deadlineTimer = scheduler.schedule(this::deadlinePassed, remainingMillis, TimeUnit.MILLISECONDS);
                future = client.sendAsync(httpRequest, HttpResponse.BodyHandlers.ofPublisher());
                response = future;
            }
            future.whenComplete(this::responded);
        }

        private void responded(HttpResponse<Flow.Publisher<List<ByteBuffer>>> answer, Throwable error) {
            if (error != null) {
                failed(error instanceof CompletionException && error.getCause() != null ? error.getCause() : error);
                return;
            }
            int status = answer.statusCode();
            synchronized (this) {
                if (finished) {
                    answer.body().subscribe(new Discard());
                    return;
                }
                if (status < 200 || (status >= 300 && status < 400)) {
                    answer.body().subscribe(new Discard());
                    fail(FailKind.UPSTREAM_ERROR, 502, "upstream answered HTTP " + status
                        + "; check the upstream's baseUrl", true);
                    return;
                }
                if (status >= 400) {
                    errorStatus = status;
                    errorRetryAfter = answer.headers().firstValue("retry-after").orElse(null);
                    errorBody = new StringBuilder();
                } else {
                    headSent = true;
                    usage = UsageTracker.forContentType(answer.headers().firstValue("content-type").orElse(null));
                    sink.head(status, forwardedHeaders(answer.headers()));
                }
            }
            answer.body().subscribe(this);
        }

        private void failed(Throwable cause) {
            String host = baseUrl.getHost();
            switch (cause) {
                case CancellationException _ -> {
                    // Cancelled by this agent: the sink was already told, or was told to expect nothing.
                }
                case HttpConnectTimeoutException _ -> fail(FailKind.UNAVAILABLE, 502, "upstream " + host
                    + " did not accept a connection within " + connectTimeoutMillis + " ms", true);
                case IOException io -> fail(FailKind.UNAVAILABLE, 502, "upstream " + host + " is unreachable: "
                    + describe(io), true);
                default -> fail(FailKind.UPSTREAM_ERROR, 502, "request to upstream " + host + " failed: "
                    + describe(cause), true);
            }
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            boolean wanted;
            synchronized (this) {
                wanted = !finished;
                this.subscription = subscription;
            }
            if (wanted) {
                subscription.request(1);
            } else {
                subscription.cancel();
            }
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            boolean more;
            synchronized (this) {
                if (finished) {
                    return;
                }
                if (errorStatus == 0) {
                    decoder.decode(buffers, this::forward);
                } else {
                    decoder.decode(buffers, this::collectError);
                }
                more = !finished;
            }
            if (more) {
                subscription.request(1);
            } else {
                abort();
            }
        }

        @Override
        public void onComplete() {
            synchronized (this) {
                if (finished) {
                    return;
                }
                if (errorStatus == 0) {
                    decoder.finish(this::forward);
                    finished = true;
                    sink.end(usage.finish(request.protocol()));
                } else {
                    decoder.finish(this::collectError);
                    reportError();
                }
            }
            abort();
        }

        @Override
        public void onError(Throwable error) {
            boolean reported = false;
            synchronized (this) {
                if (finished) {
                    return;
                }
                if (errorStatus != 0) {
                    reportError();
                    reported = true;
                }
            }
            if (reported) {
                abort();
                return;
            }
            // After the head the gateway turns this into the protocol's own mid-stream error event.
            fail(FailKind.UNAVAILABLE, 502, "upstream " + baseUrl.getHost() + " broke off the answer: "
                + describe(error), true);
        }

        private void forward(String chunk) {
            usage.accept(chunk);
            sink.chunk(chunk);
        }

        private void collectError(String chunk) {
            int room = MAX_ERROR_BODY_CHARS - errorBody.length();
            errorBody.append(chunk, 0, Math.min(room, chunk.length()));
            if (errorBody.length() >= MAX_ERROR_BODY_CHARS) {
                reportError();
            }
        }

        /** Reports the error answer read so far; callers hold the lock. */
        private void reportError() {
            if (!finished) {
                finished = true;
                UpstreamFailure.fromResponse(errorStatus, errorRetryAfter, errorBody.toString()).reportTo(sink);
            }
        }

        private void deadlinePassed() {
            fail(FailKind.TIMEOUT, 504, "upstream " + baseUrl.getHost() + " did not finish within the request's deadline",
                true);
        }

        @Override
        public void cancel() {
            synchronized (this) {
                if (finished) {
                    return;
                }
                finished = true;
            }
            abort();
        }

        /** Nothing is retryable once the head went out: the consumer may already have bytes. */
        private void fail(FailKind kind, int status, String message, boolean retryableBeforeHead) {
            synchronized (this) {
                if (finished) {
                    return;
                }
                finished = true;
                sink.fail(kind, status, message, retryableBeforeHead && !headSent, null);
            }
            abort();
        }

        /** Stops the timer and the HTTP exchange; safe to call more than once and from any state. */
        private void abort() {
            ScheduledFuture<?> timer;
            Flow.Subscription body;
            CompletableFuture<?> pending;
            synchronized (this) {
                timer = deadlineTimer;
                body = subscription;
                pending = response;
            }
            if (timer != null) {
                timer.cancel(false);
            }
            if (body != null) {
                body.cancel();
            }
            if (pending != null && !pending.isDone()) {
                pending.cancel(true);
            }
        }
    }

    private static String describe(Throwable error) {
        return error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
    }
}
