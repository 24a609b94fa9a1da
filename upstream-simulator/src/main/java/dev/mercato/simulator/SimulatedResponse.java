package dev.mercato.simulator;

import dev.mercato.protocol.TokenUsage;

import java.util.List;
import java.util.Map;

/**
 * Everything a simulated upstream answers to one request: status, headers, the body as timed
 * parts, and the usage the body reports (normalized as {@link TokenUsage} documents; zero for
 * errors and token counts; for a dropped answer, the usage the complete answer would report).
 */
public record SimulatedResponse(int status, Map<String, String> headers, List<Part> parts, TokenUsage usage,
                                Ending ending) {

    public SimulatedResponse {
        headers = Map.copyOf(headers);
        parts = List.copyOf(parts);
    }

    /** The whole body, as the parts concatenate to it. */
    public String body() {
        StringBuilder body = new StringBuilder();
        for (Part part : parts) {
            body.append(part.data());
        }
        return body.toString();
    }

    /** The sum of every part's delay: when the last part is due after the request arrived. */
    public long totalDelayMillis() {
        long totalMillis = 0;
        for (Part part : parts) {
            totalMillis += part.delayMillis();
        }
        return totalMillis;
    }
}
