package dev.mercato.gateway.limits;

import java.util.NoSuchElementException;

/** A growable first-in-first-out ring of longs: the limiter's windows without boxing. */
final class LongRing {

    private long[] values = new long[8];
    private int head;
    private int size;

    int size() {
        return size;
    }

    void addLast(long value) {
        if (size == values.length) {
            long[] grown = new long[values.length * 2];
            for (int i = 0; i < size; i++) {
                grown[i] = get(i);
            }
            values = grown;
            head = 0;
        }
        values[(head + size) % values.length] = value;
        size++;
    }

    long peekFirst() {
        return get(0);
    }

    long peekLast() {
        return get(size - 1);
    }

    long removeFirst() {
        long value = get(0);
        head = (head + 1) % values.length;
        size--;
        if (size == 0) {
            head = 0;
        }
        return value;
    }

    /** The i-th value, oldest first. */
    long get(int index) {
        if (index < 0 || index >= size) {
            throw new NoSuchElementException("index " + index + " of " + size);
        }
        return values[(head + index) % values.length];
    }
}
