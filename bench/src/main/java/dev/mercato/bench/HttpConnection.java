package dev.mercato.bench;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * One keep-alive HTTP/1.1 connection that sends a prebuilt request and reads the response,
 * timing the first body byte and the first server-sent event without keeping the body.
 */
final class HttpConnection implements AutoCloseable {

    /** The read buffer; the status line and headers must fit in it. */
    static final int READ_BUFFER_BYTES = 64 * 1024;
    /** A response body larger than this is treated as a broken server. */
    static final long MAX_BODY_BYTES = 64L * 1024 * 1024;
    /** A chunk-size line longer than this is malformed. */
    private static final int MAX_CHUNK_LINE_BYTES = 1024;
    /** A response with more header lines than this is broken. */
    private static final int MAX_HEADER_COUNT = 128;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] buffer = new byte[READ_BUFFER_BYTES];
    private int position;
    private int limit;
    private long lastFillNanos;
    private long fills;
    private long receivedBytes;
    private int exchanges;
    private boolean reusable = true;

    HttpConnection(Socket socket) throws IOException {
        this.socket = socket;
        socket.setTcpNoDelay(true);
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    static HttpConnection open(String host, int port, int connectTimeoutMillis) throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(host, port), connectTimeoutMillis);
            return new HttpConnection(socket);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /** Whether the server left the connection open for another request. */
    boolean reusable() {
        return reusable && !socket.isClosed();
    }

    /**
     * Sends {@code request} (complete bytes: request line, headers, body) and reads one response.
     * Throws {@link SocketTimeoutException} once {@code deadlineNanos} (a {@link System#nanoTime()} value) passes.
     */
    Exchange exchange(byte[] request, long deadlineNanos) throws IOException {
        if (!reusable()) {
            throw new IOException("connection is closed");
        }
        reusable = false;
        if (position != limit) {
            throw new IOException((limit - position) + " unexpected bytes after the previous response");
        }
        long receivedBefore = receivedBytes;
        int status;
        try {
            out.write(request);
            out.flush();
            status = readStatusLine(deadlineNanos);
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (IOException e) {
            // A server may close an idle keep-alive connection just as it is reused.
            if (exchanges > 0 && receivedBytes == receivedBefore) {
                throw new StaleConnectionException(e);
            }
            throw e;
        }
        Framing framing = readHeaders(deadlineNanos, status);
        BodyScanner body = new BodyScanner();
        switch (framing.kind()) {
            case NONE -> { }
            case LENGTH -> readFixedBody(framing.contentLength(), body, deadlineNanos);
            case CHUNKED -> readChunkedBody(body, deadlineNanos);
            case UNTIL_CLOSE -> readBodyUntilClose(body, deadlineNanos);
        }
        exchanges++;
        reusable = framing.keepAlive() && framing.kind() != FramingKind.UNTIL_CLOSE;
        return new Exchange(status, body.firstByteNanos, body.firstEventNanos, System.nanoTime(),
            body.bodyBytes, body.events, body.eventReads);
    }

    @Override
    public void close() {
        reusable = false;
        try {
            socket.close();
        } catch (IOException ignored) {
            // Closing a socket that already failed has nothing left to report.
        }
    }

    private int readStatusLine(long deadlineNanos) throws IOException {
        String line = readLine(deadlineNanos, READ_BUFFER_BYTES);
        // "HTTP/1.1 200 OK": the code sits between the first and second space.
        if (!line.startsWith("HTTP/1.") || line.length() < 12 || line.charAt(8) != ' ') {
            throw new IOException("malformed status line: " + abbreviate(line));
        }
        try {
            return Integer.parseInt(line, 9, 12, 10);
        } catch (NumberFormatException e) {
            throw new IOException("malformed status code: " + abbreviate(line));
        }
    }

    private Framing readHeaders(long deadlineNanos, int status) throws IOException {
        long contentLength = -1;
        boolean chunked = false;
        boolean keepAlive = true;
        for (int count = 0; ; count++) {
            if (count > MAX_HEADER_COUNT) {
                throw new IOException("more than " + MAX_HEADER_COUNT + " response headers");
            }
            String line = readLine(deadlineNanos, READ_BUFFER_BYTES);
            if (line.isEmpty()) {
                break;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IOException("malformed header line: " + abbreviate(line));
            }
            String name = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            if (name.equalsIgnoreCase("content-length")) {
                try {
                    contentLength = Long.parseLong(value);
                } catch (NumberFormatException e) {
                    throw new IOException("malformed content-length: " + abbreviate(value));
                }
            } else if (name.equalsIgnoreCase("transfer-encoding")) {
                chunked = value.toLowerCase().endsWith("chunked");
            } else if (name.equalsIgnoreCase("connection")) {
                keepAlive = !value.equalsIgnoreCase("close");
            }
        }
        if (status == 204 || status == 304 || status / 100 == 1) {
            return new Framing(FramingKind.NONE, 0, keepAlive);
        }
        if (chunked) {
            return new Framing(FramingKind.CHUNKED, -1, keepAlive);
        }
        if (contentLength >= 0) {
            if (contentLength > MAX_BODY_BYTES) {
                throw new IOException("content-length " + contentLength + " exceeds " + MAX_BODY_BYTES);
            }
            return new Framing(FramingKind.LENGTH, contentLength, keepAlive);
        }
        return new Framing(FramingKind.UNTIL_CLOSE, -1, false);
    }

    private void readFixedBody(long length, BodyScanner body, long deadlineNanos) throws IOException {
        long remaining = length;
        while (remaining > 0) {
            if (position == limit) {
                fillOrThrow(deadlineNanos);
            }
            int take = (int) Math.min(remaining, limit - position);
            body.scan(buffer, position, take, lastFillNanos, fills);
            position += take;
            remaining -= take;
        }
    }

    private void readChunkedBody(BodyScanner body, long deadlineNanos) throws IOException {
        while (true) {
            String sizeLine = readLine(deadlineNanos, MAX_CHUNK_LINE_BYTES);
            int extension = sizeLine.indexOf(';');
            String hex = (extension >= 0 ? sizeLine.substring(0, extension) : sizeLine).trim();
            long size;
            try {
                size = Long.parseLong(hex, 16);
            } catch (NumberFormatException e) {
                throw new IOException("malformed chunk size: " + abbreviate(sizeLine));
            }
            if (size < 0 || body.bodyBytes + size > MAX_BODY_BYTES) {
                throw new IOException("chunked body exceeds " + MAX_BODY_BYTES + " bytes");
            }
            if (size == 0) {
                // Trailers, if any, end with an empty line.
                while (!readLine(deadlineNanos, READ_BUFFER_BYTES).isEmpty()) {
                    continue;
                }
                return;
            }
            readFixedBody(size, body, deadlineNanos);
            if (!readLine(deadlineNanos, MAX_CHUNK_LINE_BYTES).isEmpty()) {
                throw new IOException("chunk data not followed by CRLF");
            }
        }
    }

    private void readBodyUntilClose(BodyScanner body, long deadlineNanos) throws IOException {
        while (true) {
            if (position == limit && fill(deadlineNanos) < 0) {
                return;
            }
            int take = limit - position;
            if (body.bodyBytes + take > MAX_BODY_BYTES) {
                throw new IOException("body exceeds " + MAX_BODY_BYTES + " bytes");
            }
            body.scan(buffer, position, take, lastFillNanos, fills);
            position = limit;
        }
    }

    /** Reads one line ending in LF (an optional CR before it is dropped), as ISO-8859-1 text. */
    private String readLine(long deadlineNanos, int maxBytes) throws IOException {
        int scanned = 0;
        while (true) {
            for (int i = position + scanned; i < limit; i++) {
                if (buffer[i] == '\n') {
                    int end = i > position && buffer[i - 1] == '\r' ? i - 1 : i;
                    String line = new String(buffer, position, end - position, StandardCharsets.ISO_8859_1);
                    position = i + 1;
                    return line;
                }
            }
            scanned = limit - position;
            if (scanned >= maxBytes) {
                throw new IOException("line longer than " + maxBytes + " bytes");
            }
            fillOrThrow(deadlineNanos);
        }
    }

    private void fillOrThrow(long deadlineNanos) throws IOException {
        if (fill(deadlineNanos) < 0) {
            throw new EOFException("connection closed by server mid-response");
        }
    }

    /** Compacts unread bytes to the front, then reads once; returns the bytes read or -1 at end of stream. */
    private int fill(long deadlineNanos) throws IOException {
        if (position > 0) {
            System.arraycopy(buffer, position, buffer, 0, limit - position);
            limit -= position;
            position = 0;
        }
        if (limit == buffer.length) {
            throw new IOException("read buffer of " + READ_BUFFER_BYTES + " bytes is full");
        }
        long remainingNanos = deadlineNanos - System.nanoTime();
        if (remainingNanos <= 0) {
            throw new SocketTimeoutException("response deadline passed");
        }
        // Rounded up, so that a read never gives up before the deadline.
        socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, (remainingNanos + 999_999) / 1_000_000));
        int read = in.read(buffer, limit, buffer.length - limit);
        lastFillNanos = System.nanoTime();
        fills++;
        if (read > 0) {
            limit += read;
            receivedBytes += read;
        }
        return read;
    }

    private static String abbreviate(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "...";
    }

    private enum FramingKind { NONE, LENGTH, CHUNKED, UNTIL_CLOSE }

    private record Framing(FramingKind kind, long contentLength, boolean keepAlive) {
    }

    /**
     * Counts body bytes and server-sent events (a blank line ends an event) as they arrive, and
     * remembers when the first byte and the first complete event were read.
     */
    private static final class BodyScanner {
        long bodyBytes;
        long firstByteNanos;
        long firstEventNanos;
        int events;
        int eventReads;
        private boolean afterNewline;
        private long lastEventReadSequence = -1;

        void scan(byte[] bytes, int offset, int length, long readNanos, long readSequence) {
            if (length == 0) {
                return;
            }
            if (bodyBytes == 0) {
                firstByteNanos = readNanos;
            }
            bodyBytes += length;
            for (int i = offset; i < offset + length; i++) {
                byte b = bytes[i];
                if (b == '\r') {
                    continue;
                }
                if (b == '\n') {
                    if (afterNewline) {
                        afterNewline = false;
                        recordEvent(readNanos, readSequence);
                    } else {
                        afterNewline = true;
                    }
                } else {
                    afterNewline = false;
                }
            }
        }

        private void recordEvent(long readNanos, long readSequence) {
            if (events == 0) {
                firstEventNanos = readNanos;
            }
            events++;
            // Events completed by the same socket read arrived in one write (or were coalesced on the way).
            if (readSequence != lastEventReadSequence) {
                lastEventReadSequence = readSequence;
                eventReads++;
            }
        }
    }

    /** A reused connection failed before any byte of the response arrived: the request may be sent again on a new one. */
    static final class StaleConnectionException extends IOException {
        StaleConnectionException(IOException cause) {
            super("reused connection failed before the response: " + cause.getMessage(), cause);
        }
    }

    /**
     * One finished request/response. Times are {@link System#nanoTime()} values; the first-byte and
     * first-event times are 0 when the body had no bytes or no complete event.
     */
    record Exchange(int status, long firstByteNanos, long firstEventNanos, long endNanos,
                    long bodyBytes, int events, int eventReads) {
    }
}
