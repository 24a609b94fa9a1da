package dev.mercato.simulator;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A bare HTTP/1.1 client over one socket that records each chunk of a chunked body with its
 * arrival time, so tests can see exactly how the server framed and timed its parts.
 */
final class RawHttp implements AutoCloseable {

    private static final int READ_TIMEOUT_MILLIS = 10_000;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    /** One chunk of a body and when it arrived, in {@link System#nanoTime()}. */
    record Chunk(String data, long arrivalNanos) {
    }

    /** {@code complete} is false when the connection ended before the body did. */
    record Reply(int status, Map<String, String> headers, List<Chunk> chunks, boolean complete) {

        String body() {
            StringBuilder body = new StringBuilder();
            chunks.forEach(chunk -> body.append(chunk.data()));
            return body.toString();
        }
    }

    RawHttp(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(READ_TIMEOUT_MILLIS);
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** Sends one request; returns {@link System#nanoTime()} right after the last byte went out. */
    long send(String method, String path, Map<String, String> headers, String body) throws IOException {
        byte[] content = body.getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\nhost: 127.0.0.1\r\n");
        headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        head.append("content-type: application/json\r\ncontent-length: ").append(content.length).append("\r\n\r\n");
        out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
        out.write(content);
        out.flush();
        return System.nanoTime();
    }

    /** Reads one response; a connection closed before any status line gives status 0. */
    Reply read() throws IOException {
        String statusLine = line();
        if (statusLine == null) {
            return new Reply(0, Map.of(), List.of(), false);
        }
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String header = line(); header != null && !header.isEmpty(); header = line()) {
            int colon = header.indexOf(':');
            headers.put(header.substring(0, colon).trim().toLowerCase(), header.substring(colon + 1).trim());
        }
        List<Chunk> chunks = new ArrayList<>();
        if (headers.containsKey("content-length")) {
            byte[] body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
            chunks.add(new Chunk(new String(body, StandardCharsets.UTF_8), System.nanoTime()));
            return new Reply(status, headers, chunks, true);
        }
        while (true) {
            String size = line();
            if (size == null) {
                return new Reply(status, headers, chunks, false);
            }
            int length = Integer.parseInt(size.trim(), 16);
            if (length == 0) {
                line();
                return new Reply(status, headers, chunks, true);
            }
            byte[] data = in.readNBytes(length);
            long arrivalNanos = System.nanoTime();
            if (data.length < length) {
                return new Reply(status, headers, chunks, false);
            }
            chunks.add(new Chunk(new String(data, StandardCharsets.UTF_8), arrivalNanos));
            line();
        }
    }

    /** Whether the server has closed the connection (a read sees the end of the stream). */
    boolean closedByServer() throws IOException {
        return in.read() == -1;
    }

    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int previous = -1;
        while (true) {
            int next = in.read();
            if (next == -1) {
                return line.size() == 0 ? null : line.toString(StandardCharsets.US_ASCII);
            }
            if (previous == '\r' && next == '\n') {
                byte[] bytes = line.toByteArray();
                return new String(bytes, 0, bytes.length - 1, StandardCharsets.US_ASCII);
            }
            line.write(next);
            previous = next;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
