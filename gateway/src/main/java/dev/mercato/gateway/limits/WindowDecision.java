package dev.mercato.gateway.limits;

/**
 * The answer of a sliding-window limit.
 *
 * @param admitted           whether the request may go on
 * @param limit              the limit per window
 * @param remaining          how many more fit in the window now (after this request, if admitted)
 * @param retryAfterMillis   when refused: how long until the window has room again; 0 when admitted
 * @param resetAtEpochMillis when the window will be empty again if nothing more is counted
 */
public record WindowDecision(boolean admitted, long limit, long remaining, long retryAfterMillis,
                             long resetAtEpochMillis) {

    /** The {@code retry-after} header's value: whole seconds, rounded up so that honouring it succeeds. */
    public int retryAfterSeconds() {
        return (int) Math.max(1, Math.ceilDiv(retryAfterMillis, 1000L));
    }
}
