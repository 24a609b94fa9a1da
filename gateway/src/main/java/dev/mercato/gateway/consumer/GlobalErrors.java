package dev.mercato.gateway.consumer;

import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.error.ErrorCode;
import dev.mercato.gateway.error.ErrorResponses;
import dev.mercato.gateway.error.WireProtocol;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Error;
import io.micronaut.http.exceptions.ContentLengthExceededException;
import io.micronaut.http.exceptions.HttpStatusException;
import io.micronaut.json.JsonSyntaxException;

/** Errors raised outside the routes (body too large, no such route, bugs), in the caller's protocol shape. */
@Controller
public class GlobalErrors {

    private final long maxBodyBytes;

    public GlobalErrors(@io.micronaut.context.annotation.Value("${micronaut.server.max-request-size}") long maxBodyBytes) {
        this.maxBodyBytes = maxBodyBytes;
    }

    @Error(global = true, exception = ContentLengthExceededException.class)
    public MutableHttpResponse<?> tooLarge(HttpRequest<?> request) {
        return respond(request, ApiError.of(ErrorCode.REQUEST_TOO_LARGE,
            "The request body exceeds the limit of " + maxBodyBytes + " bytes; shorten the prompt."));
    }

    @Error(global = true, status = HttpStatus.NOT_FOUND)
    public MutableHttpResponse<?> notFound(HttpRequest<?> request) {
        return respond(request, ApiError.of(ErrorCode.NOT_FOUND,
            "There is no route " + request.getMethodName() + " " + request.getPath() + "."));
    }

    @Error(global = true, status = HttpStatus.METHOD_NOT_ALLOWED)
    public MutableHttpResponse<?> methodNotAllowed(HttpRequest<?> request) {
        return respond(request, ApiError.of(ErrorCode.NOT_FOUND,
            "The route " + request.getPath() + " does not accept " + request.getMethodName() + "."));
    }

    /** A body that is not JSON, or not the JSON a route takes, on a route that binds its body to a type. */
    @Error(global = true, exception = JsonSyntaxException.class)
    public MutableHttpResponse<?> notJson(HttpRequest<?> request, JsonSyntaxException e) {
        return respond(request, ApiError.of(ErrorCode.INVALID_REQUEST, "The request body is not valid JSON: "
            + e.getMessage()));
    }

    @Error(global = true, exception = ApiError.Exception.class)
    public MutableHttpResponse<?> refused(HttpRequest<?> request, ApiError.Exception refusal) {
        return respond(request, refusal.error());
    }

    @Error(global = true, exception = HttpStatusException.class)
    public MutableHttpResponse<?> status(HttpRequest<?> request, HttpStatusException e) {
        if (e.getStatus() == HttpStatus.REQUEST_ENTITY_TOO_LARGE) {
            return tooLarge(request);
        }
        if (e.getStatus().getCode() < 500) {
            return respond(request, ApiError.of(ErrorCode.INVALID_REQUEST, "The request is not valid: " + e.getMessage()));
        }
        return bug(request, e);
    }

    @Error(global = true, exception = Throwable.class)
    public MutableHttpResponse<?> bug(HttpRequest<?> request, Throwable e) {
        if (e instanceof ContentLengthExceededException) {
            return tooLarge(request);
        }
        return ErrorResponses.refusal(WireProtocol.ofPath(request.getPath()), e, RequestIds.of(request));
    }

    private static MutableHttpResponse<?> respond(HttpRequest<?> request, ApiError error) {
        return ErrorResponses.response(WireProtocol.ofPath(request.getPath()), error, RequestIds.of(request));
    }
}
