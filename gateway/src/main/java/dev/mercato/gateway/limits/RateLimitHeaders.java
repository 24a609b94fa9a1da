package dev.mercato.gateway.limits;

import dev.mercato.gateway.error.WireProtocol;
import dev.mercato.gateway.keys.ApiKey;
import io.micronaut.http.MutableHttpResponse;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * The rate-limit headers of every consumer response of a known key, in the dialect of the
 * protocol called: OpenAI's {@code x-ratelimit-*} (resets as durations, "1m0s") and
 * Anthropic's {@code anthropic-ratelimit-*} (resets as RFC 3339 instants). Token headers
 * appear when the key has a tokens-per-minute limit.
 */
@Singleton
public final class RateLimitHeaders {

    private final Limiter limiter;

    public RateLimitHeaders(Limiter limiter) {
        this.limiter = limiter;
    }

    public MutableHttpResponse<?> add(MutableHttpResponse<?> response, WireProtocol protocol, ApiKey key) {
        String subject = Admission.subject(key);
        WindowDecision requests = limiter.peekRequests(subject, key.limits().requestsPerMinute());
        write(response, protocol, "requests", requests);
        if (key.limits().tokensPerMinute() != null) {
            write(response, protocol, "tokens", limiter.checkTokens(subject, key.limits().tokensPerMinute()));
        }
        return response;
    }

    private static void write(MutableHttpResponse<?> response, WireProtocol protocol, String kind, WindowDecision window) {
        if (protocol == WireProtocol.ANTHROPIC) {
            response.header("anthropic-ratelimit-" + kind + "-limit", Long.toString(window.limit()));
            response.header("anthropic-ratelimit-" + kind + "-remaining", Long.toString(window.remaining()));
            response.header("anthropic-ratelimit-" + kind + "-reset", DateTimeFormatter.ISO_INSTANT.format(
                Instant.ofEpochMilli(window.resetAtEpochMillis()).truncatedTo(ChronoUnit.SECONDS).plusSeconds(
                    window.resetAtEpochMillis() % 1000 == 0 ? 0 : 1)));
        } else {
            response.header("x-ratelimit-limit-" + kind, Long.toString(window.limit()));
            response.header("x-ratelimit-remaining-" + kind, Long.toString(window.remaining()));
            response.header("x-ratelimit-reset-" + kind,
                duration(Math.max(0, window.resetAtEpochMillis() - System.currentTimeMillis())));
        }
    }

    /** OpenAI's duration text, rounded up to whole seconds: "0s", "17s", "1m0s". */
    static String duration(long millis) {
        long seconds = Math.ceilDiv(millis, 1000L);
        return seconds < 60 ? seconds + "s" : (seconds / 60) + "m" + (seconds % 60) + "s";
    }
}
