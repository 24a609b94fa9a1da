package dev.mercato.bench;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static dev.mercato.bench.ScriptedServer.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HttpConnectionTest {

    private static final byte[] GET = "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
    private static final long FIVE_SECONDS_NANOS = TimeUnit.SECONDS.toNanos(5);

    @Test
    void readsContentLengthBodiesAndKeepsTheConnectionForTheNextRequest() throws Exception {
        try (ScriptedServer server = new ScriptedServer((n, head, out) -> {
                 write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"n\":" + n + "}");
                 return true;
             });
             HttpConnection connection = HttpConnection.open("127.0.0.1", server.port(), 1000)) {
            HttpConnection.Exchange first = connection.exchange(GET, deadline());
            HttpConnection.Exchange second = connection.exchange(GET, deadline());

            assertEquals(200, first.status());
            assertEquals(7, first.bodyBytes());
            assertEquals(7, second.bodyBytes());
            assertEquals(0, second.events());
            assertTrue(connection.reusable());
            assertEquals(1, server.connectionsAccepted());
            assertEquals(2, server.requestsReceived());
        }
    }

    @Test
    void readsAChunkedStreamSplitMidChunkAndCountsItsEvents() throws Exception {
        try (ScriptedServer server = new ScriptedServer((n, head, out) -> {
                 write(out, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
                 write(out, "9\r\ndata: a\n\n\r\n");
                 write(out, "b;ext=1\r\ndata: b\r\n\r\n\r");
                 write(out, "\n7\r\ndata: c");
                 write(out, "\r\n2\r\n\n\n\r\n0\r\nx-trailer: 1\r\n\r\n");
                 return true;
             });
             HttpConnection connection = HttpConnection.open("127.0.0.1", server.port(), 1000)) {
            HttpConnection.Exchange stream = connection.exchange(GET, deadline());
            HttpConnection.Exchange again = connection.exchange(GET, deadline());

            assertEquals(200, stream.status());
            assertEquals(9 + 11 + 7 + 2, stream.bodyBytes());
            assertEquals(3, stream.events());
            assertEquals(3, again.events());
            assertEquals(1, server.connectionsAccepted());
        }
    }

    @Test
    void timesTheFirstEventAtTheBlankLineThatCompletesIt() throws Exception {
        long pauseMillis = 300;
        try (ScriptedServer server = new ScriptedServer((n, head, out) -> {
                 write(out, "HTTP/1.1 200 OK\r\nContent-Length: 18\r\n\r\ndata: a\n");
                 Thread.sleep(pauseMillis);
                 write(out, "\ndata: b\n\n");
                 return true;
             });
             HttpConnection connection = HttpConnection.open("127.0.0.1", server.port(), 1000)) {
            HttpConnection.Exchange exchange = connection.exchange(GET, deadline());

            assertEquals(2, exchange.events());
            assertEquals(1, exchange.eventReads());
            long firstByteToEventMillis = TimeUnit.NANOSECONDS.toMillis(exchange.firstEventNanos() - exchange.firstByteNanos());
            // The client may read the first write a little late, so allow for that much scheduling delay.
            assertTrue(firstByteToEventMillis >= pauseMillis - 100,
                "first event came " + firstByteToEventMillis + " ms after the first byte");
        }
    }

    @Test
    void countsOneReadPerSeparatelyWrittenEvent() throws Exception {
        try (ScriptedServer server = new ScriptedServer((n, head, out) -> {
                 write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
                 for (int i = 0; i < 3; i++) {
                     write(out, "9\r\ndata: " + i + "\n\n\r\n");
                     Thread.sleep(30);
                 }
                 write(out, "0\r\n\r\n");
                 return true;
             });
             HttpConnection connection = HttpConnection.open("127.0.0.1", server.port(), 1000)) {
            HttpConnection.Exchange exchange = connection.exchange(GET, deadline());

            assertEquals(3, exchange.events());
            assertEquals(3, exchange.eventReads());
        }
    }

    @Test
    void readsABodyWithoutLengthUntilTheServerCloses() throws Exception {
        try (ScriptedServer server = new ScriptedServer((n, head, out) -> {
                 write(out, "HTTP/1.1 200 OK\r\n\r\nthirteen byte");
                 return false;
             });
             HttpConnection connection = HttpConnection.open("127.0.0.1", server.port(), 1000)) {
            HttpConnection.Exchange exchange = connection.exchange(GET, deadline());

            assertEquals(13, exchange.bodyBytes());
            assertFalse(connection.reusable());
        }
    }

    @Test
    void doesNotReuseAConnectionTheServerSaidItWouldClose() throws Exception {
        try (ScriptedServer server = new ScriptedServer((n, head, out) -> {
                 write(out, "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
                 return false;
             });
             HttpConnection connection = HttpConnection.open("127.0.0.1", server.port(), 1000)) {
            HttpConnection.Exchange exchange = connection.exchange(GET, deadline());

            assertEquals(503, exchange.status());
            assertEquals(0, exchange.bodyBytes());
            assertFalse(connection.reusable());
        }
    }

    @Test
    void reportsAReusedConnectionClosedByTheServerAsStale() throws Exception {
        try (ScriptedServer server = new ScriptedServer((n, head, out) -> {
                 write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                 return false;
             });
             HttpConnection connection = HttpConnection.open("127.0.0.1", server.port(), 1000)) {
            connection.exchange(GET, deadline());

            assertThrows(HttpConnection.StaleConnectionException.class, () -> connection.exchange(GET, deadline()));
        }
    }

    @Test
    void failsAResponseCutShortAsAnIoErrorNotAsStale() throws Exception {
        try (ScriptedServer server = new ScriptedServer((n, head, out) -> {
                 write(out, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b");
                 return false;
             });
             HttpConnection connection = HttpConnection.open("127.0.0.1", server.port(), 1000)) {
            IOException error = assertThrows(IOException.class, () -> connection.exchange(GET, deadline()));

            assertEquals("connection closed by server mid-response", error.getMessage());
        }
    }

    @Test
    void givesUpAtTheDeadline() throws Exception {
        AtomicReference<Boolean> answered = new AtomicReference<>(false);
        try (ScriptedServer server = new ScriptedServer((n, head, out) -> {
                 Thread.sleep(5_000);
                 answered.set(true);
                 return false;
             });
             HttpConnection connection = HttpConnection.open("127.0.0.1", server.port(), 1000)) {
            long startNanos = System.nanoTime();

            assertThrows(SocketTimeoutException.class,
                () -> connection.exchange(GET, startNanos + TimeUnit.MILLISECONDS.toNanos(300)));
            long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
            assertTrue(waitedMillis >= 300 && waitedMillis < 2_000, "waited " + waitedMillis + " ms");
            assertFalse(answered.get());
        }
    }

    private static long deadline() {
        return System.nanoTime() + FIVE_SECONDS_NANOS;
    }
}
