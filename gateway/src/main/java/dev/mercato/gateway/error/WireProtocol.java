package dev.mercato.gateway.error;

/** The API family a consumer called, which decides the shape of every answer and error. */
public enum WireProtocol {
    ANTHROPIC,
    OPENAI;

    /** Anthropic routes are /v1/messages and below; every other route answers in the OpenAI shape. */
    public static WireProtocol ofPath(String path) {
        return path.startsWith("/v1/messages") ? ANTHROPIC : OPENAI;
    }
}
