package dev.mercato.agent.upstream;

import dev.mercato.agent.config.ModelConfig;
import dev.mercato.agent.config.UpstreamConfig;
import dev.mercato.protocol.FailKind;
import dev.mercato.protocol.NodeFrame;
import dev.mercato.protocol.Protocol;
import dev.mercato.simulator.Part;
import dev.mercato.simulator.SimulatedResponse;
import dev.mercato.simulator.Simulator;
import dev.mercato.simulator.SimulatorSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class SimulatedUpstreamTest {

    private static final SimulatorSettings SETTINGS = SimulatorSettings.defaults().withCacheReadTokens(10);

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final SimulatedUpstream upstream = new SimulatedUpstream(UpstreamConfig.simulated(SETTINGS,
        List.of(ModelConfig.of("claude-sim", Protocol.ANTHROPIC), ModelConfig.of("gpt-sim", Protocol.OPENAI))),
        scheduler, Clock.systemUTC());

    @AfterEach
    void stopScheduler() {
        scheduler.shutdownNow();
    }

    @Test
    void playsThePlannedPartsInOrderThenEndsWithTheUsage() throws Exception {
        String body = claude("Hello [[sim:tokens-per-second=500]]");
        SimulatedResponse plan = new Simulator(SETTINGS).plan(Protocol.ANTHROPIC, "/v1/messages", body);
        RecordingSink sink = new RecordingSink();

        upstream.start(request("claude-sim", body), sink);
        sink.awaitEnd();

        List<Object> expected = new ArrayList<>();
        expected.add(new RecordingSink.Head(200, plan.headers()));
        plan.parts().stream().map(Part::data).forEach(expected::add);
        expected.add(new RecordingSink.End(plan.usage()));
        assertEquals(expected, sink.events());
    }

    @Test
    void aDroppedConnectionFailsAfterThePartsThatWereSent() throws Exception {
        String body = claude("Hello [[sim:drop-after=3]]");
        SimulatedResponse plan = new Simulator(SETTINGS).plan(Protocol.ANTHROPIC, "/v1/messages", body);
        RecordingSink sink = new RecordingSink();

        upstream.start(request("claude-sim", body), sink);
        sink.awaitEnd();

        assertEquals(List.of(new RecordingSink.Head(200, plan.headers()), plan.parts().get(0).data(),
                plan.parts().get(1).data(), plan.parts().get(2).data(),
                new RecordingSink.Fail(FailKind.UNAVAILABLE, 502, "upstream connection dropped", false, null)),
            sink.events());
    }

    @Test
    void aDropBeforeAnyByteIsRetryable() throws Exception {
        RecordingSink sink = new RecordingSink();

        upstream.start(request("claude-sim", claude("Hello [[sim:drop-after=0]]")), sink);
        sink.awaitEnd();

        assertEquals(List.of(new RecordingSink.Fail(FailKind.UNAVAILABLE, 502, "upstream connection dropped", true,
            null)), sink.events());
    }

    @Test
    void anErrorStatusFailsWithTheMappedKind() throws Exception {
        RecordingSink sink = new RecordingSink();

        upstream.start(request("claude-sim", claude("[[sim:fail=overloaded]]")), sink);
        sink.awaitEnd();

        assertEquals(List.of(new RecordingSink.Fail(FailKind.OVERLOADED, 529, "Overloaded", true, null)),
            sink.events());
    }

    @Test
    void cancelStopsFurtherParts() throws Exception {
        RecordingSink sink = new RecordingSink();

        UpstreamCall call = upstream.start(request("claude-sim",
            claude("Hello [[sim:tokens-per-second=20]] [[sim:tokens=100]]")), sink);
        sink.awaitHead();
        call.cancel();
        int eventsAtCancel = sink.events().size();

        assertFalse(sink.endsWithin(Duration.ofMillis(300)));
        assertEquals(eventsAtCancel, sink.events().size());
    }

    @Test
    void cutsAPartLongerThanAChunk() {
        List<String> pieces = new ArrayList<>();

        SimulatedUpstream.cut("ab😀cd", 3, pieces::add);

        assertEquals(List.of("ab", "😀c", "d"), pieces);
    }

    private static String claude(String prompt) {
        return "{\"model\":\"claude-sim\",\"max_tokens\":64,\"stream\":true,\"messages\":[{\"role\":\"user\","
            + "\"content\":\"" + prompt + "\"}]}";
    }

    private static NodeFrame.Request request(String model, String body) {
        return new NodeFrame.Request("req_1", Protocol.ANTHROPIC, "/v1/messages", model, Map.of(), body,
            System.currentTimeMillis() + 30_000);
    }
}
