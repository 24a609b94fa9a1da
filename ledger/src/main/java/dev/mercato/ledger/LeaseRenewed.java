package dev.mercato.ledger;

import java.util.List;

/**
 * What a lease step did: one outcome per hold, in order, and the amount of the next lease (0 when
 * none was made). {@code leaseWasLive} is false when this run found the lease named already voided
 * (swept after it expired, or by an earlier run of the same step): its remainder was then not
 * there for the holds.
 */
public record LeaseRenewed(List<Outcome<Void>> holds, long nextLeaseNano, boolean leaseWasLive) {
}
