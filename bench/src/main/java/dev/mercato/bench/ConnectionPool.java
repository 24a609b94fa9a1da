package dev.mercato.bench;

import java.io.IOException;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keep-alive connections to one host, reused most-recently-returned first so that a steady load
 * keeps a small set of warm connections.
 */
final class ConnectionPool implements AutoCloseable {

    private final String host;
    private final int port;
    private final int connectTimeoutMillis;
    private final int maxIdleConnections;
    private final ConcurrentLinkedDeque<HttpConnection> idle = new ConcurrentLinkedDeque<>();
    private final AtomicInteger idleCount = new AtomicInteger();
    private final AtomicInteger opened = new AtomicInteger();

    ConnectionPool(String host, int port, int connectTimeoutMillis, int maxIdleConnections) {
        this.host = host;
        this.port = port;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.maxIdleConnections = maxIdleConnections;
    }

    /** An idle connection if there is one, otherwise a new one. */
    HttpConnection acquire() throws IOException {
        HttpConnection connection = idle.pollFirst();
        if (connection != null) {
            idleCount.decrementAndGet();
            return connection;
        }
        return openNew();
    }

    HttpConnection openNew() throws IOException {
        HttpConnection connection = HttpConnection.open(host, port, connectTimeoutMillis);
        opened.incrementAndGet();
        return connection;
    }

    /** Returns a connection after a complete exchange; one the server will close is closed instead. */
    void release(HttpConnection connection) {
        if (connection.reusable() && idleCount.incrementAndGet() <= maxIdleConnections) {
            idle.offerFirst(connection);
            return;
        }
        if (connection.reusable()) {
            idleCount.decrementAndGet();
        }
        connection.close();
    }

    /** How many connections were opened in total, a sign of whether keep-alive held. */
    int openedConnections() {
        return opened.get();
    }

    @Override
    public void close() {
        HttpConnection connection;
        while ((connection = idle.pollFirst()) != null) {
            idleCount.decrementAndGet();
            connection.close();
        }
    }
}
