package dev.mercato.gateway.deposits;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A JSON-RPC proxy in front of anvil that misbehaves like public RPC providers do: it answers
 * 429 and 500, drops connections halfway through an answer, refuses eth_getLogs over more than
 * a few blocks, and repeats logs. Which request meets which fault comes from a seeded random
 * generator; the counts say what was injected.
 */
final class FaultyRpcProxy implements AutoCloseable {

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private final ExecutorService executor = Executors.newFixedThreadPool(4);
    private final HttpServer server;
    private final Random random;
    private final int faultPercent;
    private final int maxLogBlocks;
    private final boolean duplicateLogs;
    private volatile URI upstream;

    private final AtomicInteger rateLimited = new AtomicInteger();
    private final AtomicInteger serverErrors = new AtomicInteger();
    private final AtomicInteger dropped = new AtomicInteger();
    private final AtomicInteger rangesRefused = new AtomicInteger();
    private final AtomicInteger duplicatedLogs = new AtomicInteger();
    private final AtomicInteger logRequestsAnswered = new AtomicInteger();

    private FaultyRpcProxy(long seed, int faultPercent, int maxLogBlocks, boolean duplicateLogs) {
        this.random = new Random(seed);
        this.faultPercent = faultPercent;
        this.maxLogBlocks = maxLogBlocks;
        this.duplicateLogs = duplicateLogs;
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** Every kind of fault on {@code faultPercent}% of requests, eth_getLogs over at most {@code maxLogBlocks} blocks, and every log twice. */
    static FaultyRpcProxy faulty(long seed, int faultPercent, int maxLogBlocks) {
        return new FaultyRpcProxy(seed, faultPercent, maxLogBlocks, true);
    }

    /** No faults, but every log of every eth_getLogs answer twice. */
    static FaultyRpcProxy duplicatingEveryLog() {
        return new FaultyRpcProxy(0, 0, Integer.MAX_VALUE, true);
    }

    /** Starts forwarding to {@code rpcUrl}; answers the proxy's own URL. */
    String forwardTo(String rpcUrl) {
        upstream = URI.create(rpcUrl);
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    int rateLimited() {
        return rateLimited.get();
    }

    int serverErrors() {
        return serverErrors.get();
    }

    int dropped() {
        return dropped.get();
    }

    int rangesRefused() {
        return rangesRefused.get();
    }

    int duplicatedLogs() {
        return duplicatedLogs.get();
    }

    int logRequestsAnswered() {
        return logRequestsAnswered.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try {
            byte[] body = exchange.getRequestBody().readAllBytes();
            JsonNode request = json.readTree(body);
            String method = request.path("method").asText();
            int fault;
            synchronized (random) {
                fault = random.nextInt(100) < faultPercent ? random.nextInt(4) : -1;
            }
            switch (fault) {
                case 0 -> {
                    rateLimited.incrementAndGet();
                    exchange.getResponseHeaders().add("retry-after", "0");
                    send(exchange, 429, "{\"error\":\"too many requests\"}");
                    return;
                }
                case 1 -> {
                    serverErrors.incrementAndGet();
                    send(exchange, 500, "<html>internal server error</html>");
                    return;
                }
                case 2 -> {
                    dropped.incrementAndGet();
                    // Promise a body and end the connection a few bytes into it.
                    exchange.sendResponseHeaders(200, 1_000);
                    OutputStream out = exchange.getResponseBody();
                    out.write("{\"jsonrpc\":".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    return; // closing the exchange now, short of the promised bytes, drops the connection
                }
                case 3 -> {
                    rateLimited.incrementAndGet();
                    send(exchange, 200, "{\"jsonrpc\":\"2.0\",\"id\":" + request.path("id") + ",\"error\":{\"code\":-32005,"
                        + "\"message\":\"daily request count exceeded, request rate limited\"}}");
                    return;
                }
                default -> {
                }
            }
            if (method.equals("eth_getLogs")) {
                JsonNode filter = request.path("params").path(0);
                long from = Long.decode(filter.path("fromBlock").asText());
                long to = Long.decode(filter.path("toBlock").asText());
                if (to - from + 1 > maxLogBlocks) {
                    rangesRefused.incrementAndGet();
                    send(exchange, 200, "{\"jsonrpc\":\"2.0\",\"id\":" + request.path("id") + ",\"error\":{\"code\":-32005,"
                        + "\"message\":\"query exceeds max block range " + maxLogBlocks + "\"}}");
                    return;
                }
            }
            HttpResponse<byte[]> answer;
            try {
                answer = http.send(HttpRequest.newBuilder(upstream).header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            byte[] forwarded = answer.body();
            if (method.equals("eth_getLogs") && duplicateLogs && answer.statusCode() == 200) {
                ObjectNode tree = (ObjectNode) json.readTree(forwarded);
                if (tree.path("result").isArray()) {
                    ArrayNode logs = (ArrayNode) tree.get("result");
                    ArrayNode doubled = json.createArrayNode();
                    logs.forEach(log -> doubled.add(log.deepCopy()));
                    logs.forEach(log -> doubled.add(log.deepCopy()));
                    duplicatedLogs.addAndGet(logs.size());
                    tree.set("result", doubled);
                    forwarded = json.writeValueAsBytes(tree);
                }
                logRequestsAnswered.incrementAndGet();
            } else if (method.equals("eth_getLogs")) {
                logRequestsAnswered.incrementAndGet();
            }
            exchange.getResponseHeaders().add("content-type", "application/json");
            exchange.sendResponseHeaders(answer.statusCode(), forwarded.length);
            exchange.getResponseBody().write(forwarded);
        } finally {
            exchange.close();
        }
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        http.close();
    }
}
