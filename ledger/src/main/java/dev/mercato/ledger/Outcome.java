package dev.mercato.ledger;

import java.util.Objects;

/**
 * What happened to one item of a batch: its value, or the refusal that the single-item call
 * would have thrown for it. One item's refusal never undoes the others.
 */
public record Outcome<T>(T value, RuntimeException refusal) {

    public static <T> Outcome<T> done(T value) {
        return new Outcome<>(value, null);
    }

    public static <T> Outcome<T> refused(RuntimeException refusal) {
        return new Outcome<>(null, Objects.requireNonNull(refusal, "refusal"));
    }

    public boolean isDone() {
        return refusal == null;
    }

    /** The value, or the refusal thrown. */
    public T getOrThrow() {
        if (refusal != null) {
            throw refusal;
        }
        return value;
    }
}
