package dev.mercato.gateway.consumer;

import io.micronaut.core.order.Ordered;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ResponseFilter;
import io.micronaut.http.annotation.ServerFilter;

import java.util.concurrent.ThreadLocalRandom;

/** Gives every request an id and puts it on every response, errors included. */
@ServerFilter(ServerFilter.MATCH_ALL_PATTERN)
public final class RequestIds implements Ordered {

    static final String ATTRIBUTE = "mercato.request-id";
    private static final char[] ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".toCharArray();
    private static final int ID_CHARS = 24;

    @RequestFilter
    public void assign(HttpRequest<?> request) {
        request.setAttribute(ATTRIBUTE, newId());
    }

    @ResponseFilter
    public void stamp(HttpRequest<?> request, MutableHttpResponse<?> response) {
        String id = of(request);
        response.header("request-id", id);
        response.header("x-request-id", id);
    }

    /** The request's id; requests that never passed the filter (none should) get a fresh one. */
    public static String of(HttpRequest<?> request) {
        return request.getAttribute(ATTRIBUTE, String.class).orElseGet(() -> {
            String id = newId();
            request.setAttribute(ATTRIBUTE, id);
            return id;
        });
    }

    /** {@code req_} and 24 base-62 characters (143 bits): unique without coordination, not a secret. */
    static String newId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        char[] id = new char[4 + ID_CHARS];
        id[0] = 'r';
        id[1] = 'e';
        id[2] = 'q';
        id[3] = '_';
        for (int i = 4; i < id.length; i++) {
            id[i] = ALPHABET[random.nextInt(ALPHABET.length)];
        }
        return new String(id);
    }

    @Override
    public int getOrder() {
        return HIGHEST_PRECEDENCE;
    }
}
