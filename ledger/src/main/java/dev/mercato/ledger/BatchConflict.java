package dev.mercato.ledger;

/**
 * A concurrent transaction wrote a transfer id (or resolved a hold) that this batch had found
 * free, or a guessed write ({@link Writes#addToCounters}) met what only the careful path judges.
 * Running the batch again sees that row and treats it as a replay, so it is retried like a
 * serialization failure; a missed guess is retried at once, since nobody has to get out of its way.
 */
final class BatchConflict extends RuntimeException {

    private final boolean missedGuess;

    BatchConflict(String message) {
        this(message, false);
    }

    BatchConflict(String message, boolean missedGuess) {
        super(message, null, false, false);
        this.missedGuess = missedGuess;
    }

    boolean missedGuess() {
        return missedGuess;
    }
}
