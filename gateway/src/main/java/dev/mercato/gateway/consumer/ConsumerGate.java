package dev.mercato.gateway.consumer;

import dev.mercato.gateway.keys.KeyAuthenticator;
import dev.mercato.gateway.error.ErrorResponses;
import dev.mercato.gateway.error.WireProtocol;
import dev.mercato.gateway.keys.ApiKey;
import dev.mercato.gateway.limits.Admission;
import dev.mercato.gateway.limits.RateLimitHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MutableHttpResponse;
import jakarta.inject.Singleton;

import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The one way into every consumer route: authenticate the key (present, enabled, not expired,
 * allowed address), run the route, and answer in the route's protocol with the key's
 * rate-limit headers, refusals included. Routes that reach no node count against requests per
 * minute here; relayed routes count inside their admission, after the model and budget checks.
 */
@Singleton
public final class ConsumerGate {

    private final KeyAuthenticator keys;
    private final Admission admission;
    private final RateLimitHeaders rateLimitHeaders;

    public ConsumerGate(KeyAuthenticator keys, Admission admission, RateLimitHeaders rateLimitHeaders) {
        this.keys = keys;
        this.admission = admission;
        this.rateLimitHeaders = rateLimitHeaders;
    }

    /** A route that reaches no node: one request against the key's requests per minute. */
    public CompletableFuture<MutableHttpResponse<?>> read(HttpRequest<?> request, WireProtocol protocol,
                                                          Function<ApiKey, CompletableFuture<MutableHttpResponse<?>>> route) {
        return serve(request, protocol, key -> {
            admission.countRead(key);
            return route.apply(key);
        });
    }

    /** A route whose own steps admit the request (the relayed routes). */
    public CompletableFuture<MutableHttpResponse<?>> serve(HttpRequest<?> request, WireProtocol protocol,
                                                           Function<ApiKey, CompletableFuture<MutableHttpResponse<?>>> route) {
        String requestId = RequestIds.of(request);
        return keys.authenticate(request)
            .thenCompose(key -> {
                CompletableFuture<MutableHttpResponse<?>> answered;
                try {
                    answered = route.apply(key);
                } catch (RuntimeException refused) {
                    answered = CompletableFuture.failedFuture(refused);
                }
                return answered.<MutableHttpResponse<?>>handle((response, failure) -> rateLimitHeaders.add(
                    failure == null ? response : ErrorResponses.refusal(protocol, failure, requestId), protocol, key));
            })
            .exceptionally(failure -> ErrorResponses.refusal(protocol, failure, requestId));
    }
}
