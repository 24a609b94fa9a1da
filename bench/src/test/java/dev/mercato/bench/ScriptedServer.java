package dev.mercato.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** A tiny HTTP/1.1 server on 127.0.0.1 whose answers a test writes byte by byte. */
final class ScriptedServer implements AutoCloseable {

    /** Writes the response to one request; returns false to close the connection afterwards. */
    @FunctionalInterface
    interface Responder {
        boolean respond(int requestNumber, String requestHead, OutputStream out) throws IOException, InterruptedException;
    }

    private static final int MAX_HEAD_BYTES = 16 * 1024;

    private final ServerSocket serverSocket;
    private final Responder responder;
    private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();

    ScriptedServer(Responder responder) throws IOException {
        this.serverSocket = new ServerSocket(0, 512, InetAddress.getLoopbackAddress());
        this.responder = responder;
        handlers.execute(this::acceptLoop);
    }

    int port() {
        return serverSocket.getLocalPort();
    }

    int connectionsAccepted() {
        return connections.get();
    }

    int requestsReceived() {
        return requests.get();
    }

    static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        serverSocket.close();
        handlers.shutdownNow();
    }

    private void acceptLoop() {
        while (!serverSocket.isClosed()) {
            try {
                Socket socket = serverSocket.accept();
                connections.incrementAndGet();
                handlers.execute(() -> serve(socket));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            socket.setTcpNoDelay(true);
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                in.readNBytes(contentLength(head));
                if (!responder.respond(requests.incrementAndGet(), head, out)) {
                    return;
                }
            }
        } catch (IOException | InterruptedException ended) {
            // The client or the test closed the connection.
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
            if (head.size() > MAX_HEAD_BYTES) {
                throw new IOException("request head over " + MAX_HEAD_BYTES + " bytes");
            }
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static int contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                return Integer.parseInt(line.substring("content-length:".length()).trim());
            }
        }
        return 0;
    }
}
