package dev.mercato.gateway.operator;

import dev.mercato.gateway.signin.SessionAuthenticator;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.serde.annotation.Serdeable;

/**
 * A signed-in account's provider operators: register a node (its token is in that answer only)
 * and see every node with its state, load, schedule, health, usage and the operator's earnings.
 * Every call needs the session cookie from wallet sign-in; errors are in the OpenAI shape.
 */
@Controller("/operator/nodes")
@ExecuteOn(TaskExecutors.BLOCKING)
public class OperatorController {

    private final SessionAuthenticator sessions;
    private final OperatorService operators;

    public OperatorController(SessionAuthenticator sessions, OperatorService operators) {
        this.sessions = sessions;
        this.operators = operators;
    }

    @Get(produces = MediaType.APPLICATION_JSON)
    public OperatorsView list(HttpRequest<?> request) {
        return operators.view(sessions.require(request).accountId());
    }

    @Post(produces = MediaType.APPLICATION_JSON)
    public HttpResponse<OperatorService.CreatedNode> register(HttpRequest<?> request, @Body @Nullable NewNode body) {
        long accountId = sessions.require(request).accountId();
        return HttpResponse.created(operators.registerNode(accountId, body == null ? null : body.operator(),
            body == null ? null : body.name()));
    }

    /** The operator to register the node under (created for this account if the name is free) and the node's name. */
    @Serdeable
    public record NewNode(@Nullable String operator, @Nullable String name) {
    }
}
