package dev.mercato.e2e;

import dev.mercato.gateway.TestGateway;
import dev.mercato.gateway.auth.Secrets;
import dev.mercato.gateway.billing.Billing;
import dev.mercato.gateway.keys.ApiKey;
import dev.mercato.gateway.keys.KeyStore;
import dev.mercato.gateway.limits.Admission;
import dev.mercato.gateway.limits.KeyBudgets;
import dev.mercato.gateway.limits.Limiter;
import dev.mercato.ledger.Ledger;
import dev.mercato.simulator.SimulatorSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hundreds of concurrent requests on one key, ending every way a request can end: answered,
 * streamed, cut off by the consumer, failed by the upstream, dropped by the node mid-stream,
 * timed out, refused at the concurrency limit. Afterwards every counter of the key is back
 * to zero: no slot held, no budget held, no ledger hold pending.
 */
class LimiterCountersTest {

    private static final int REQUESTS = 300;
    private static final int CONSUMERS = 24;
    private static final long SEED = 20261203L;
    private static final int DEADLINE_MILLIS = 1500;

    private static Marketplace market;

    @BeforeAll
    static void start() {
        market = Marketplace.start(Map.of("mercato.relay.deadline-millis", DEADLINE_MILLIS));
        market.startSimulatedAgent(SimulatorSettings.defaults());
    }

    @AfterAll
    static void stop() {
        market.close();
    }

    /** How each request ends; the index counts them. */
    private enum Ending { ANSWERED, STREAMED, CONSUMER_LEFT, UPSTREAM_FAILED, NODE_DROPPED, TIMED_OUT }

    @Test
    void everyCounterIsBackToZeroAfterRequestsEndEveryWay() throws Exception {
        TestGateway.NewAccount account = market.gateway.createAccount("{\"concurrentRequests\":8,"
            + "\"requestsPerMinute\":100000,\"budget\":{\"amountUsdc\":\"90\",\"period\":\"month\"}}");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        Random random = new Random(SEED);
        List<Ending> endings = new ArrayList<>();
        for (int i = 0; i < REQUESTS; i++) {
            endings.add(Ending.values()[random.nextInt(Ending.values().length)]);
        }
        AtomicIntegerArray statuses = new AtomicIntegerArray(600);
        ExecutorService consumers = Executors.newFixedThreadPool(CONSUMERS);
        List<Future<?>> done = new ArrayList<>();
        for (Ending ending : endings) {
            done.add(consumers.submit(() -> {
                int status = send(http, account.apiKey(), ending);
                statuses.incrementAndGet(status);
                return null;
            }));
        }
        for (Future<?> future : done) {
            future.get();
        }
        consumers.shutdown();

        assertTrue(statuses.get(200) > 0, "some requests were answered");
        assertTrue(statuses.get(429) > 0, "some requests met the concurrency limit of 8");

        ApiKey key = market.gateway.bean(KeyStore.class).findByHash(Secrets.hash(account.apiKey())).orElseThrow();
        Limiter limiter = market.gateway.bean(Limiter.class);
        KeyBudgets budgets = market.gateway.bean(KeyBudgets.class);
        Ledger ledger = market.gateway.bean(Ledger.class);
        String ledgerAccount = Billing.userAccount(account.accountId());
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline && (limiter.usage(Admission.subject(key)).slotsHeld() != 0
            || budgets.snapshot(key).join().reservedNano() != 0 || ledger.balance(ledgerAccount).debitsPending() != 0)) {
            Thread.sleep(50);
        }
        assertEquals(0, limiter.usage(Admission.subject(key)).slotsHeld(), "concurrent slots held");
        assertEquals(0, budgets.snapshot(key).join().reservedNano(), "budget held by running requests");
        assertEquals(0, ledger.balance(ledgerAccount).debitsPending(), "ledger holds pending");
    }

    /** One request ending the given way; returns the HTTP status the consumer saw. */
    private static int send(HttpClient http, String key, Ending ending) throws Exception {
        String prompt = switch (ending) {
            case ANSWERED -> "[[sim:tokens=5]] answer";
            case STREAMED -> "[[sim:tokens=30]] [[sim:tokens-per-second=300]] stream";
            case CONSUMER_LEFT -> "[[sim:tokens=400]] [[sim:tokens-per-second=100]] leave early";
            case UPSTREAM_FAILED -> "[[sim:fail=server_error]] fail";
            case NODE_DROPPED -> "[[sim:tokens=50]] [[sim:tokens-per-second=200]] [[sim:drop-after=3]] drop";
            case TIMED_OUT -> "[[sim:latency-ms=" + (DEADLINE_MILLIS + 1000) + "]] too slow";
        };
        boolean stream = ending != Ending.ANSWERED && ending != Ending.UPSTREAM_FAILED;
        String body = "{\"model\":\"" + Marketplace.CLAUDE + "\",\"max_tokens\":500,\"stream\":" + stream
            + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
        HttpRequest request = HttpRequest.newBuilder(URI.create(market.gateway.baseUrl() + "/v1/messages"))
            .header("x-api-key", key).header("anthropic-version", "2023-06-01").header("content-type", "application/json")
            .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream answer = response.body()) {
            if (ending == Ending.CONSUMER_LEFT && response.statusCode() == 200) {
                answer.readNBytes(200); // a little of the stream, then the consumer hangs up
            } else {
                answer.readAllBytes();
            }
        }
        return response.statusCode();
    }
}
