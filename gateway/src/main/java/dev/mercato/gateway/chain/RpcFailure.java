package dev.mercato.gateway.chain;

/**
 * Why a JSON-RPC call did not answer, classified by what the scanner does about it: a range the
 * provider will not serve is asked again in smaller pieces; a rate limit is waited out; anything
 * else (a timeout, a dropped connection, a 5xx, an answer that makes no sense) is an outage,
 * waited out on the next URL.
 */
public sealed abstract class RpcFailure extends Exception permits RpcFailure.RangeTooLarge, RpcFailure.RateLimited,
    RpcFailure.Refused, RpcFailure.Unavailable {

    RpcFailure(String message, Throwable cause) {
        super(message, cause, false, false);
    }

    /** The provider refused the block range of an {@code eth_getLogs} (too many blocks, results or bytes). */
    public static final class RangeTooLarge extends RpcFailure {
        RangeTooLarge(String message) {
            super(message, null);
        }
    }

    /** HTTP 429 or a JSON-RPC error saying so; {@code retryAfterMillis} is the provider's hint, 0 when it gave none. */
    public static final class RateLimited extends RpcFailure {
        private final long retryAfterMillis;

        RateLimited(String message, long retryAfterMillis) {
            super(message, null);
            this.retryAfterMillis = retryAfterMillis;
        }

        long retryAfterMillis() {
            return retryAfterMillis;
        }
    }

    /** The node rejected a transaction it was sent; sending the same bytes again would get the same answer. */
    public static final class Refused extends RpcFailure {
        Refused(String message) {
            super(message, null);
        }
    }

    /** The provider could not be reached or answered something unusable. */
    public static final class Unavailable extends RpcFailure {
        public Unavailable(String message, Throwable cause) {
            super(message, cause);
        }

        public Unavailable(String message) {
            this(message, null);
        }
    }
}
