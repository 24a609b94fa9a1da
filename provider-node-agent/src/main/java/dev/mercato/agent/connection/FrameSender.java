package dev.mercato.agent.connection;

import java.net.http.WebSocket;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Sends text frames on one WebSocket one at a time, in the order given, as the JDK WebSocket
 * requires. Frames wait in a queue bounded by their total size: a gateway that falls that far
 * behind is treated as gone rather than allowed to fill the agent's memory.
 */
final class FrameSender {

    /** Total characters of frames waiting to be sent before the connection is given up. */
    static final long MAX_QUEUED_CHARS = 16L * 1024 * 1024;

    private final WebSocket socket;
    private final Consumer<String> onFailure;
    private final ArrayDeque<String> queue = new ArrayDeque<>();
    private long queuedChars;
    private boolean sending;
    private boolean failed;

    /** @param onFailure told once, outside any lock, why sending stopped */
    FrameSender(WebSocket socket, Consumer<String> onFailure) {
        this.socket = socket;
        this.onFailure = onFailure;
    }

    /** Queues one frame; false when the sender has failed and the frame is dropped. */
    boolean send(String text) {
        boolean overflow = false;
        synchronized (this) {
            if (failed) {
                return false;
            }
            if (queuedChars + text.length() > MAX_QUEUED_CHARS) {
                failed = true;
                overflow = true;
                queue.clear();
            } else {
                queue.add(text);
                queuedChars += text.length();
            }
        }
        if (overflow) {
            onFailure.accept("more than " + MAX_QUEUED_CHARS + " characters of frames waited to be sent");
            return false;
        }
        pump();
        return true;
    }

    /** Starts the next send unless one is under way; completes inline sends in a loop, not by recursion. */
    private void pump() {
        while (true) {
            String next;
            synchronized (this) {
                if (sending || failed || queue.isEmpty()) {
                    return;
                }
                next = queue.peek();
                sending = true;
            }
            CompletableFuture<WebSocket> sent;
            try {
                sent = socket.sendText(next, true);
            } catch (RuntimeException e) {
                sent = CompletableFuture.failedFuture(e);
            }
            if (!sent.isDone()) {
                sent.whenComplete((_, error) -> {
                    if (completed(next, error)) {
                        pump();
                    }
                });
                return;
            }
            Throwable error = sent.isCompletedExceptionally() ? sent.exceptionNow() : null;
            if (!completed(next, error)) {
                return;
            }
        }
    }

    /** Records the end of one send; false when sending has failed. */
    private boolean completed(String text, Throwable error) {
        synchronized (this) {
            sending = false;
            if (failed) {
                return false;
            }
            if (error == null) {
                queue.poll();
                queuedChars -= text.length();
                return true;
            }
            failed = true;
            queue.clear();
        }
        onFailure.accept("sending a frame failed: " + error.getMessage());
        return false;
    }
}
