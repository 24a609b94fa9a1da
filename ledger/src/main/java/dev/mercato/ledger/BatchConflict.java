package dev.mercato.ledger;

/**
 * A concurrent transaction wrote a transfer id (or resolved a hold) that this batch had found
 * free. Running the batch again sees that row and treats it as a replay, so it is retried like
 * a serialization failure.
 */
final class BatchConflict extends RuntimeException {

    BatchConflict(String message) {
        super(message, null, false, false);
    }
}
