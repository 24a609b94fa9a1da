package dev.mercato.ledger;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * One step of a lease (see {@link Ledger#renewLease}): the lease held now ({@code leaseId}, or null
 * when none is), the holds to take from it in order, and the next lease: up to
 * {@code nextLeaseMaxNano} from what is left, as a hold {@code nextLeaseId} until
 * {@code nextLeaseExpiresAt}. A maximum of 0 ends the lease.
 */
public record LeaseRenewal(UUID leaseId, String debitKey, String creditKey, List<HoldRequest> holds,
                           UUID nextLeaseId, long nextLeaseMaxNano, Instant nextLeaseExpiresAt) {

    /** The code of every lease hold, so that an audit tells leases from requests' holds. */
    public static final String CODE = "lease";

    public LeaseRenewal {
        holds = List.copyOf(holds);
    }
}
