package dev.mercato.bench;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static dev.mercato.bench.ScriptedServer.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoadGeneratorTest {

    private static final byte[] BODY = "{\"model\":\"bench-gpt\",\"stream\":true}".getBytes(StandardCharsets.UTF_8);

    @Test
    void sendsExactlyRateTimesDurationRequestsOverKeptAliveConnections() throws Exception {
        try (ScriptedServer server = new ScriptedServer((n, head, out) -> {
            write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\ndata: x\n\n\r\n0\r\n\r\n");
            return true;
        })) {
            RunReport report = new LoadGenerator(options(server, "--rate", "200", "--stream"), BODY).run();

            assertEquals(200, report.requests());
            assertEquals(200, report.ok());
            assertEquals(0, report.errors());
            assertEquals(1.0, report.meanEvents());
            assertEquals(9.0, report.meanBodyBytes());
            assertEquals(200, report.latency().count());
            assertEquals(200, report.firstEvent().count());
            assertEquals(200, server.requestsReceived());
            assertTrue(report.connectionsOpened() < 20, report.connectionsOpened() + " connections for 200 quick requests");
        }
    }

    @Test
    void dropsRequestsBeyondTheInFlightBoundInsteadOfQueueingThem() throws Exception {
        try (ScriptedServer server = new ScriptedServer((n, head, out) -> {
            Thread.sleep(10_000);
            return false;
        })) {
            RunReport report = new LoadGenerator(
                options(server, "--rate", "100", "--max-in-flight", "5", "--timeout-ms", "1500"), BODY).run();

            assertEquals(100, report.requests());
            assertEquals(0, report.ok());
            assertEquals(5, report.timeouts());
            assertEquals(95, report.dropped());
        }
    }

    @Test
    void measuresFromTheScheduledStartSoAStallShowsInEveryRequestBehindIt() throws Exception {
        try (ScriptedServer server = new ScriptedServer((n, head, out) -> {
            // The first request stalls 410 ms; at 50 req/s with one request allowed in flight, the 20 due meanwhile are dropped.
            if (n == 1) {
                Thread.sleep(410);
            }
            write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            return true;
        })) {
            RunReport report = new LoadGenerator(options(server, "--rate", "50", "--max-in-flight", "1"), BODY).run();

            assertEquals(50, report.requests());
            assertEquals(50, report.ok() + report.dropped());
            // At least the 20 due during the stall; more when the first request also waited for a cold start.
            assertTrue(report.dropped() >= 20 && report.dropped() < 45, report.dropped() + " dropped");
            assertTrue(report.latency().maxMicros() >= 410_000, "max " + report.latency().maxMicros() + " µs");
        }
    }

    @Test
    void keepsEveryConnectionBusyWhenSaturating() throws Exception {
        try (ScriptedServer server = new ScriptedServer((n, head, out) -> {
            Thread.sleep(5);
            write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            return true;
        })) {
            RunReport report = new LoadGenerator(options(server, "--saturate", "--connections", "4"), BODY).run();

            assertEquals(4, report.connectionsOpened());
            assertEquals(0, report.errors());
            assertEquals(4, server.connectionsAccepted());
            // Four connections, each request at least 5 ms: at most 800 per second.
            assertTrue(report.ok() > 100 && report.ok() <= 800, report.ok() + " requests");
        }
    }

    @Test
    void countsNonSuccessStatusesAsErrors() throws Exception {
        try (ScriptedServer server = new ScriptedServer((n, head, out) -> {
            write(out, n % 2 == 0
                ? "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n"
                : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            return true;
        })) {
            RunReport report = new LoadGenerator(options(server, "--rate", "40"), BODY).run();

            assertEquals(40, report.requests());
            assertEquals(20, report.ok());
            assertEquals(20, report.statusErrors());
            assertEquals("HTTP 429", report.firstError());
        }
    }

    private static LoadOptions options(ScriptedServer server, String... more) {
        String[] base = {"--url", "http://127.0.0.1:" + server.port() + "/v1/chat/completions",
            "--duration-seconds", "1", "--warmup-seconds", "0"};
        String[] args = new String[base.length + more.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(more, 0, args, base.length, more.length);
        return LoadOptions.parse(args);
    }
}
