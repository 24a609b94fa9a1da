package dev.mercato.gateway.relay;

import dev.mercato.gateway.billing.Hold;
import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.error.ErrorCode;
import dev.mercato.gateway.error.ErrorResponses;
import dev.mercato.gateway.node.ConnectedNode;
import dev.mercato.gateway.node.NodeExchange;
import dev.mercato.gateway.node.NodeRegistry;
import dev.mercato.ledger.Usdc;
import dev.mercato.protocol.FailKind;
import dev.mercato.protocol.NodeFrame;
import dev.mercato.protocol.TokenUsage;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.json.JsonMapper;
import io.netty.channel.Channel;
import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.util.concurrent.Queues;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One consumer request, served by a node: turns the node's frames into the consumer's HTTP
 * response. A stream is passed on event by event as it arrives; a non-streaming answer is
 * gathered (bounded) so it can be answered with its length. A node that fails before the
 * consumer has received a byte is replaced by another (never one already tried), up to
 * {@code mercato.relay.max-attempts} nodes; so is a node that has not started a stream within
 * {@code mercato.relay.first-byte-timeout-millis}. Ends exactly once, on the first of: the node's
 * end or final fail, the deadline, or the consumer going away.
 */
final class RelayExchange implements NodeExchange {

    private static final Logger LOG = LoggerFactory.getLogger(RelayExchange.class);

    private final ParsedRequest request;
    private final String requestId;
    private final RelaySettings settings;
    private final Failover failover;
    private final UsageMeter usageMeter;
    private final CompletableFuture<MutableHttpResponse<?>> response = new CompletableFuture<>();
    private final long startNanos = System.nanoTime();
    private final Channel consumerChannel;
    private final GenericFutureListener<Future<? super Void>> onConsumerGone = future -> consumerGone();
    private final Outcome outcome;
    /** The reservation this request runs on; null for free routes (count_tokens). */
    private final Hold hold;
    /** What a non-streaming answer cost, in decimal USDC (also in its usage object). */
    static final String COST_HEADER = "x-mercato-cost";

    // Guarded by this: frames, the deadline and the consumer's departure arrive on different threads.
    /** The node serving the request now. */
    private ConnectedNode node;
    private final Set<ConnectedNode> triedNodes = new HashSet<>();
    private final List<ApiError> failuresBeforeOutput = new ArrayList<>();
    private boolean everyFailureWasAuth = true;
    private boolean everyFailureWasOverloaded = true;
    private boolean everyFailureWasTimeout = true;
    private NodeFrame.Request frame;
    /** The current node's attempt, until its circuit breaker has been told how it went. */
    private boolean attemptOpen;
    private long attemptStartNanos;
    private Sinks.Many<byte[]> streamSink;
    private SseEventSplitter splitter;
    private StringBuilder gatheredBody;
    private int headStatus;
    private String headContentType;
    private int eventsForwarded;
    /** What one chunk frame carried, less anything removed: written to the consumer as one write. */
    private final StringBuilder chunkOut = new StringBuilder();
    /** Bytes handed to the consumer's stream that its connection has not taken yet. */
    private final AtomicLong bufferedBytes = new AtomicLong();
    private long firstChunkNanos;
    private boolean finished;
    private HashedWheelTimer timer;
    private Timeout deadline;
    /** Armed while the current node has not sent its head for a stream. */
    private Timeout firstByteTimeout;

    RelayExchange(ParsedRequest request, String requestId, ConnectedNode node, Failover failover, RelaySettings settings,
                  JsonMapper jsonMapper, Channel consumerChannel, Hold hold, Outcome outcome) {
        this.failover = failover;
        this.hold = hold;
        this.outcome = outcome;
        this.request = request;
        this.requestId = requestId;
        this.node = node;
        this.settings = settings;
        this.usageMeter = new UsageMeter(jsonMapper, request.route());
        this.consumerChannel = consumerChannel;
    }

    /** Sends the request to the node; completes with the consumer's response (a stream's starts at head). */
    CompletableFuture<MutableHttpResponse<?>> start(NodeFrame.Request frame, HashedWheelTimer timer) {
        ConnectedNode first;
        synchronized (this) {
            this.frame = frame;
            this.timer = timer;
            deadline = timer.newTimeout(t -> deadlinePassed(), settings.deadlineMillis(), TimeUnit.MILLISECONDS);
            first = beginAttempt(node);
        }
        if (consumerChannel != null) {
            consumerChannel.closeFuture().addListener(onConsumerGone);
        }
        first.dispatch(frame, this);
        return response;
    }

    @Override
    public synchronized void onHead(NodeFrame.Head head) {
        if (finished) {
            return;
        }
        attemptAnswered();
        cancelFirstByteTimeout();
        headStatus = head.status();
        headContentType = head.headers() == null ? null : header(head.headers(), "content-type");
        if (request.stream()) {
            // Bounded by bytes below, not by count: one chunk may be a single token or 64K characters.
            streamSink = Sinks.many().unicast().onBackpressureBuffer(Queues.<byte[]>unbounded().get());
            splitter = new SseEventSplitter(RelaySettings.MAX_EVENT_CHARS);
            Flux<byte[]> body = streamSink.asFlux()
                .doOnNext(bytes -> bufferedBytes.addAndGet(-bytes.length))
                .doOnCancel(this::consumerGone);
            response.complete(served(HttpResponse.status(headStatus, ErrorResponses.reasonPhrase(headStatus)))
                .contentType(headContentType == null ? MediaType.TEXT_EVENT_STREAM : headContentType)
                .header("cache-control", "no-cache")
                .body(body));
        } else {
            gatheredBody = new StringBuilder();
        }
    }

    @Override
    public synchronized void onChunk(NodeFrame.Chunk chunk) {
        if (finished) {
            return;
        }
        if (firstChunkNanos == 0) {
            firstChunkNanos = System.nanoTime();
        }
        if (streamSink != null) {
            splitter.feed(chunk.data(), this::forwardEvent, this::forwardRaw);
            flushChunk();
        } else if (gatheredBody != null) {
            if (gatheredBody.length() + chunk.data().length() > settings.maxResponseBytes()) {
                node.cancel(requestId, "response_too_large");
                failBeforeOutput(ApiError.of(ErrorCode.RESPONSE_TOO_LARGE, "The answer exceeded the gateway's limit of "
                    + settings.maxResponseBytes() + " bytes for a non-streaming response; use stream: true."));
                return;
            }
            gatheredBody.append(chunk.data());
        }
    }

    @Override
    public synchronized void onEnd(NodeFrame.End end) {
        if (finished) {
            return;
        }
        if (streamSink != null) {
            forwardRaw(splitter.drain());
            flushChunk();
            finish("ok");
            streamSink.tryEmitComplete();
        } else if (gatheredBody != null) {
            String body = gatheredBody.toString();
            usageMeter.onBody(body);
            MutableHttpResponse<byte[]> answer = served(HttpResponse.status(headStatus, ErrorResponses.reasonPhrase(headStatus)));
            if (hold != null && headStatus < 300) {
                String cost = Usdc.format(chargedNano());
                body = UsageMeter.withCost(body, cost);
                answer.header(COST_HEADER, cost);
            }
            finish("ok");
            response.complete(answer
                .contentType(headContentType == null ? MediaType.APPLICATION_JSON : headContentType)
                .body(body.getBytes(StandardCharsets.UTF_8)));
        } else {
            attemptFailed("ended the request without answering");
            failBeforeOutput(ApiError.of(ErrorCode.UPSTREAM_FAILED,
                "The provider node " + node.displayName() + " ended the request without answering."));
        }
    }

    @Override
    public synchronized void onFail(NodeFrame.Fail fail) {
        if (finished) {
            return;
        }
        ApiError error = FailureMapping.toApiError(fail, node.displayName());
        if (streamSink != null) {
            failMidStream(error);
        } else if (!FailureMapping.triesAnotherNode(fail)) {
            // The consumer's own request was refused (another node would refuse it too), or the gateway
            // cancelled it: neither says the node is failing.
            if (fail.kind() == FailKind.CANCELLED) {
                attemptAbandoned();
            } else {
                attemptAnswered();
            }
            failBeforeOutput(error);
        } else {
            attemptFailed(fail.kind().wireName() + ": " + fail.message());
            failedOver(fail, error);
        }
    }

    /**
     * The node failed before the consumer received a byte: the same request goes to another
     * node, on the same hold, while attempts remain and another node can take it.
     */
    private void failedOver(NodeFrame.Fail fail, ApiError error) {
        failuresBeforeOutput.add(error);
        everyFailureWasAuth &= fail.kind() == FailKind.AUTH;
        everyFailureWasOverloaded &= fail.kind() == FailKind.OVERLOADED && fail.status() == 529;
        everyFailureWasTimeout &= fail.kind() == FailKind.TIMEOUT;
        if (triedNodes.size() < settings.maxAttempts()
            && failover.next(triedNodes) instanceof NodeRegistry.Choice.Chosen chosen) {
            LOG.info("request {}: node {} failed before answering ({}: {}); trying node {}", requestId,
                node.displayName(), fail.kind().wireName(), fail.message(), chosen.node().displayName());
            gatheredBody = null;
            headStatus = 0;
            headContentType = null;
            beginAttempt(chosen.node()).dispatch(frame, this);
            return;
        }
        failBeforeOutput(finalFailure());
    }

    /** Makes {@code next} the node serving the request; the caller dispatches to it. */
    private ConnectedNode beginAttempt(ConnectedNode next) {
        node = next;
        triedNodes.add(next);
        attemptOpen = true;
        attemptStartNanos = System.nanoTime();
        cancelFirstByteTimeout();
        if (request.stream() && settings.firstByteTimeoutMillis() > 0) {
            firstByteTimeout = timer.newTimeout(t -> firstByteTimedOut(next), settings.firstByteTimeoutMillis(),
                TimeUnit.MILLISECONDS);
        }
        return next;
    }

    private void cancelFirstByteTimeout() {
        if (firstByteTimeout != null) {
            firstByteTimeout.cancel();
            firstByteTimeout = null;
        }
    }

    /**
     * The node has not started the stream in time: it is cancelled there and, nothing having
     * reached the consumer, the request goes to another node like any other retryable failure.
     */
    private synchronized void firstByteTimedOut(ConnectedNode attempted) {
        if (finished || node != attempted || headStatus != 0) {
            return; // the attempt it was armed for is over
        }
        firstByteTimeout = null;
        String why = "did not start the stream within " + settings.firstByteTimeoutMillis() + " ms";
        node.cancel(requestId, "first_byte_timeout");
        attemptFailed(why);
        failedOver(new NodeFrame.Fail(requestId, FailKind.TIMEOUT, 504, why, true, null),
            ApiError.of(ErrorCode.UPSTREAM_TIMEOUT, "The provider node " + node.displayName() + " " + why + "."));
    }

    private void attemptAnswered() {
        if (attemptOpen) {
            attemptOpen = false;
            node.attemptAnswered(System.nanoTime() - attemptStartNanos);
        }
    }

    private void attemptFailed(String why) {
        if (attemptOpen) {
            attemptOpen = false;
            node.attemptFailed(System.nanoTime() - attemptStartNanos, why);
        }
    }

    private void attemptAbandoned() {
        if (attemptOpen) {
            attemptOpen = false;
            node.attemptAbandoned();
        }
    }

    /**
     * What the consumer is told when no node could answer: the one node's own error when only
     * one was tried; otherwise upstream_failed, except when every node failed on its upstream's
     * credentials (provider_auth_failed), every upstream was overloaded (529 passes through) or
     * every node ran out of time (upstream_timeout).
     */
    private ApiError finalFailure() {
        ApiError last = failuresBeforeOutput.getLast();
        int tried = failuresBeforeOutput.size();
        if (tried == 1) {
            return last;
        }
        if (everyFailureWasAuth) {
            return ApiError.of(ErrorCode.PROVIDER_AUTH_FAILED, "All " + tried + " provider nodes tried for model '"
                + request.model() + "' could not authenticate with their upstreams; retry shortly.");
        }
        if (everyFailureWasOverloaded) {
            return ApiError.of(ErrorCode.UPSTREAM_OVERLOADED, "The upstreams of all " + tried + " provider nodes tried "
                + "for model '" + request.model() + "' are overloaded; retry in "
                + FailureMapping.OVERLOADED_RETRY_AFTER_SECONDS + " seconds.")
                .withRetryAfter(FailureMapping.OVERLOADED_RETRY_AFTER_SECONDS);
        }
        if (everyFailureWasTimeout) {
            return ApiError.of(ErrorCode.UPSTREAM_TIMEOUT, "All " + tried + " provider nodes tried for model '"
                + request.model() + "' ran out of time before answering; the last said: " + last.message());
        }
        return new ApiError(ErrorCode.UPSTREAM_FAILED, "All " + tried + " provider nodes tried for model '"
            + request.model() + "' failed before answering; the last said: " + last.message(), null,
            last.retryAfterSeconds());
    }

    private synchronized void deadlinePassed() {
        if (finished) {
            return;
        }
        node.cancel(requestId, "deadline");
        attemptFailed("no answer within the deadline");
        ApiError error = ApiError.of(ErrorCode.UPSTREAM_TIMEOUT, "The request did not complete within the deadline of "
            + settings.deadlineMillis() / 1000 + " seconds.");
        if (streamSink != null) {
            failMidStream(error);
        } else {
            failBeforeOutput(error);
        }
    }

    /** The consumer closed the connection or stopped reading: stop the node's work at once. */
    private synchronized void consumerGone() {
        if (finished) {
            return;
        }
        node.cancel(requestId, "client_disconnected");
        finish("client_disconnected");
        if (streamSink != null) {
            streamSink.tryEmitComplete();
        } else {
            response.cancel(false);
        }
    }

    private void forwardEvent(String event) {
        boolean usageChunk = usageMeter.onStreamEvent(event);
        if (usageChunk && !request.consumerWantsUsageChunk()) {
            return; // the gateway asked for the usage chunk on the consumer's behalf; it is not theirs to see
        }
        if (hold != null && usageMeter.isFinalUsageEvent(event, usageChunk)) {
            event = UsageMeter.withCost(event, Usdc.format(chargedNano()));
        }
        eventsForwarded++;
        chunkOut.append(event);
    }

    /** What this request is charged for its usage so far (the same figure Billing settles). */
    private long chargedNano() {
        return hold.chargedNano(usageMeter.billableUsage());
    }

    private void forwardRaw(String text) {
        chunkOut.append(text);
    }

    /**
     * Writes what the node's chunk carried as one write, the way it arrived from the upstream:
     * events that came together go out together, and a lone event goes out at once.
     */
    private void flushChunk() {
        if (!chunkOut.isEmpty()) {
            String text = chunkOut.toString();
            chunkOut.setLength(0);
            emit(text);
        }
    }

    private void emit(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        long buffered = bufferedBytes.addAndGet(bytes.length);
        Sinks.EmitResult result = buffered > settings.maxBufferedBytes() ? Sinks.EmitResult.FAIL_OVERFLOW
            : streamSink.tryEmitNext(bytes);
        if (result.isFailure()) {
            // The consumer reads slower than the node writes and the bounded buffer is full.
            LOG.warn("request {}: consumer fell {} bytes behind; cutting the stream off", requestId, buffered);
            node.cancel(requestId, "consumer_too_slow");
            finish("consumer_too_slow");
            streamSink.tryEmitError(new IllegalStateException("consumer too slow"));
        }
    }

    private void failMidStream(ApiError error) {
        String rest = splitter.drain();
        if (!rest.isEmpty()) {
            // Close the cut-off event so the error event that follows parses as its own.
            emit(rest.endsWith("\n") ? rest + "\n" : rest + "\n\n");
        }
        if (finished) {
            return;
        }
        emit(ErrorResponses.streamEvent(request.route().streamKind(), error, requestId, eventsForwarded));
        finish(error.code().code());
        streamSink.tryEmitComplete();
    }

    private void failBeforeOutput(ApiError error) {
        MutableHttpResponse<?> refusal = ErrorResponses.response(request.route().wireProtocol(), error, requestId);
        finish(error.code().code());
        response.complete(refusal);
    }

    /** A bug while handling a frame must end the request, never leave the consumer waiting. */
    @Override
    public synchronized void failInternally(Throwable bug) {
        LOG.error("request {}: the gateway failed while relaying", requestId, bug);
        if (finished) {
            return;
        }
        node.cancel(requestId, "gateway_error");
        ApiError error = ApiError.of(ErrorCode.INTERNAL_ERROR, "The gateway failed while relaying the answer (request id "
            + requestId + "); retry, and report the id if it persists.");
        if (streamSink != null) {
            failMidStream(error);
        } else {
            failBeforeOutput(error);
        }
    }

    private void finish(String outcomeName) {
        finished = true;
        attemptAbandoned(); // the consumer left, or the gateway failed: nothing learned of the node
        // Billable only if the consumer received answer bytes: a stream that began, or a whole answer.
        boolean delivered = streamSink != null ? eventsForwarded > 0 : "ok".equals(outcomeName);
        long nowNanos = System.nanoTime();
        if ("ok".equals(outcomeName)) {
            node.answerCompleted(nowNanos - attemptStartNanos);
        }
        outcome.finished(node, usageMeter.billableUsage(), delivered, outcomeName, (nowNanos - startNanos) / 1_000_000,
            firstChunkNanos == 0 ? null : (firstChunkNanos - startNanos) / 1_000_000);
        if (deadline != null) {
            deadline.cancel();
        }
        cancelFirstByteTimeout();
        if (consumerChannel != null) {
            consumerChannel.closeFuture().removeListener(onConsumerGone);
        }
        if (LOG.isDebugEnabled()) {
            long ttfbMicros = firstChunkNanos == 0 ? -1 : (firstChunkNanos - startNanos) / 1000;
            LOG.debug("request {} model={} node={} outcome={} usage={} ttfb_us={} total_us={}", requestId,
                request.model(), node.displayName(), outcomeName, usageMeter.usage(), ttfbMicros,
                (System.nanoTime() - startNanos) / 1000);
        }
    }

    private <T> MutableHttpResponse<T> served(MutableHttpResponse<T> response) {
        return response.header("x-mercato-node", node.displayName());
    }

    /**
     * Told once, when the request ends: the node it ended on, what it used, whether the consumer
     * received any of it, how it went.
     */
    @FunctionalInterface
    interface Outcome {
        void finished(ConnectedNode node, TokenUsage usage, boolean delivered, String outcome, long latencyMillis,
                      Long firstByteMillis);
    }

    /** Another node for the request, passing over those already tried (and taking its slot), or why there is none. */
    @FunctionalInterface
    interface Failover {
        NodeRegistry.Choice next(Set<ConnectedNode> tried);
    }

    private static String header(Map<String, String> headers, String name) {
        for (Map.Entry<String, String> entry : headers.entrySet()) {
            if (entry.getKey().equalsIgnoreCase(name)) {
                return entry.getValue();
            }
        }
        return null;
    }
}
