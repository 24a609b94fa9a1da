package dev.mercato.agent.upstream;

import dev.mercato.protocol.FailKind;
import dev.mercato.protocol.TokenUsage;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Records what an upstream tells its sink, in order, for tests to assert on. */
final class RecordingSink implements UpstreamSink {

    record Head(int status, Map<String, String> headers) {
    }

    record End(TokenUsage usage) {
    }

    record Fail(FailKind kind, int status, String message, boolean retryable, Integer retryAfterSeconds) {
    }

    private final List<Object> events = new ArrayList<>();
    private final CountDownLatch ended = new CountDownLatch(1);
    private final CountDownLatch headed = new CountDownLatch(1);

    @Override
    public synchronized void head(int status, Map<String, String> headers) {
        events.add(new Head(status, headers));
        headed.countDown();
    }

    @Override
    public synchronized void chunk(String data) {
        events.add(data);
    }

    @Override
    public synchronized void end(TokenUsage usageOrNull) {
        events.add(new End(usageOrNull));
        ended.countDown();
    }

    @Override
    public synchronized void fail(FailKind kind, int status, String message, boolean retryable,
                                  Integer retryAfterSeconds) {
        events.add(new Fail(kind, status, message, retryable, retryAfterSeconds));
        ended.countDown();
    }

    void awaitEnd() throws InterruptedException {
        assertTrue(ended.await(10, TimeUnit.SECONDS), "no end or fail within 10 s; saw " + events());
    }

    void awaitHead() throws InterruptedException {
        assertTrue(headed.await(10, TimeUnit.SECONDS), "no head within 10 s; saw " + events());
    }

    boolean endsWithin(Duration duration) throws InterruptedException {
        return ended.await(duration.toMillis(), TimeUnit.MILLISECONDS);
    }

    synchronized List<Object> events() {
        return List.copyOf(events);
    }

    synchronized List<String> chunks() {
        return events.stream().filter(String.class::isInstance).map(String.class::cast).toList();
    }

    synchronized String body() {
        return String.join("", chunks());
    }

    synchronized Head head() {
        return events.stream().filter(Head.class::isInstance).map(Head.class::cast).findFirst().orElse(null);
    }

    /** The closing event: an {@link End} or a {@link Fail}. */
    synchronized Object last() {
        return events.isEmpty() ? null : events.getLast();
    }
}
