package dev.mercato.simulator;

import dev.mercato.protocol.TokenUsage;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The simulator's answers, byte for byte, for small fixed requests in each protocol and mode. */
class ExactBytesTest {

    private final Simulator simulator = Requests.simulator(SimulatorSettings.defaults().withOutputTokens(7));

    @Test
    void anthropicMessageIsOneJsonPartWithUsageBesideTheText() {
        SimulatedResponse response = Requests.anthropic(simulator, Requests.ANTHROPIC);

        assertEquals(200, response.status());
        assertEquals(Map.of("content-type", "application/json", "request-id", "req_sim_00000001"), response.headers());
        assertEquals(List.of(new Part(0, """
            {"id":"msg_sim_00000001","type":"message","role":"assistant","model":"claude-sim",\
            "content":[{"type":"text","text":"Simulated answer from claude-sim (7 tokens): lorem"}],\
            "stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":2,\
            "cache_creation_input_tokens":0,"cache_read_input_tokens":0,"cache_creation":\
            {"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":7,\
            "service_tier":"standard"}}""")), response.parts());
        assertEquals(new TokenUsage(2, 7, 0, 0, 0), response.usage());
        assertEquals(Ending.COMPLETE, response.ending());
    }

    @Test
    void anthropicStreamSendsEveryEventInTheRealOrderOnePartEach() {
        SimulatedResponse response = Requests.anthropic(simulator, Requests.ANTHROPIC_STREAM);

        assertEquals(Map.of("content-type", "text/event-stream", "request-id", "req_sim_00000001"),
            response.headers());
        assertEquals("""
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_sim_00000001","type":"message","role":"assistant","model":"claude-sim","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":2,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":1,"service_tier":"standard"}}}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

            event: ping
            data: {"type": "ping"}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Simulated"}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" answer"}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" from"}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" claude-sim"}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" (7"}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" tokens):"}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" lorem"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":0}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":2,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":7}}

            event: message_stop
            data: {"type":"message_stop"}

            """, response.body());
        assertEquals(13, response.parts().size());
        assertEquals(new TokenUsage(2, 7, 0, 0, 0), response.usage());
    }

    @Test
    void chatCompletionHasANonNullFinishReasonAndFullUsage() {
        SimulatedResponse response = Requests.chat(simulator, Requests.CHAT);

        assertEquals(Map.of("content-type", "application/json", "x-request-id", "req_sim_00000001"),
            response.headers());
        assertEquals("""
            {"id":"chatcmpl-sim00000001","object":"chat.completion","created":1767225600,"model":"gpt-sim",\
            "choices":[{"index":0,"message":{"role":"assistant","content":"Simulated answer from gpt-sim (7 tokens): \
            lorem","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":\
            {"prompt_tokens":2,"completion_tokens":7,"total_tokens":9,"prompt_tokens_details":{"cached_tokens":0,\
            "audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,\
            "accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default",\
            "system_fingerprint":"fp_simulator"}""", response.body());
        assertEquals(1, response.parts().size());
        assertEquals(new TokenUsage(2, 7, 0, 0, 0), response.usage());
    }

    @Test
    void chatStreamEndsWithTheUsageChunkThenDoneWhenUsageIsAskedFor() {
        Simulator twoTokens = Requests.simulator(SimulatorSettings.defaults().withOutputTokens(2));

        SimulatedResponse response = Requests.chat(twoTokens, Requests.CHAT_STREAM_WITH_USAGE);

        assertEquals("""
            data: {"id":"chatcmpl-sim00000001","object":"chat.completion.chunk","created":1767225600,"model":"gpt-sim","service_tier":"default","system_fingerprint":"fp_simulator","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}

            data: {"id":"chatcmpl-sim00000001","object":"chat.completion.chunk","created":1767225600,"model":"gpt-sim","service_tier":"default","system_fingerprint":"fp_simulator","choices":[{"index":0,"delta":{"content":"Simulated"},"logprobs":null,"finish_reason":null}],"usage":null}

            data: {"id":"chatcmpl-sim00000001","object":"chat.completion.chunk","created":1767225600,"model":"gpt-sim","service_tier":"default","system_fingerprint":"fp_simulator","choices":[{"index":0,"delta":{"content":" answer"},"logprobs":null,"finish_reason":null}],"usage":null}

            data: {"id":"chatcmpl-sim00000001","object":"chat.completion.chunk","created":1767225600,"model":"gpt-sim","service_tier":"default","system_fingerprint":"fp_simulator","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}

            data: {"id":"chatcmpl-sim00000001","object":"chat.completion.chunk","created":1767225600,"model":"gpt-sim","service_tier":"default","system_fingerprint":"fp_simulator","choices":[],"usage":{"prompt_tokens":2,"completion_tokens":2,"total_tokens":4,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}

            data: [DONE]

            """, response.body());
        assertEquals(6, response.parts().size());
        assertEquals(new TokenUsage(2, 2, 0, 0, 0), response.usage());
    }

    @Test
    void chatStreamHasNoUsageAtAllWhenUsageIsNotAskedFor() {
        Simulator twoTokens = Requests.simulator(SimulatorSettings.defaults().withOutputTokens(2));

        SimulatedResponse response = Requests.chat(twoTokens, Requests.CHAT_STREAM);

        assertEquals("""
            data: {"id":"chatcmpl-sim00000001","object":"chat.completion.chunk","created":1767225600,"model":"gpt-sim","service_tier":"default","system_fingerprint":"fp_simulator","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]}

            data: {"id":"chatcmpl-sim00000001","object":"chat.completion.chunk","created":1767225600,"model":"gpt-sim","service_tier":"default","system_fingerprint":"fp_simulator","choices":[{"index":0,"delta":{"content":"Simulated"},"logprobs":null,"finish_reason":null}]}

            data: {"id":"chatcmpl-sim00000001","object":"chat.completion.chunk","created":1767225600,"model":"gpt-sim","service_tier":"default","system_fingerprint":"fp_simulator","choices":[{"index":0,"delta":{"content":" answer"},"logprobs":null,"finish_reason":null}]}

            data: {"id":"chatcmpl-sim00000001","object":"chat.completion.chunk","created":1767225600,"model":"gpt-sim","service_tier":"default","system_fingerprint":"fp_simulator","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}

            data: [DONE]

            """, response.body());
        assertEquals(new TokenUsage(2, 2, 0, 0, 0), response.usage());
    }

    @Test
    void responsesAnswerIsACompletedResponseWithOneMessage() {
        SimulatedResponse response = Requests.responses(simulator, Requests.RESPONSES);

        assertEquals(Map.of("content-type", "application/json", "x-request-id", "req_sim_00000001"),
            response.headers());
        assertEquals("""
            {"id":"resp_sim00000001","object":"response","created_at":1767225600,"status":"completed",\
            "background":false,"error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,\
            "max_tool_calls":null,"model":"gpt-sim","output":[{"id":"msg_sim00000001","type":"message",\
            "status":"completed","content":[{"type":"output_text","annotations":[],"logprobs":[],\
            "text":"Simulated answer from gpt-sim (7 tokens): lorem"}],"role":"assistant"}],\
            "parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},\
            "service_tier":"default","store":true,"temperature":1.0,"text":{"format":{"type":"text"},\
            "verbosity":"medium"},"tool_choice":"auto","tools":[],"top_logprobs":0,"top_p":1.0,\
            "truncation":"disabled","usage":{"input_tokens":2,"input_tokens_details":{"cached_tokens":0,\
            "cache_write_tokens":0},"output_tokens":7,"output_tokens_details":{"reasoning_tokens":0},\
            "total_tokens":9},"user":null,"metadata":{}}""", response.body());
        assertEquals(new TokenUsage(2, 7, 0, 0, 0), response.usage());
    }

    @Test
    void responsesStreamNumbersItsEventsFromZeroInTheRealOrder() {
        Simulator twoTokens = Requests.simulator(SimulatorSettings.defaults().withOutputTokens(2));

        SimulatedResponse response = Requests.responses(twoTokens, Requests.RESPONSES_STREAM);

        List<String> events = response.parts().stream().map(part -> part.data().substring(0, part.data().indexOf('\n')))
            .toList();
        assertEquals(List.of("event: response.created", "event: response.in_progress",
            "event: response.output_item.added", "event: response.content_part.added",
            "event: response.output_text.delta", "event: response.output_text.delta",
            "event: response.output_text.done", "event: response.content_part.done",
            "event: response.output_item.done", "event: response.completed"), events);
        for (int i = 0; i < response.parts().size(); i++) {
            String data = response.parts().get(i).data();
            String type = events.get(i).substring("event: ".length());
            assertEquals(true, data.contains("\ndata: {\"type\":\"" + type + "\",\"sequence_number\":" + i + ","),
                "event " + i + " starts with its type and sequence number: " + data);
        }
        assertEquals("""
            event: response.output_text.delta
            data: {"type":"response.output_text.delta","sequence_number":5,"item_id":"msg_sim00000001",\
            "output_index":0,"content_index":0,"delta":" answer","logprobs":[]}

            """, response.parts().get(5).data());
        assertEquals("""
            event: response.output_text.done
            data: {"type":"response.output_text.done","sequence_number":6,"item_id":"msg_sim00000001",\
            "output_index":0,"content_index":0,"text":"Simulated answer","logprobs":[]}

            """, response.parts().get(6).data());
    }

    @Test
    void countTokensAnswersTheInputTokensOnly() {
        SimulatedResponse response = simulator.plan(dev.mercato.protocol.Protocol.ANTHROPIC,
            "/v1/messages/count_tokens", """
                {"model":"claude-sim","messages":[{"role":"user","content":"Hello, world!"}]}""");

        assertEquals(200, response.status());
        assertEquals("{\"input_tokens\":4}", response.body());
        assertEquals(TokenUsage.ZERO, response.usage());
    }

    @Test
    void idsFollowTheSequenceOfPlans() {
        Requests.anthropic(simulator, Requests.ANTHROPIC);
        Requests.chat(simulator, Requests.CHAT);

        SimulatedResponse third = Requests.anthropic(simulator, Requests.ANTHROPIC);

        assertEquals("req_sim_00000003", third.headers().get("request-id"));
        assertEquals(true, third.body().startsWith("{\"id\":\"msg_sim_00000003\","));
    }
}
