package dev.mercato.simulator;

import dev.mercato.protocol.Protocol;

/** The one place error bodies are written, in each protocol's real shape. */
final class ErrorBodies {

    /** What a 429 tells the client to wait, in its {@code retry-after} header. */
    static final int RETRY_AFTER_SECONDS = 1;

    private ErrorBodies() {
    }

    /**
     * Anthropic: {@code {"type":"error","error":{"type":..,"message":..},"request_id":..}};
     * OpenAI: {@code {"error":{"message":..,"type":..,"param":..,"code":..}}}.
     */
    static String body(Protocol protocol, ErrorKind kind, String message, String param, String requestId) {
        if (protocol == Protocol.ANTHROPIC) {
            return Json.text(g -> {
                g.writeStartObject();
                g.writeStringField("type", "error");
                g.writeObjectFieldStart("error");
                g.writeStringField("type", kind.anthropicType());
                g.writeStringField("message", message);
                g.writeEndObject();
                g.writeStringField("request_id", requestId);
                g.writeEndObject();
            });
        }
        return Json.text(g -> {
            g.writeStartObject();
            g.writeObjectFieldStart("error");
            g.writeStringField("message", message);
            g.writeStringField("type", kind.openAiType());
            g.writeStringField("param", param);
            g.writeStringField("code", kind.openAiCode());
            g.writeEndObject();
            g.writeEndObject();
        });
    }
}
