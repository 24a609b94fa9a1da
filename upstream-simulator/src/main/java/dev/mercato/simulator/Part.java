package dev.mercato.simulator;

/** One piece of a simulated response body, sent {@code delayMillis} after the previous piece (or after the request). */
public record Part(long delayMillis, String data) {

    public Part {
        if (delayMillis < 0) {
            throw new IllegalArgumentException("delayMillis must not be negative: " + delayMillis);
        }
        if (data == null) {
            throw new IllegalArgumentException("data must not be null");
        }
    }
}
