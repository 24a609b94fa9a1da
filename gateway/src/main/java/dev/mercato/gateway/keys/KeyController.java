package dev.mercato.gateway.keys;

import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.error.ErrorCode;
import dev.mercato.gateway.signin.SessionAuthenticator;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Patch;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.json.JsonMapper;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * A signed-in account's API keys: create (the secret is in that answer only), list, read,
 * change, delete. Every call needs the session cookie from wallet sign-in; errors are in the
 * OpenAI shape.
 */
@Controller("/account/keys")
@ExecuteOn(TaskExecutors.BLOCKING)
public class KeyController {

    /** A key's settings are a few hundred bytes; anything near this is not a key's settings. */
    static final int MAX_BODY_CHARS = 64 * 1024;

    private final SessionAuthenticator sessions;
    private final KeyService keys;
    private final JsonMapper json;

    public KeyController(SessionAuthenticator sessions, KeyService keys, JsonMapper json) {
        this.sessions = sessions;
        this.keys = keys;
        this.json = json;
    }

    @Get(produces = MediaType.APPLICATION_JSON)
    public Map<String, List<KeyView>> list(HttpRequest<?> request) {
        return Map.of("data", keys.list(sessions.require(request).accountId()));
    }

    @Post(consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    public HttpResponse<KeyView> create(HttpRequest<?> request, @Body @Nullable String body) {
        long accountId = sessions.require(request).accountId();
        KeyService.CreatedKey created = keys.create(accountId, settings(body), KeyService.Caller.OWNER);
        return HttpResponse.created(keys.view(created.key(), created.secret()));
    }

    @Get(uri = "/{keyId}", produces = MediaType.APPLICATION_JSON)
    public KeyView read(HttpRequest<?> request, @PathVariable long keyId) {
        return keys.view(sessions.require(request).accountId(), keyId);
    }

    /** Changes the settings present in the body ({@code "disabled": true} disables the key); null clears one. */
    @Patch(uri = "/{keyId}", consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    public KeyView update(HttpRequest<?> request, @PathVariable long keyId, @Body @Nullable String body) {
        long accountId = sessions.require(request).accountId();
        return keys.view(keys.update(accountId, keyId, settings(body), KeyService.Caller.OWNER), null);
    }

    @Delete(uri = "/{keyId}")
    public HttpResponse<Void> delete(HttpRequest<?> request, @PathVariable long keyId) {
        keys.delete(sessions.require(request).accountId(), keyId);
        return HttpResponse.noContent();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> settings(@Nullable String body) {
        if (body == null || body.isBlank()) {
            return Map.of();
        }
        if (body.length() > MAX_BODY_CHARS) {
            throw new ApiError.Exception(ApiError.of(ErrorCode.REQUEST_TOO_LARGE,
                "A key's settings are at most " + MAX_BODY_CHARS + " characters of JSON."));
        }
        try {
            Object parsed = json.readValue(body, Object.class);
            if (parsed instanceof Map<?, ?> map) {
                return (Map<String, Object>) map;
            }
        } catch (IOException e) {
            // answered below
        }
        throw new ApiError.Exception(ApiError.of(ErrorCode.INVALID_REQUEST,
            "The body must be a JSON object of key settings, such as {\"name\":\"ci\",\"requestsPerMinute\":60}."));
    }
}
