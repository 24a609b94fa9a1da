package dev.mercato.e2e;

import com.anthropic.core.http.StreamResponse;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.openai.core.http.HttpResponseFor;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.mercato.agent.NodeAgent;
import dev.mercato.agent.config.ModelConfig;
import dev.mercato.gateway.TestGateway;
import dev.mercato.gateway.billing.Billing;
import dev.mercato.gateway.billing.PriceBook;
import dev.mercato.gateway.billing.Pricing;
import dev.mercato.gateway.node.NodeHealthRegistry;
import dev.mercato.ledger.AccountBalance;
import dev.mercato.ledger.Ledger;
import dev.mercato.ledger.Usdc;
import dev.mercato.protocol.Protocol;
import dev.mercato.protocol.Schedule;
import dev.mercato.protocol.TokenUsage;
import dev.mercato.simulator.SimulatorSettings;
import io.micronaut.json.JsonMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Scheduling with several real agents and the simulated upstream's failure injection: which
 * node serves, which is passed over, and what the consumer hears when none can serve.
 */
class SchedulingTest {

    private static final int MAX_ATTEMPTS = 2;
    private static final int CIRCUIT_CALLS = 4;
    private static final Duration CIRCUIT_OPEN = Duration.ofSeconds(2);
    /** 10 tokens a second for 100 tokens: a stream that stays open for ten seconds unless cut. */
    private static final SimulatorSettings LONG_STREAMS = SimulatorSettings.defaults().withTokensPerSecond(10)
        .withOutputTokens(100);
    private static final SimulatorSettings SLOW = new SimulatorSettings(0, 40, 400, 0, 0.0, null, 1, null, 8192);

    private static Marketplace market;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        market = Marketplace.start(Map.of(
            "mercato.relay.max-attempts", MAX_ATTEMPTS,
            // Each request chooses afresh, and a full node is refused at once: what is measured is the choice.
            "mercato.relay.sticky-seconds", 0,
            "mercato.relay.busy-wait-millis", 0,
            "mercato.nodes.circuit.window-calls", CIRCUIT_CALLS,
            "mercato.nodes.circuit.minimum-calls", CIRCUIT_CALLS,
            "mercato.nodes.circuit.failure-rate-percent", 50,
            "mercato.nodes.circuit.open-duration", CIRCUIT_OPEN.toMillis() + "ms",
            "mercato.nodes.circuit.half-open-calls", 1));
    }

    @AfterAll
    static void stop() {
        market.close();
    }

    private static List<ModelConfig> serving(String model, Protocol protocol) {
        return List.of(new ModelConfig(model, protocol, null, null));
    }

    @Test
    void anUpstreamAuthFailureOnOneNodeIsAnsweredByTheOtherWhichTheResponseNames() throws Exception {
        String model = "gpt-sched-auth";
        NodeAgent rejected = market.startAgent("auth-a", SimulatorSettings.defaults().withFailures(1.0, "auth"), 4,
            serving(model, Protocol.OPENAI));
        NodeAgent healthy = market.startAgent("auth-b", SimulatorSettings.defaults(), 4, serving(model, Protocol.OPENAI));
        int requests = 0;
        // The first choice between two idle nodes is random: go on until the rejected node has been met.
        while (rejected.stats().failed() == 0) {
            assertTrue(++requests <= 30, "the rejected node was never chosen first in 30 requests");
            HttpResponseFor<ChatCompletion> raw = market.openAi().chat().completions().withRawResponse().create(
                ChatCompletionCreateParams.builder().model(model).addUserMessage("hi").build());
            assertEquals(200, raw.statusCode());
            assertEquals(market.nodeNameOf(healthy), raw.headers().values("x-mercato-node").getFirst());
            raw.parse();
        }
        // With two attempts, trying the rejected node twice would have failed the request: none failed.
        assertEquals(1, rejected.stats().failed());
        assertEquals(requests, healthy.stats().served());
    }

    @Test
    void everyNodeFailingGives502AfterExactlyTheConfiguredAttempts() {
        String model = "gpt-sched-all-fail";
        List<NodeAgent> failing = List.of(
            market.startAgent("fail-a", SimulatorSettings.defaults().withFailures(1.0, "server_error"), 4,
                serving(model, Protocol.OPENAI)),
            market.startAgent("fail-b", SimulatorSettings.defaults().withFailures(1.0, "server_error"), 4,
                serving(model, Protocol.OPENAI)),
            market.startAgent("fail-c", SimulatorSettings.defaults().withFailures(1.0, "server_error"), 4,
                serving(model, Protocol.OPENAI)));
        var refused = assertThrows(com.openai.errors.InternalServerException.class, () -> market.openAi().chat()
            .completions().create(ChatCompletionCreateParams.builder().model(model).addUserMessage("hi").build()));
        assertEquals(502, refused.statusCode());
        assertEquals("upstream_failed", refused.code().orElseThrow());
        assertTrue(refused.getMessage().contains("All " + MAX_ATTEMPTS + " provider nodes tried for model '" + model
            + "' failed before answering"), refused.getMessage());
        assertEquals(MAX_ATTEMPTS, failing.stream().mapToLong(agent -> agent.stats().failed()).sum());
        assertEquals(MAX_ATTEMPTS, failing.stream().filter(agent -> agent.stats().failed() == 1).count(),
            "no node was tried twice");
    }

    @Test
    void aRestingNodeNeverGetsARequestAndTheRefusalSaysWhenItReturns() throws Exception {
        String model = "gpt-sched-rest";
        // Online for 60 minutes from two hours ago, then resting for 600: back at start + 660 minutes.
        LocalDateTime start = LocalDateTime.now(ZoneOffset.UTC).minusMinutes(120).truncatedTo(ChronoUnit.MINUTES);
        Instant back = start.plusMinutes(660).toInstant(ZoneOffset.UTC);
        NodeAgent resting = market.startAgent("rest-a", SimulatorSettings.defaults(), 4, serving(model, Protocol.OPENAI),
            new Schedule("UTC", start.format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm")), 60, 600));
        NodeAgent awake = market.startAgent("rest-b", SimulatorSettings.defaults(), 4, serving(model, Protocol.OPENAI));
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> answered = chat(model, false);
            assertEquals(200, answered.statusCode(), answered.body());
            assertEquals(market.nodeNameOf(awake), answered.headers().firstValue("x-mercato-node").orElseThrow());
        }
        assertEquals(0, resting.stats().served() + resting.stats().failed());

        awake.close();
        HttpResponse<String> refused = null;
        long secondsBefore = 0;
        for (int attempt = 0; attempt < 100; attempt++) {
            secondsBefore = Duration.between(Instant.now(), back).toSeconds() + 1;
            refused = chat(model, false);
            if (refused.statusCode() == 503) {
                break;
            }
            Thread.sleep(50); // the gateway has not yet seen the awake node's socket close
        }
        long secondsAfter = Duration.between(Instant.now(), back).toSeconds() + 1;
        assertEquals(503, refused.statusCode(), refused.body());
        assertEquals("all_providers_resting", error(refused).get("code"));
        long retryAfter = Long.parseLong(refused.headers().firstValue("retry-after").orElseThrow());
        assertTrue(retryAfter <= secondsBefore && retryAfter >= secondsAfter,
            retryAfter + " s, expected " + secondsAfter + " to " + secondsBefore);
        assertEquals("Every provider node serving model '" + model + "' is in its rest window; the earliest returns in "
            + retryAfter + " seconds.", error(refused).get("message"));
        assertEquals(0, resting.stats().served() + resting.stats().failed());
    }

    @Test
    void aNodeAtItsCapIsSkippedAndAllBusyComesOnlyWhenEveryNodeIsFull() throws Exception {
        String model = "gpt-sched-cap";
        NodeAgent first = market.startAgent("cap-a", LONG_STREAMS, 1, serving(model, Protocol.OPENAI));
        NodeAgent second = market.startAgent("cap-b", LONG_STREAMS, 1, serving(model, Protocol.OPENAI));
        HttpResponse<InputStream> one = stream(model);
        HttpResponse<InputStream> two = stream(model);
        assertEquals(200, one.statusCode());
        assertEquals(200, two.statusCode());
        String oneNode = one.headers().firstValue("x-mercato-node").orElseThrow();
        assertNotEquals(oneNode, two.headers().firstValue("x-mercato-node").orElseThrow(),
            "the node at its cap was skipped");
        assertEquals(1, first.stats().inFlight());
        assertEquals(1, second.stats().inFlight());

        HttpResponse<String> busy = chat(model, true);
        assertEquals(503, busy.statusCode(), busy.body());
        assertEquals("all_providers_busy", error(busy).get("code"));
        assertEquals("All 2 provider node(s) serving model '" + model + "' are at their concurrency limit; retry in 2 "
            + "seconds.", error(busy).get("message"));
        assertEquals("2", busy.headers().firstValue("retry-after").orElseThrow());

        one.body().close(); // the consumer hangs up: the gateway cancels and the slot frees
        NodeAgent freed = market.nodeNameOf(first).equals(oneNode) ? first : second;
        long deadline = System.nanoTime() + Duration.ofSeconds(1).toNanos();
        while (freed.stats().inFlight() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, freed.stats().inFlight(), "the agent freed the slot within a second");
        HttpResponse<InputStream> three = stream(model);
        assertEquals(200, three.statusCode());
        assertEquals(oneNode, three.headers().firstValue("x-mercato-node").orElseThrow());
        two.body().close();
        three.body().close();
    }

    @Test
    void aPinnedRequestStaysOnItsOperatorEvenWhenThatOperatorFails() throws Exception {
        String model = "gpt-sched-pin";
        NodeAgent broken = market.startAgent("pin-a", SimulatorSettings.defaults().withFailures(1.0, "server_error"), 4,
            serving(model, Protocol.OPENAI));
        NodeAgent healthy = market.startAgent("pin-b", SimulatorSettings.defaults(), 4, serving(model, Protocol.OPENAI));
        HttpResponse<String> failed = chat("pin-a/" + model, false);
        assertEquals(502, failed.statusCode(), failed.body());
        assertEquals("upstream_failed", error(failed).get("code"));
        assertEquals(1, broken.stats().failed());
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> answered = chat("pin-b/" + model, false);
            assertEquals(200, answered.statusCode(), answered.body());
            assertEquals(market.nodeNameOf(healthy), answered.headers().firstValue("x-mercato-node").orElseThrow());
        }
        assertEquals(5, healthy.stats().served(), "the failed pinned request never reached the other operator");
        assertEquals(1, broken.stats().failed());
    }

    @Test
    void aNodesCircuitOpensAfterTheThresholdAndClosesAgainOnceItRecovers() throws Exception {
        String model = "gpt-sched-circuit";
        NodeAgent agent = market.startAgent("circuit-a", SimulatorSettings.defaults(), 4, serving(model, Protocol.OPENAI));
        for (int i = 0; i < CIRCUIT_CALLS; i++) {
            HttpResponse<String> failed = chat(model, false, "[[sim:fail=server_error]] hi");
            assertEquals(502, failed.statusCode(), failed.body());
        }
        assertEquals(CIRCUIT_CALLS, agent.stats().failed());
        NodeHealthRegistry health = market.gateway.bean(NodeHealthRegistry.class);
        assertEquals("open", health.find(market.nodeNameOf(agent)).snapshot().circuit());

        HttpResponse<String> paused = chat(model, false);
        assertEquals(502, paused.statusCode(), paused.body());
        assertEquals("Every provider node serving model '" + model + "' has been failing and is paused; retry in 2 "
            + "seconds.", error(paused).get("message"));
        assertEquals("2", paused.headers().firstValue("retry-after").orElseThrow());
        assertEquals(0, agent.stats().served() + agent.stats().failed() - CIRCUIT_CALLS, "the paused node was not called");

        Thread.sleep(CIRCUIT_OPEN.toMillis() + 200);
        assertEquals("half_open", health.find(market.nodeNameOf(agent)).snapshot().circuit());
        HttpResponse<String> recovered = chat(model, false);
        assertEquals(200, recovered.statusCode(), recovered.body());
        assertEquals("closed", health.find(market.nodeNameOf(agent)).snapshot().circuit());
        assertEquals(1, agent.stats().served());
    }

    @Test
    void aNodeDroppedMidStreamEndsTheStreamAndIsBilledForWhatWasDelivered() throws Exception {
        String model = "claude-sched-drop";
        NodeAgent agent = market.startAgent("drop-sched", SLOW, 4, serving(model, Protocol.ANTHROPIC));
        TestGateway.NewAccount consumer = market.gateway.createAccount();
        Ledger ledger = market.gateway.bean(Ledger.class);
        String account = Billing.userAccount(consumer.accountId());
        long before = ledger.balance(account).availableNano();
        try (StreamResponse<RawMessageStreamEvent> stream = market.anthropic(consumer.apiKey()).messages()
            .createStreaming(MessageCreateParams.builder().model(model).maxTokens(1000).addUserMessage("long story")
                .build())) {
            Iterator<RawMessageStreamEvent> events = stream.stream().iterator();
            for (int i = 0; i < 8; i++) {
                events.next();
            }
            agent.dropConnections();
            RuntimeException cut = assertThrows(RuntimeException.class, () -> events.forEachRemaining(event -> { }));
            assertTrue(String.valueOf(cut.getMessage()).contains("dropped"), String.valueOf(cut));
        }
        Map<?, ?> record = usageRecord(consumer.apiKey());
        assertEquals("upstream_failed", record.get("outcome"));
        long output = ((Number) record.get("output_tokens")).longValue();
        assertTrue(output >= 1 && output < 400, "delivered " + output + " of 400 tokens");
        long costNano = Pricing.costNano(new TokenUsage(((Number) record.get("input_tokens")).longValue(), output, 0, 0, 0),
            market.gateway.bean(PriceBook.class).current(model));
        assertEquals(Usdc.format(costNano), record.get("cost"));
        AccountBalance after = settled(ledger, account);
        assertEquals(before - costNano, after.availableNano());
    }

    private Map<?, ?> usageRecord(String apiKey) throws Exception {
        for (int attempt = 0; attempt < 200; attempt++) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(market.gateway.baseUrl()
                + "/v1/usage")).header("authorization", "Bearer " + apiKey).build(), HttpResponse.BodyHandlers.ofString());
            List<?> data = (List<?>) json(response.body()).get("data");
            if (!data.isEmpty()) {
                return (Map<?, ?>) data.getFirst();
            }
            Thread.sleep(25);
        }
        throw new AssertionError("no usage record appeared");
    }

    private static AccountBalance settled(Ledger ledger, String account) throws InterruptedException {
        for (int attempt = 0; attempt < 200; attempt++) {
            AccountBalance balance = ledger.balance(account);
            if (balance.debitsPending() == 0) {
                return balance;
            }
            Thread.sleep(25);
        }
        throw new AssertionError("the hold of " + account + " was never resolved");
    }

    private HttpResponse<String> chat(String model, boolean stream) throws Exception {
        return chat(model, stream, "hi");
    }

    private HttpResponse<String> chat(String model, boolean stream, String prompt) throws Exception {
        return http.send(chatRequest(model, stream, prompt), HttpResponse.BodyHandlers.ofString());
    }

    /** A streaming chat whose body is left to the caller: the response is here once the stream has begun. */
    private HttpResponse<InputStream> stream(String model) throws Exception {
        return http.send(chatRequest(model, true, "hi"), HttpResponse.BodyHandlers.ofInputStream());
    }

    private HttpRequest chatRequest(String model, boolean stream, String prompt) {
        String body = "{\"model\":\"" + model + "\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\","
            + "\"content\":\"" + prompt + "\"}]}";
        return HttpRequest.newBuilder(URI.create(market.gateway.baseUrl() + "/v1/chat/completions"))
            .header("authorization", "Bearer " + market.apiKey).header("content-type", "application/json")
            .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private static Map<?, ?> error(HttpResponse<String> response) throws Exception {
        return (Map<?, ?>) json(response.body()).get("error");
    }

    private static Map<?, ?> json(String body) throws Exception {
        return market.gateway.bean(JsonMapper.class).readValue(body, Map.class);
    }
}
