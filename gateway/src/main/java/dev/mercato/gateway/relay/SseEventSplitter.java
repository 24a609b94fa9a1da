package dev.mercato.gateway.relay;

import java.util.function.Consumer;

/**
 * Cuts a stream of SSE text, arriving in arbitrary pieces, into whole events (each ending with
 * a blank line), so the relay can inspect and forward event by event. The one SSE parser of the
 * gateway. An event longer than {@code maxEventChars} is passed on in pieces unexamined rather
 * than held without bound.
 */
final class SseEventSplitter {

    private final int maxEventChars;
    private final StringBuilder pending = new StringBuilder();

    SseEventSplitter(int maxEventChars) {
        this.maxEventChars = maxEventChars;
    }

    /** Feeds text; calls {@code onEvent} for each complete event, with its terminating blank line. */
    void feed(String text, Consumer<String> onEvent, Consumer<String> onOversized) {
        if (pending.isEmpty()) {
            int start = 0;
            int end;
            // Fast path: most pieces hold whole events; cut them without copying into the buffer.
            while ((end = eventEnd(text, start)) != -1) {
                onEvent.accept(text.substring(start, end));
                start = end;
            }
            if (start < text.length()) {
                pending.append(text, start, text.length());
            }
        } else {
            pending.append(text);
            int start = 0;
            int end;
            while ((end = eventEnd(pending, start)) != -1) {
                onEvent.accept(pending.substring(start, end));
                start = end;
            }
            pending.delete(0, start);
        }
        if (pending.length() > maxEventChars) {
            onOversized.accept(pending.toString());
            pending.setLength(0);
        }
    }

    /** What is left when the stream ends (normally nothing). */
    String drain() {
        String rest = pending.toString();
        pending.setLength(0);
        return rest;
    }

    /** Index just after the blank line ending the event that starts at {@code from}, or -1. */
    static int eventEnd(CharSequence text, int from) {
        for (int i = from; i < text.length() - 1; i++) {
            if (text.charAt(i) == '\n') {
                char next = text.charAt(i + 1);
                if (next == '\n') {
                    return i + 2;
                }
                if (next == '\r' && i + 2 < text.length() && text.charAt(i + 2) == '\n') {
                    return i + 3;
                }
            }
        }
        return -1;
    }
}
