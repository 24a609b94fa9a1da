package dev.mercato.gateway.auth;

/** A consumer key that passed authentication, with what the request path needs of it. */
public record AuthenticatedKey(long keyId, long accountId, String keyName) {
}
