package dev.mercato.e2e;

import com.anthropic.core.http.StreamResponse;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import dev.mercato.gateway.TestGateway;
import dev.mercato.gateway.billing.Billing;
import dev.mercato.gateway.billing.PriceBook;
import dev.mercato.gateway.billing.Pricing;
import dev.mercato.agent.NodeAgent;
import dev.mercato.ledger.AccountBalance;
import dev.mercato.ledger.Ledger;
import dev.mercato.ledger.Usdc;
import dev.mercato.protocol.TokenUsage;
import dev.mercato.simulator.SimulatorSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Iterator;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Money through the official SDK: the consumer is charged exactly the cost of what it used at
 * the admitted price, the operator is credited exactly its share and the platform the rest,
 * and a failed request costs nothing.
 */
class BillingTest {

    private static final SimulatorSettings SLOW = new SimulatorSettings(0, 40, 400, 0, 0.0, null, 1, null, 8192);

    private static Marketplace market;
    private static Ledger ledger;
    private static String providerAccount;
    private TestGateway.NewAccount consumer;
    private AnthropicClient client;

    @BeforeAll
    static void start() {
        market = Marketplace.start(Map.of());
        NodeAgent agent = market.startSimulatedAgent(SLOW);
        ledger = market.gateway.bean(Ledger.class);
        providerAccount = Billing.providerAccount(market.operatorIdOf(agent));
    }

    @AfterAll
    static void stop() {
        market.close();
    }

    @BeforeEach
    void newConsumer() {
        consumer = market.gateway.createAccount();
        client = AnthropicOkHttpClient.builder().baseUrl(market.gateway.baseUrl()).apiKey(consumer.apiKey())
            .maxRetries(0).timeout(Duration.ofSeconds(30)).build();
    }

    /**
     * Settles run after the answer: wait for this test's, so none lands in the next test's
     * before-and-after reading of the shared operator and fee accounts.
     */
    @AfterEach
    void awaitSettlement() throws InterruptedException {
        settled();
    }

    private String user() {
        return Billing.userAccount(consumer.accountId());
    }

    private long costOf(long inputTokens, long outputTokens) {
        return Pricing.costNano(new TokenUsage(inputTokens, outputTokens, 0, 0, 0),
            market.gateway.bean(PriceBook.class).current(Marketplace.CLAUDE));
    }

    /** Settlement runs after the answer; wait until the consumer's hold is resolved. */
    private AccountBalance settled() throws InterruptedException {
        for (int attempt = 0; attempt < 200; attempt++) {
            AccountBalance balance = ledger.balance(user());
            if (balance.debitsPending() == 0) {
                return balance;
            }
            Thread.sleep(25);
        }
        throw new AssertionError("the hold of " + user() + " was never resolved");
    }

    /** GET /v1/usage, waiting for the record, which is written just after the money settles. */
    private String usageOf(String apiKey) throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        for (int attempt = 0; attempt < 200; attempt++) {
            var response = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(market.gateway.baseUrl() + "/v1/usage"))
                .header("authorization", "Bearer " + apiKey).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response.body());
            if (response.body().contains("\"request_id\"")) {
                return response.body();
            }
            Thread.sleep(25);
        }
        throw new AssertionError("no usage record appeared");
    }

    private static long available(String account) {
        return ledger.balance(account).availableNano();
    }

    private MessageCreateParams ask(String prompt, long maxTokens) {
        return MessageCreateParams.builder().model(Marketplace.CLAUDE).maxTokens(maxTokens).addUserMessage(prompt).build();
    }

    @Test
    void chargesExactlyTheCostAndSplitsItBetweenOperatorAndPlatform() throws Exception {
        long userBefore = available(user());
        long providerBefore = available(providerAccount);
        long feeBefore = available(Billing.FEE);
        assertEquals(Usdc.parse(TestGateway.STARTING_CREDIT_USDC), userBefore);

        var raw = client.messages().withRawResponse().create(ask("[[sim:tokens=30]] What does this cost?", 100));
        Message message = raw.parse();
        long cost = costOf(message.usage().inputTokens(), message.usage().outputTokens());
        assertEquals(30, message.usage().outputTokens());
        // The consumer sees what it is charged: in the usage object, and for a whole answer in a header.
        assertEquals(Usdc.format(cost), message.usage()._additionalProperties().get("cost").asString().orElseThrow());
        assertEquals(Usdc.format(cost), raw.headers().values("x-mercato-cost").getFirst());

        assertEquals(userBefore - cost, settled().availableNano());

        // One usage record, metadata only, with what was charged.
        String usage = usageOf(consumer.apiKey());
        String requestId = raw.headers().values("request-id").getFirst();
        assertTrue(usage.contains("\"request_id\":\"" + requestId + "\",\"created_at\":"), usage);
        assertTrue(usage.contains(",\"model\":\"" + Marketplace.CLAUDE + "\",\"node\":\"acme/"), usage);
        assertTrue(usage.contains(",\"input_tokens\":" + message.usage().inputTokens() + ",\"output_tokens\":30,"
            + "\"cache_write_tokens\":0,\"cache_read_tokens\":0,\"reasoning_tokens\":0,\"cost\":\"" + Usdc.format(cost)
            + "\",\"outcome\":\"ok\","), usage);
        assertTrue(usage.endsWith("],\"has_more\":false,\"next_before_id\":null}"), usage);
        long share = cost * 8000 / 10_000;
        assertEquals(providerBefore + share, available(providerAccount));
        assertEquals(feeBefore + (cost - share), available(Billing.FEE));
    }

    @Test
    void chargesAStreamForItsFinalUsage() throws Exception {
        long userBefore = available(user());
        long input = 0;
        long output = 0;
        String shownCost = null;
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(ask("[[sim:tokens=12]] stream", 100))) {
            for (RawMessageStreamEvent event : (Iterable<RawMessageStreamEvent>) stream.stream()::iterator) {
                if (event.isMessageStart()) {
                    input = event.asMessageStart().message().usage().inputTokens();
                }
                if (event.isMessageDelta()) {
                    output = event.asMessageDelta().usage().outputTokens();
                    shownCost = String.valueOf(event.asMessageDelta().usage()._additionalProperties().get("cost").asString().orElseThrow());
                }
            }
        }
        assertEquals(12, output);
        assertEquals(Usdc.format(costOf(input, output)), shownCost);
        assertEquals(userBefore - costOf(input, output), settled().availableNano());
    }

    @Test
    void chargesAnAbandonedStreamOnlyForWhatWasDelivered() throws Exception {
        long userBefore = available(user());
        long providerBefore = available(providerAccount);
        long feeBefore = available(Billing.FEE);
        long input;
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(ask("a long story", 1000))) {
            Iterator<RawMessageStreamEvent> events = stream.stream().iterator();
            input = events.next().asMessageStart().message().usage().inputTokens();
            for (int i = 0; i < 6; i++) {
                events.next();
            }
        }
        long charged = userBefore - settled().availableNano();
        // At least the input and one token; far less than the 400 tokens the whole answer would have cost.
        assertTrue(charged >= costOf(input, 1), "charged " + charged);
        assertTrue(charged < costOf(input, 400), "charged " + charged);
        long providerGain = available(providerAccount) - providerBefore;
        assertEquals(charged * 8000 / 10_000, providerGain);
        assertEquals(charged - providerGain, available(Billing.FEE) - feeBefore);
    }

    @Test
    void showsTheCostInTheOpenAiUsageChunkAndResponsesUsage() throws Exception {
        var openAi = com.openai.client.okhttp.OpenAIOkHttpClient.builder().baseUrl(market.gateway.openAiBaseUrl())
            .apiKey(consumer.apiKey()).maxRetries(0).build();
        var chunks = new java.util.ArrayList<com.openai.models.chat.completions.ChatCompletionChunk>();
        try (var stream = openAi.chat().completions().createStreaming(com.openai.models.chat.completions.ChatCompletionCreateParams
            .builder().model(Marketplace.GPT).addUserMessage("[[sim:tokens=5]] hi")
            .streamOptions(com.openai.models.chat.completions.ChatCompletionStreamOptions.builder().includeUsage(true).build())
            .build())) {
            stream.stream().forEach(chunks::add);
        }
        var usage = chunks.getLast().usage().orElseThrow();
        long cost = Pricing.costNano(new TokenUsage(usage.promptTokens(), usage.completionTokens(), 0, 0, 0),
            market.gateway.bean(PriceBook.class).current(Marketplace.GPT));
        assertEquals(Usdc.format(cost), usage._additionalProperties().get("cost").asString().orElseThrow());

        var response = openAi.responses().create(com.openai.models.responses.ResponseCreateParams.builder()
            .model(Marketplace.GPT).input("[[sim:tokens=7]] hi").build());
        var responseUsage = response.usage().orElseThrow();
        long responseCost = Pricing.costNano(new TokenUsage(responseUsage.inputTokens(), responseUsage.outputTokens(), 0, 0, 0),
            market.gateway.bean(PriceBook.class).current(Marketplace.GPT));
        assertEquals(Usdc.format(responseCost), responseUsage._additionalProperties().get("cost").asString().orElseThrow());
    }

    @Test
    void aFailedRequestCostsNothing() throws Exception {
        long userBefore = available(user());
        assertThrows(com.anthropic.errors.InternalServerException.class,
            () -> client.messages().create(ask("[[sim:fail=server_error]] fail", 100)));
        assertEquals(userBefore, settled().availableNano());
    }

    @Test
    void refusesARequestWhoseMaximumCostExceedsTheBalanceWithoutContactingANode() {
        // 100 USDC at $15 per million output tokens covers about 6.6 million tokens, not 10 million.
        var e = assertThrows(com.anthropic.errors.PaymentRequiredException.class,
            () -> client.messages().create(ask("too dear", 10_000_000)));
        assertEquals(402, e.statusCode());
        // $150 for the output bound, plus every input byte at the dearest input price ($3.75 per million).
        String message = e.apiMessage().orElseThrow();
        assertTrue(message.startsWith("Your balance of $100 cannot cover this request's maximum cost of $150.000"), message);
        assertTrue(message.endsWith("; deposit USDC or lower the request's maximum output tokens."), message);
        assertEquals(Usdc.parse(TestGateway.STARTING_CREDIT_USDC), available(user()));
    }
}
