package dev.mercato.simulator;

import dev.mercato.protocol.Protocol;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/** Small fixed requests and a fixed clock, so the simulator's bytes can be asserted exactly. */
final class Requests {

    /** 2026-01-01T00:00:00Z, the {@code created} of every answer in these tests. */
    static final long CREATED_EPOCH_SECONDS = 1_767_225_600L;

    static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(CREATED_EPOCH_SECONDS), ZoneOffset.UTC);

    /** "Hi there": 8 bytes of prompt text, so 2 input tokens. */
    static final String ANTHROPIC = """
        {"model":"claude-sim","max_tokens":64,"messages":[{"role":"user","content":"Hi there"}]}""";

    static final String ANTHROPIC_STREAM = """
        {"model":"claude-sim","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Hi there"}]}""";

    static final String CHAT = """
        {"model":"gpt-sim","messages":[{"role":"user","content":"Hi there"}]}""";

    static final String CHAT_STREAM_WITH_USAGE = """
        {"model":"gpt-sim","stream":true,"stream_options":{"include_usage":true},\
        "messages":[{"role":"user","content":"Hi there"}]}""";

    static final String CHAT_STREAM = """
        {"model":"gpt-sim","stream":true,"messages":[{"role":"user","content":"Hi there"}]}""";

    static final String RESPONSES = """
        {"model":"gpt-sim","input":"Hi there"}""";

    static final String RESPONSES_STREAM = """
        {"model":"gpt-sim","stream":true,"input":"Hi there"}""";

    private Requests() {
    }

    static Simulator simulator(SimulatorSettings settings) {
        return new Simulator(settings, CLOCK);
    }

    static SimulatedResponse anthropic(Simulator simulator, String body) {
        return simulator.plan(Protocol.ANTHROPIC, "/v1/messages", body);
    }

    static SimulatedResponse chat(Simulator simulator, String body) {
        return simulator.plan(Protocol.OPENAI, "/v1/chat/completions", body);
    }

    static SimulatedResponse responses(Simulator simulator, String body) {
        return simulator.plan(Protocol.OPENAI, "/v1/responses", body);
    }

    /** An Anthropic request whose user message is {@code text}. */
    static String anthropicSaying(String text, boolean stream) {
        return "{\"model\":\"claude-sim\",\"max_tokens\":64,\"stream\":" + stream
            + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
    }

    /** A Chat Completions request whose user message is {@code text}. */
    static String chatSaying(String text, boolean stream) {
        return "{\"model\":\"gpt-sim\",\"stream\":" + stream
            + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
    }
}
