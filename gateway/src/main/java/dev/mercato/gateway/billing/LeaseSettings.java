package dev.mercato.gateway.billing;

import java.time.Duration;

/**
 * How the gateway's leases are sized and kept (README: Billing). {@code linger}: how long an
 * admitted request's hold may wait to share its ledger step with others; {@code idle}: how long a
 * lease nobody used is kept before it is given back; {@code requestsPerLease}: a lease is sized
 * for this many requests like the last one, up to {@code maxLeaseNano}; {@code ttl}: the expiry of
 * each lease, after which the sweeper voids it if this gateway is gone.
 */
record LeaseSettings(Duration linger, Duration idle, int requestsPerLease, long maxLeaseNano, Duration ttl) {

    LeaseSettings {
        if (linger.isNegative() || linger.compareTo(Duration.ofSeconds(1)) > 0) {
            throw new IllegalArgumentException("mercato.billing.lease-linger must be between 0 and 1s, was " + linger);
        }
        if (idle.compareTo(Duration.ofMillis(1)) < 0 || idle.compareTo(ttl.dividedBy(2)) > 0) {
            throw new IllegalArgumentException("mercato.billing.lease-idle must be between 1ms and " + ttl.dividedBy(2)
                + ", was " + idle);
        }
        if (requestsPerLease < 1) {
            throw new IllegalArgumentException("mercato.billing.lease-requests must be at least 1, was " + requestsPerLease);
        }
        if (maxLeaseNano < 0) {
            throw new IllegalArgumentException("mercato.billing.lease-max-usdc must not be negative");
        }
    }
}
