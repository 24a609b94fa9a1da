package dev.mercato.ledger;

import java.time.Instant;
import java.util.UUID;

/**
 * A hold to reserve (see {@link Ledger#reserve}): {@code amountNano} from the debit account's
 * balance into pending until it is settled, released or swept after {@code expiresAt}.
 */
public record HoldRequest(UUID holdId, String debitKey, String creditKey, long amountNano, Instant expiresAt,
                          String code, String userData) {
}
