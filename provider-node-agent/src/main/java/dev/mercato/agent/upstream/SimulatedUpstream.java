package dev.mercato.agent.upstream;

import dev.mercato.agent.config.ModelConfig;
import dev.mercato.agent.config.UpstreamConfig;
import dev.mercato.agent.config.UpstreamType;
import dev.mercato.protocol.FailKind;
import dev.mercato.protocol.FrameCodec;
import dev.mercato.protocol.NodeFrame;
import dev.mercato.simulator.Ending;
import dev.mercato.simulator.Part;
import dev.mercato.simulator.SimulatedResponse;
import dev.mercato.simulator.Simulator;

import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Serves requests from the built-in {@link Simulator}: plays each planned answer back part by
 * part on the agent's shared scheduler, so a thousand slow streams cost no thread each.
 */
public final class SimulatedUpstream implements Upstream {

    private final Simulator simulator;
    private final Map<String, ModelConfig> modelsById = new HashMap<>();
    private final ScheduledExecutorService scheduler;
    private final Clock clock;

    public SimulatedUpstream(UpstreamConfig config, ScheduledExecutorService scheduler, Clock clock) {
        if (config.type() != UpstreamType.SIMULATED) {
            throw new IllegalArgumentException("type " + config.type().configName() + " is served by HttpUpstream");
        }
        this.simulator = new Simulator(config.simulator());
        for (ModelConfig model : config.models()) {
            modelsById.put(model.id(), model);
        }
        this.scheduler = scheduler;
        this.clock = clock;
    }

    @Override
    public UpstreamCall start(NodeFrame.Request request, UpstreamSink sink) {
        Playback playback = new Playback(request, sink);
        playback.begin();
        return playback;
    }

    /** Cuts {@code data} into pieces of at most {@code maxChars}, never between the halves of a surrogate pair. */
    static void cut(String data, int maxChars, Consumer<String> pieces) {
        int from = 0;
        while (data.length() - from > maxChars) {
            int to = from + maxChars;
            if (Character.isHighSurrogate(data.charAt(to - 1))) {
                to--;
            }
            pieces.accept(data.substring(from, to));
            from = to;
        }
        if (from < data.length()) {
            pieces.accept(from == 0 ? data : data.substring(from));
        }
    }

    /** One planned answer being played back; every step runs under this object's lock. */
    private final class Playback implements UpstreamCall {

        private final NodeFrame.Request request;
        private final UpstreamSink sink;
        private SimulatedResponse plan;
        private boolean finished;
        private boolean headSent;
        private ScheduledFuture<?> nextStep;
        private ScheduledFuture<?> deadlineTimer;

        Playback(NodeFrame.Request request, UpstreamSink sink) {
            this.request = request;
            this.sink = sink;
        }

        synchronized void begin() {
            long remainingMillis = request.deadlineEpochMillis() - clock.millis();
            if (remainingMillis <= 0) {
                fail(FailKind.TIMEOUT, 504, "the request's deadline passed before the upstream was called", true);
                return;
            }
            String body = request.body();
            ModelConfig model = modelsById.get(request.model());
            try {
                if (model != null && model.upstreamModel() != null) {
                    body = ModelRewriter.withModel(body, model.upstreamModel());
                }
            } catch (IllegalArgumentException e) {
                fail(FailKind.BAD_REQUEST, 400, e.getMessage(), false);
                return;
            }
            plan = simulator.plan(request.protocol(), request.path(), body);
            deadlineTimer = scheduler.schedule(this::deadlinePassed, remainingMillis, TimeUnit.MILLISECONDS);
            if (plan.status() >= 400) {
                nextStep = scheduler.schedule(this::reportError, plan.totalDelayMillis(), TimeUnit.MILLISECONDS);
            } else if (plan.parts().isEmpty()) {
                nextStep = scheduler.schedule(() -> play(0), 0, TimeUnit.MILLISECONDS);
            } else {
                nextStep = scheduler.schedule(() -> play(0), plan.parts().getFirst().delayMillis(),
                    TimeUnit.MILLISECONDS);
            }
        }

        private synchronized void reportError() {
            if (finished) {
                return;
            }
            finish();
            String retryAfter = null;
            for (Map.Entry<String, String> header : plan.headers().entrySet()) {
                if (header.getKey().equalsIgnoreCase("retry-after")) {
                    retryAfter = header.getValue();
                }
            }
            UpstreamFailure.fromResponse(plan.status(), retryAfter, plan.body()).reportTo(sink);
        }

        /** Sends part {@code index} and every part due at the same moment, then schedules the next. */
        private synchronized void play(int index) {
            if (finished) {
                return;
            }
            List<Part> parts = plan.parts();
            if (!headSent && !(parts.isEmpty() && plan.ending() == Ending.DROP)) {
                headSent = true;
                sink.head(plan.status(), plan.headers());
            }
            int next = index;
            while (next < parts.size() && (next == index || parts.get(next).delayMillis() == 0)) {
                cut(parts.get(next).data(), FrameCodec.MAX_CHUNK_CHARS, sink::chunk);
                next++;
            }
            if (next < parts.size()) {
                int following = next;
                nextStep = scheduler.schedule(() -> play(following), parts.get(next).delayMillis(),
                    TimeUnit.MILLISECONDS);
            } else if (plan.ending() == Ending.COMPLETE) {
                finish();
                sink.end(plan.usage());
            } else {
                // After the head the gateway turns this into the protocol's own mid-stream error event.
                fail(FailKind.UNAVAILABLE, 502, "upstream connection dropped", true);
            }
        }

        private synchronized void deadlinePassed() {
            fail(FailKind.TIMEOUT, 504, "the simulated upstream did not finish within the request's deadline", true);
        }

        @Override
        public synchronized void cancel() {
            if (!finished) {
                finish();
            }
        }

        /** Nothing is retryable once the head went out: the consumer may already have bytes. */
        private void fail(FailKind kind, int status, String message, boolean retryableBeforeHead) {
            if (finished) {
                return;
            }
            finish();
            sink.fail(kind, status, message, retryableBeforeHead && !headSent, null);
        }

        private void finish() {
            finished = true;
            if (nextStep != null) {
                nextStep.cancel(false);
            }
            if (deadlineTimer != null) {
                deadlineTimer.cancel(false);
            }
        }
    }
}
