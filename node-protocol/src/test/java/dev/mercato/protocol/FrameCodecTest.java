package dev.mercato.protocol;

import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

@MicronautTest(startApplication = false)
class FrameCodecTest {

    @Inject
    FrameCodec codec;

    @Test
    void everyFrameSurvivesARoundTrip() {
        List<NodeFrame> frames = List.of(
            new NodeFrame.Hello("mnode_x", "0.1.0",
                List.of(new NodeFrame.ModelOffer("claude-sim", Protocol.ANTHROPIC, 4),
                    new NodeFrame.ModelOffer("gpt-sim", Protocol.OPENAI, null)),
                8, new Schedule("Europe/Berlin", "2026-01-01T08:00", 960, 480), NodeState.ONLINE),
            new NodeFrame.Welcome("node_1", 15, "gw-a"),
            new NodeFrame.Reject("invalid_node_token", "The node token is not valid."),
            new NodeFrame.Status(NodeState.DRAINING, 3, 1_767_225_600_000L),
            new NodeFrame.Request("req_1", Protocol.OPENAI, "/v1/chat/completions", "gpt-sim",
                Map.of("openai-beta", "x"), "{\"model\":\"gpt-sim\"}", 1_767_225_600_000L),
            new NodeFrame.Head("req_1", 200, Map.of("content-type", "text/event-stream")),
            new NodeFrame.Chunk("req_1", "data: {\"a\":\"é\\n\"}\n\n"),
            new NodeFrame.End("req_1", new TokenUsage(10, 20, 3, 4, 5), 42),
            new NodeFrame.End("req_2", null, 0),
            new NodeFrame.Fail("req_1", FailKind.AUTH, 401, "bad upstream key", true, null),
            new NodeFrame.Cancel("req_1", "client_disconnected"));
        for (NodeFrame frame : frames) {
            assertEquals(frame, codec.decode(codec.encode(frame)));
        }
    }

    @Test
    void typeNamesAreTheProtocolsOwn() {
        assertEquals("{\"type\":\"cancel\",\"id\":\"r\",\"reason\":\"deadline\"}",
            codec.encode(new NodeFrame.Cancel("r", "deadline")));
        assertEquals(new NodeFrame.Fail("r", FailKind.RATE_LIMITED, 429, "slow down", true, 7),
            codec.decode("{\"type\":\"fail\",\"id\":\"r\",\"kind\":\"rate_limited\",\"status\":429,"
                + "\"message\":\"slow down\",\"retryable\":true,\"retryAfterSeconds\":7}"));
    }

    @Test
    void rejectsWhatIsNotAFrame() {
        assertThrows(FrameCodec.MalformedFrameException.class, () -> codec.decode("not json"));
        assertThrows(FrameCodec.MalformedFrameException.class, () -> codec.decode("{\"type\":\"nope\"}"));
        assertThrows(FrameCodec.MalformedFrameException.class,
            () -> codec.decode("{\"type\":\"status\",\"state\":\"sleeping\",\"inFlight\":0}"));
    }
}
