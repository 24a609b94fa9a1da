package dev.mercato.gateway.usage;

import io.micronaut.core.annotation.Introspected;

/** What one node (by its display name) served in a period: requests and what consumers were billed for them. */
@Introspected
public record NodeUsage(String node, long requests, long billedNano) {
}
