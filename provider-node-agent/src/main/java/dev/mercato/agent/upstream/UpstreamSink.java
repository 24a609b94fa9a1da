package dev.mercato.agent.upstream;

import dev.mercato.protocol.FailKind;
import dev.mercato.protocol.TokenUsage;

import java.util.Map;

/**
 * Receives what an upstream answers for one request, in order: {@code head}, then
 * {@code chunk}s, then exactly one of {@code end} or {@code fail} ({@code fail} may also
 * come without a head).
 */
public interface UpstreamSink {

    void head(int status, Map<String, String> headers);

    /** At most {@link dev.mercato.protocol.FrameCodec#MAX_CHUNK_CHARS} characters of the body. */
    void chunk(String data);

    /** The body is complete; {@code usageOrNull} is null when the upstream reported none. */
    void end(TokenUsage usageOrNull);

    void fail(FailKind kind, int status, String message, boolean retryable, Integer retryAfterSeconds);
}
