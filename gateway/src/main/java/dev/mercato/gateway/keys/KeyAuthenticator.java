package dev.mercato.gateway.keys;

import dev.mercato.gateway.auth.Secrets;
import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.error.ErrorCode;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.scheduling.TaskExecutors;
import jakarta.inject.Named;
import jakarta.inject.Singleton;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;

/**
 * Step one of every consumer route: finds the consumer's key ({@code Authorization: Bearer} or
 * {@code x-api-key}) by its hash, then refuses it in admission order if it is disabled,
 * expired, or used from an address outside its allowlist. Answers from a bounded in-memory
 * cache; a miss reads the database once on the blocking executor, however many requests wait
 * for the same key. The caller's address is the connection's peer: a gateway behind a proxy
 * sees the proxy, so IP allowlists are for gateways that face their consumers directly.
 */
@Singleton
public final class KeyAuthenticator {

    private final KeyStore keys;
    private final Clock clock;
    private final ExecutorService blockingExecutor;
    private final long cacheTtlNanos;
    private final int cacheMaxEntries;
    private final ConcurrentHashMap<String, CachedLookup> cacheByHash = new ConcurrentHashMap<>();

    public KeyAuthenticator(KeyStore keys, @Named(TaskExecutors.BLOCKING) ExecutorService blockingExecutor,
                            KeySettings settings, Clock clock) {
        this.keys = keys;
        this.clock = clock;
        this.blockingExecutor = blockingExecutor;
        this.cacheTtlNanos = settings.cacheTtlMillis() * 1_000_000L;
        this.cacheMaxEntries = settings.cacheMaxEntries();
    }

    /** Completes with the key, or exceptionally with an {@link ApiError.Exception} naming why not. */
    public CompletableFuture<ApiKey> authenticate(HttpRequest<?> request) {
        String presented = presentedKey(request);
        if (presented == null) {
            return CompletableFuture.failedFuture(new ApiError.Exception(ApiError.of(ErrorCode.MISSING_API_KEY,
                "No API key was sent: pass your Mercato key as 'Authorization: Bearer <key>' or 'x-api-key: <key>'.")));
        }
        if (!Secrets.looksLike(presented, Secrets.API_KEY_PREFIX)) {
            return CompletableFuture.failedFuture(invalidKey());
        }
        String hash = Secrets.hash(presented);
        long now = System.nanoTime();
        CachedLookup cached = cacheByHash.get(hash);
        if (cached == null || now - cached.loadedAtNanos > cacheTtlNanos) {
            if (cacheByHash.size() >= cacheMaxEntries) {
                // Bounded memory: dropping everything is crude but keeps the hot path free of eviction work.
                cacheByHash.clear();
            }
            cached = cacheByHash.compute(hash, (h, old) -> old != null && now - old.loadedAtNanos <= cacheTtlNanos
                ? old : load(h, now));
        }
        InetAddress caller = request.getRemoteAddress() instanceof InetSocketAddress socket ? socket.getAddress() : null;
        return cached.row.thenApply(row -> check(row, caller));
    }

    private CachedLookup load(String hash, long now) {
        CompletableFuture<Optional<ApiKey>> row = CompletableFuture.supplyAsync(() -> keys.findByHash(hash),
            blockingExecutor);
        CachedLookup lookup = new CachedLookup(now, row);
        // A failed read (database down) must not be remembered as an answer. Async, because this
        // runs inside the map's compute() and must not touch the map from there.
        row.whenCompleteAsync((found, failure) -> {
            if (failure != null) {
                cacheByHash.remove(hash, lookup);
            }
        }, blockingExecutor);
        return lookup;
    }

    private ApiKey check(Optional<ApiKey> row, InetAddress caller) {
        if (row.isEmpty()) {
            throw invalidKey();
        }
        ApiKey key = row.get();
        if (key.disabled()) {
            throw new ApiError.Exception(ApiError.of(ErrorCode.API_KEY_DISABLED,
                "This API key (" + key.redacted() + ") is disabled; enable it or use another key."));
        }
        if (key.expiredAt(clock.instant())) {
            throw new ApiError.Exception(ApiError.of(ErrorCode.API_KEY_EXPIRED, "This API key (" + key.redacted()
                + ") expired at " + DateTimeFormatter.ISO_INSTANT.format(key.expiresAt())
                + "; extend its expiry or create a new key."));
        }
        if (key.limits().allowedIps() != null && (caller == null || !key.limits().allowedIps().allows(caller))) {
            throw new ApiError.Exception(ApiError.of(ErrorCode.IP_NOT_ALLOWED, "This API key (" + key.redacted()
                + ") may not be used from " + (caller == null ? "an unknown address" : caller.getHostAddress())
                + "; add the address to the key's IP allowlist."));
        }
        return key;
    }

    private static ApiError.Exception invalidKey() {
        return new ApiError.Exception(ApiError.of(ErrorCode.INVALID_API_KEY,
            "The API key is not valid: check that it was copied whole and has not been deleted."));
    }

    /** Forgets every cached key, so the next request reads the database (used after a key changes). */
    public void invalidateAll() {
        cacheByHash.clear();
    }

    static String presentedKey(HttpRequest<?> request) {
        HttpHeaders headers = request.getHeaders();
        String apiKey = headers.get("x-api-key");
        if (apiKey != null && !apiKey.isBlank()) {
            return apiKey.trim();
        }
        String authorization = headers.get(HttpHeaders.AUTHORIZATION);
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String token = authorization.substring(7).trim();
            return token.isEmpty() ? null : token;
        }
        return null;
    }

    private record CachedLookup(long loadedAtNanos, CompletableFuture<Optional<ApiKey>> row) {
    }
}
