package dev.mercato.gateway.signin;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.json.JsonMapper;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;

import java.util.List;
import java.util.Map;

/**
 * A signed-in account's wallets: list them, link another by posting a message it signed, unlink
 * one. Every call needs the session cookie from wallet sign-in; errors are in the OpenAI shape.
 */
@Controller("/account/wallets")
@ExecuteOn(TaskExecutors.BLOCKING)
public class WalletController {

    private final SessionAuthenticator sessions;
    private final WalletService wallets;
    private final JsonMapper jsonMapper;

    WalletController(SessionAuthenticator sessions, WalletService wallets, JsonMapper jsonMapper) {
        this.sessions = sessions;
        this.wallets = wallets;
        this.jsonMapper = jsonMapper;
    }

    @Get(produces = MediaType.APPLICATION_JSON)
    public Map<String, List<WalletService.WalletView>> list(HttpRequest<?> request) {
        return Map.of("data", wallets.list(sessions.require(request)));
    }

    /** 201 with the wallet when this linked it; 200 when it was linked to this account already. */
    @Post(consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    public HttpResponse<WalletService.WalletView> link(HttpRequest<?> request, @Nullable @Body String json) {
        SessionAuthenticator.Session session = sessions.require(request);
        SignInController.SignInBody body = SignInController.parseBody(jsonMapper, json);
        WalletService.Linked linked = wallets.link(session, body.message(), body.signature(),
            SignInController.clientIp(request));
        return linked.created() ? HttpResponse.created(linked.wallet()) : HttpResponse.ok(linked.wallet());
    }

    @Delete("/{address}")
    public HttpResponse<Void> unlink(HttpRequest<?> request, @PathVariable String address) {
        wallets.unlink(sessions.require(request), address);
        return HttpResponse.noContent();
    }
}
