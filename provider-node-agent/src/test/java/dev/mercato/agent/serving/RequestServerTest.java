package dev.mercato.agent.serving;

import dev.mercato.agent.config.ModelConfig;
import dev.mercato.agent.rest.RestWindows;
import dev.mercato.agent.upstream.Upstream;
import dev.mercato.agent.upstream.UpstreamCall;
import dev.mercato.agent.upstream.UpstreamSink;
import dev.mercato.protocol.FailKind;
import dev.mercato.protocol.NodeFrame;
import dev.mercato.protocol.Protocol;
import dev.mercato.protocol.Schedule;
import dev.mercato.protocol.TokenUsage;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RequestServerTest {

    /** An upstream that holds every call until the test answers it through the kept sink. */
    private static final class HeldUpstream implements Upstream {
        final List<UpstreamSink> sinks = new ArrayList<>();
        final List<Boolean> cancelled = new ArrayList<>();

        @Override
        public synchronized UpstreamCall start(NodeFrame.Request request, UpstreamSink sink) {
            int index = sinks.size();
            sinks.add(sink);
            cancelled.add(false);
            return () -> {
                synchronized (this) {
                    cancelled.set(index, true);
                }
            };
        }
    }

    private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    private final HeldUpstream upstream = new HeldUpstream();
    private final List<NodeFrame> sent = new ArrayList<>();
    private final ConcurrentMap<String, ServedRequest> active = new ConcurrentHashMap<>();
    private final Counters counters = new Counters();

    @Test
    void refusesARequestBeyondTheNodeCapAsOverloaded() {
        Slots slots = new Slots(2);
        RequestServer server = server(slots, Schedule.ALWAYS_ONLINE, ModelConfig.of("claude-sim", Protocol.ANTHROPIC));

        server.serve(request("r1", "claude-sim"), sent::add, active);
        server.serve(request("r2", "claude-sim"), sent::add, active);
        server.serve(request("r3", "claude-sim"), sent::add, active);

        assertEquals(List.of(new NodeFrame.Fail("r3", FailKind.OVERLOADED, 503, "node is at its concurrency cap of 2",
            true, null)), sent);
        assertEquals(2, slots.inFlight());
        assertEquals(2, upstream.sinks.size());
    }

    @Test
    void refusesARequestBeyondTheModelCapWhileOtherModelsStillRun() {
        Slots slots = new Slots(4);
        RequestServer server = server(slots, Schedule.ALWAYS_ONLINE,
            new ModelConfig("llama", Protocol.OPENAI, null, 1), ModelConfig.of("qwen", Protocol.OPENAI));

        server.serve(request("r1", "llama"), sent::add, active);
        server.serve(request("r2", "llama"), sent::add, active);
        server.serve(request("r3", "qwen"), sent::add, active);

        assertEquals(List.of(new NodeFrame.Fail("r2", FailKind.OVERLOADED, 503,
            "model llama is at its concurrency cap of 1", true, null)), sent);
        assertEquals(2, slots.inFlight());
    }

    @Test
    void freesTheSlotOnEndOnFailAndOnCancel() {
        Slots slots = new Slots(1);
        RequestServer server = server(slots, Schedule.ALWAYS_ONLINE, ModelConfig.of("claude-sim", Protocol.ANTHROPIC));

        server.serve(request("r1", "claude-sim"), sent::add, active);
        upstream.sinks.get(0).head(200, Map.of("content-type", "text/event-stream"));
        upstream.sinks.get(0).chunk("data: x\n\n");
        upstream.sinks.get(0).end(new TokenUsage(1, 2, 0, 0, 0));
        server.serve(request("r2", "claude-sim"), sent::add, active);
        upstream.sinks.get(1).fail(FailKind.AUTH, 401, "invalid x-api-key", true, null);
        server.serve(request("r3", "claude-sim"), sent::add, active);
        active.get("r3").cancel();
        server.serve(request("r4", "claude-sim"), sent::add, active);

        assertEquals(new NodeFrame.Head("r1", 200, Map.of("content-type", "text/event-stream")), sent.get(0));
        assertEquals(new NodeFrame.Chunk("r1", "data: x\n\n"), sent.get(1));
        assertEquals(new TokenUsage(1, 2, 0, 0, 0), ((NodeFrame.End) sent.get(2)).usage());
        assertEquals(new NodeFrame.Fail("r2", FailKind.AUTH, 401, "invalid x-api-key", true, null), sent.get(3));
        assertEquals(4, sent.size());
        assertEquals(List.of(false, false, true, false), upstream.cancelled);
        assertEquals(1, slots.inFlight());
        assertEquals(List.of("r4"), List.copyOf(active.keySet()));
        assertEquals(List.of(1L, 1L, 1L), List.of(counters.served(), counters.failed(), counters.cancelled()));
    }

    @Test
    void ignoresWhatAnUpstreamSaysAfterTheRequestWasCancelled() {
        RequestServer server = server(new Slots(1), Schedule.ALWAYS_ONLINE,
            ModelConfig.of("claude-sim", Protocol.ANTHROPIC));

        server.serve(request("r1", "claude-sim"), sent::add, active);
        active.get("r1").cancel();
        upstream.sinks.get(0).chunk("late");
        upstream.sinks.get(0).end(null);

        assertEquals(List.of(), sent);
    }

    @Test
    void refusesAnUnknownModelAsBadRequest() {
        RequestServer server = server(new Slots(1), Schedule.ALWAYS_ONLINE,
            ModelConfig.of("claude-sim", Protocol.ANTHROPIC), ModelConfig.of("gpt-sim", Protocol.OPENAI));

        server.serve(request("r1", "gpt-5"), sent::add, active);

        assertEquals(List.of(new NodeFrame.Fail("r1", FailKind.BAD_REQUEST, 400,
            "model 'gpt-5' is not served by this node (it serves claude-sim, gpt-sim)", false, null)), sent);
    }

    @Test
    void refusesWorkWhileRestingWithTheSecondsUntilItIsBack() {
        // 60 minutes online from 09:00, then 90 minutes of rest: 10:00 is rest until 11:30.
        Schedule schedule = new Schedule("UTC", "2026-03-01T09:00", 60, 90);
        RequestServer server = server(new Slots(1), schedule, ModelConfig.of("claude-sim", Protocol.ANTHROPIC));

        server.serve(request("r1", "claude-sim"), sent::add, active);

        assertEquals(List.of(new NodeFrame.Fail("r1", FailKind.UNAVAILABLE, 503,
            "node is resting until 2026-03-01T11:30:00Z", true, 5400)), sent);
    }

    @Test
    void anUpstreamThatThrowsFailsTheRequestAndFreesTheSlot() {
        Slots slots = new Slots(1);
        Upstream broken = (request, sink) -> {
            throw new IllegalStateException("no connection pool");
        };
        RequestServer server = new RequestServer(Map.of("claude-sim", new RequestServer.Route(
            ModelConfig.of("claude-sim", Protocol.ANTHROPIC), broken)), slots,
            new RestWindows(Schedule.ALWAYS_ONLINE, CLOCK, slots::inFlight), counters, CLOCK);

        server.serve(request("r1", "claude-sim"), sent::add, active);

        assertEquals(List.of(new NodeFrame.Fail("r1", FailKind.UPSTREAM_ERROR, 502,
            "the node could not start the upstream call: no connection pool", true, null)), sent);
        assertEquals(0, slots.inFlight());
        assertTrue(active.isEmpty());
    }

    @Test
    void reportsHowLongTheUpstreamTook() {
        RequestServer server = server(new Slots(1), Schedule.ALWAYS_ONLINE,
            ModelConfig.of("claude-sim", Protocol.ANTHROPIC));

        server.serve(request("r1", "claude-sim"), sent::add, active);
        upstream.sinks.get(0).end(null);

        NodeFrame.End end = assertInstanceOf(NodeFrame.End.class, sent.getFirst());
        assertTrue(end.upstreamMillis() >= 0 && end.upstreamMillis() < 5_000, "upstreamMillis " + end.upstreamMillis());
    }

    private RequestServer server(Slots slots, Schedule schedule, ModelConfig... models) {
        Map<String, RequestServer.Route> routes = new java.util.LinkedHashMap<>();
        for (ModelConfig model : models) {
            routes.put(model.id(), new RequestServer.Route(model, upstream));
        }
        return new RequestServer(routes, slots, new RestWindows(schedule, CLOCK, slots::inFlight), counters, CLOCK);
    }

    private static NodeFrame.Request request(String id, String model) {
        return new NodeFrame.Request(id, Protocol.ANTHROPIC, "/v1/messages", model, Map.of(), "{}",
            NOW.toEpochMilli() + 60_000);
    }
}
