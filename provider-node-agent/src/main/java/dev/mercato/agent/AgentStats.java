package dev.mercato.agent;

/**
 * What a running agent has done since it started: requests in flight now, and requests that
 * ended served, failed (refusals included) or cancelled (by a gateway or a dropped socket).
 */
public record AgentStats(int inFlight, long served, long failed, long cancelled) {
}
