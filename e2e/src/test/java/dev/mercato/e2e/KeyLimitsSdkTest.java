package dev.mercato.e2e;

import com.anthropic.core.http.StreamResponse;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.errors.UnexpectedStatusCodeException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.mercato.gateway.auth.Secrets;
import dev.mercato.gateway.billing.Billing;
import dev.mercato.gateway.keys.ApiKey;
import dev.mercato.gateway.keys.KeyStore;
import dev.mercato.gateway.limits.KeyBudgets;
import dev.mercato.gateway.limits.Admission;
import dev.mercato.gateway.limits.Limiter;
import dev.mercato.gateway.TestGateway;
import dev.mercato.ledger.Ledger;
import dev.mercato.ledger.Usdc;
import dev.mercato.simulator.SimulatorSettings;
import io.micronaut.json.JsonMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every per-key limit as the official SDKs meet it: their typed exceptions, the messages, retry hints that work. */
class KeyLimitsSdkTest {

    private static Marketplace market;

    @BeforeAll
    static void start() {
        market = Marketplace.start(Map.of());
        market.startSimulatedAgent(SimulatorSettings.defaults());
    }

    @AfterAll
    static void stop() {
        market.close();
    }

    private static ChatCompletionCreateParams chat(String prompt, long maxTokens) {
        return ChatCompletionCreateParams.builder().model(Marketplace.GPT).addUserMessage(prompt).maxCompletionTokens(maxTokens)
            .build();
    }

    private static MessageCreateParams message(String prompt, long maxTokens) {
        return MessageCreateParams.builder().model(Marketplace.CLAUDE).maxTokens(maxTokens).addUserMessage(prompt).build();
    }

    @Test
    void the61stRequestInAMinuteGetsTheSdksRateLimitErrorAndItsRetryAfterWorks() throws Exception {
        String key = market.gateway.createAccount("{}").apiKey(); // the platform defaults: 60 a minute, 5 at once
        var openAi = market.openAi(key);
        for (int i = 0; i < 60; i++) {
            openAi.chat().completions().create(chat("[[sim:tokens=1]] hi", 5));
        }
        RateLimitException limited = assertThrows(RateLimitException.class,
            () -> openAi.chat().completions().create(chat("[[sim:tokens=1]] one too many", 5)));
        assertEquals(429, limited.statusCode());
        assertEquals("rpm_limit_exceeded", limited.code().orElseThrow());
        int retryAfter = Integer.parseInt(limited.headers().values("retry-after").getFirst());
        assertTrue(retryAfter >= 1 && retryAfter <= 60, "retry-after " + retryAfter);
        assertTrue(limited.getMessage().contains("Requests per minute limit (60) exceeded; retry in " + retryAfter + " s."),
            limited.getMessage());
        assertEquals("0", limited.headers().values("x-ratelimit-remaining-requests").getFirst());

        var anthropicLimited = assertThrows(com.anthropic.errors.RateLimitException.class,
            () -> market.anthropic(key).messages().create(message("[[sim:tokens=1]] hi", 5)));
        assertTrue(anthropicLimited.getMessage().contains("Requests per minute limit (60) exceeded"),
            anthropicLimited.getMessage());

        Thread.sleep(retryAfter * 1000L);
        ChatCompletion afterWaiting = openAi.chat().completions().create(chat("[[sim:tokens=1]] again", 5));
        assertEquals(1, afterWaiting.usage().orElseThrow().completionTokens());
    }

    @Test
    void fiveParallelStreamsRunASixthIsRefusedAndNoSlotLeaksWhenTheyEndOrDisconnect() throws Exception {
        String key = market.gateway.createAccount("{}").apiKey();
        var anthropic = market.anthropic(key);
        List<StreamResponse<RawMessageStreamEvent>> streams = new ArrayList<>();
        List<Iterator<RawMessageStreamEvent>> events = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            // Three end by themselves after 2 s; two would run for 100 s and are disconnected by their clients.
            String prompt = i < 3 ? "[[sim:tokens=40]] [[sim:tokens-per-second=20]] short"
                : "[[sim:tokens=2000]] [[sim:tokens-per-second=20]] long";
            StreamResponse<RawMessageStreamEvent> stream = anthropic.messages().createStreaming(message(prompt, 2000));
            Iterator<RawMessageStreamEvent> iterator = stream.stream().iterator();
            assertTrue(iterator.next().isMessageStart(), "stream " + i + " is open");
            streams.add(stream);
            events.add(iterator);
        }
        var sixth = assertThrows(com.anthropic.errors.RateLimitException.class, () -> {
            try (var stream = anthropic.messages().createStreaming(message("[[sim:tokens=5]] sixth", 100))) {
                stream.stream().iterator().next();
            }
        });
        assertEquals("Concurrent requests limit (5) exceeded; retry when one of this key's requests has finished.",
            sixth.apiMessage().orElseThrow());
        assertEquals("1", sixth.headers().values("retry-after").getFirst());
        RateLimitException sixthOpenAi = assertThrows(RateLimitException.class,
            () -> market.openAi(key).chat().completions().create(chat("[[sim:tokens=1]] sixth", 5)));
        assertEquals("concurrency_limit_exceeded", sixthOpenAi.code().orElseThrow());

        for (int i = 0; i < 3; i++) {
            Iterator<RawMessageStreamEvent> iterator = events.get(i);
            while (iterator.hasNext()) {
                iterator.next();
            }
            streams.get(i).close();
        }
        streams.get(3).close();
        streams.get(4).close();
        awaitNoSlotHeld(key);

        List<StreamResponse<RawMessageStreamEvent>> again = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            StreamResponse<RawMessageStreamEvent> stream = anthropic.messages().createStreaming(
                message("[[sim:tokens=200]] [[sim:tokens-per-second=20]] again", 500));
            assertTrue(stream.stream().iterator().next().isMessageStart(), "new stream " + i + " is open");
            again.add(stream);
        }
        again.forEach(StreamResponse::close);
        awaitNoSlotHeld(key);
    }

    @Test
    void disabledExpiredWrongIpAndNonWhitelistedKeysEachGetTheirOwnError() throws Exception {
        String disabled = market.gateway.createAccount("{\"disabled\":true}").apiKey();
        String expiring = market.gateway.createAccount("{\"expiresAt\":\"" + Instant.now().plusSeconds(1) + "\"}").apiKey();
        String elsewhere = market.gateway.createAccount("{\"allowedIps\":[\"203.0.113.0/24\"]}").apiKey();
        String claudeOnly = market.gateway.createAccount("{\"allowedModels\":[\"" + Marketplace.CLAUDE + "\"]}").apiKey();
        Thread.sleep(1100);

        UnauthorizedException disabledError = assertThrows(UnauthorizedException.class,
            () -> market.openAi(disabled).chat().completions().create(chat("hi", 5)));
        assertEquals("api_key_disabled", disabledError.code().orElseThrow());
        UnauthorizedException expiredError = assertThrows(UnauthorizedException.class,
            () -> market.openAi(expiring).chat().completions().create(chat("hi", 5)));
        assertEquals("api_key_expired", expiredError.code().orElseThrow());
        PermissionDeniedException ipError = assertThrows(PermissionDeniedException.class,
            () -> market.openAi(elsewhere).chat().completions().create(chat("hi", 5)));
        assertEquals("ip_not_allowed", ipError.code().orElseThrow());
        assertTrue(ipError.getMessage().contains("may not be used from 127.0.0.1"), ipError.getMessage());
        PermissionDeniedException modelError = assertThrows(PermissionDeniedException.class,
            () -> market.openAi(claudeOnly).chat().completions().create(chat("hi", 5)));
        assertEquals("model_not_allowed", modelError.code().orElseThrow());
        assertTrue(modelError.getMessage().contains("may not call the model '" + Marketplace.GPT + "'; it may call: "
            + Marketplace.CLAUDE + "."), modelError.getMessage());
        // The whitelisted model still works, and the Anthropic SDK sees the same refusals as its own types.
        assertEquals(3, market.anthropic(claudeOnly).messages().create(message("[[sim:tokens=3]] hi", 5)).usage().outputTokens());
        var anthropicExpired = assertThrows(com.anthropic.errors.UnauthorizedException.class,
            () -> market.anthropic(expiring).messages().create(message("hi", 5)));
        assertTrue(anthropicExpired.apiMessage().orElseThrow().contains(") expired at "));
        assertThrows(com.anthropic.errors.PermissionDeniedException.class,
            () -> market.anthropic(elsewhere).messages().create(message("hi", 5)));
    }

    @Test
    void aBudgetStopsSpendingAtTheBudgetToTheNano() throws Exception {
        long budgetNano = 1_000_000; // $0.001 a day
        TestGateway.NewAccount account = market.gateway.createAccount(
            "{\"budget\":{\"amountUsdc\":\"0.001\",\"period\":\"day\"}}");
        Ledger ledger = market.gateway.bean(Ledger.class);
        String ledgerAccount = Billing.userAccount(account.accountId());
        long balanceBefore = ledger.balance(ledgerAccount).availableNano();
        var openAi = market.openAi(account.apiKey());

        long spentNano = 0;
        int answered = 0;
        OpenAIServiceException refusal = null;
        while (refusal == null && answered < 50) {
            try {
                ChatCompletion completion = openAi.chat().completions().create(chat("[[sim:tokens=20]] spend", 20));
                spentNano += Usdc.parse(String.valueOf(completion.usage().orElseThrow()._additionalProperties().get("cost")
                    .asString().orElseThrow()));
                answered++;
                awaitNothingHeld(account.apiKey()); // the next request must see this one charged, not held

            } catch (UnexpectedStatusCodeException e) {
                refusal = e;
            }
        }
        assertTrue(answered >= 1, "the budget covers at least one request");
        assertEquals(402, refusal.statusCode());
        assertEquals("key_budget_exceeded", refusal.code().orElseThrow());
        String message = refusal.getMessage();
        assertTrue(message.contains("API key budget ($0.001/day) exceeded: " + dollars(spentNano)
            + " of it is spent or held by running requests, and this request could cost up to $"), message);
        long nextMaxCost = Usdc.parse(message.substring(message.lastIndexOf("up to $") + 7, message.indexOf("; raise")));
        assertTrue(spentNano <= budgetNano, "spent " + spentNano);
        assertTrue(spentNano + nextMaxCost > budgetNano, "the refused request could have passed the budget");

        Map<?, ?> info = keyInfo(account.apiKey());
        Map<?, ?> budget = (Map<?, ?>) info.get("budget");
        assertEquals(Usdc.format(spentNano), budget.get("spentUsdc"));
        assertEquals("0", budget.get("heldUsdc"));
        assertEquals(Usdc.format(budgetNano - spentNano), budget.get("remainingUsdc"));
        awaitBalance(ledger, ledgerAccount, balanceBefore - spentNano);
    }

    private static String dollars(long nano) {
        String exact = Usdc.format(nano);
        int point = exact.indexOf('.');
        return "$" + (point < 0 ? exact + ".00" : exact.length() - point - 1 == 1 ? exact + "0" : exact);
    }

    private static Map<?, ?> keyInfo(String key) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(market.gateway.baseUrl() + "/v1/key")).header("authorization", "Bearer " + key).GET().build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return market.gateway.bean(JsonMapper.class).readValue(response.body(), Map.class);
    }

    /** Settles linger a moment after the answer; the balance reaches its final value within seconds. */
    private static void awaitBalance(Ledger ledger, String account, long expectedNano) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (ledger.balance(account).availableNano() != expectedNano && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(expectedNano, ledger.balance(account).availableNano());
    }

    private static void awaitNothingHeld(String secret) throws InterruptedException {
        KeyBudgets budgets = market.gateway.bean(KeyBudgets.class);
        ApiKey key = market.gateway.bean(KeyStore.class).findByHash(Secrets.hash(secret)).orElseThrow();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (budgets.snapshot(key).join().reservedNano() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, budgets.snapshot(key).join().reservedNano());
    }

    static void awaitNoSlotHeld(String key) throws InterruptedException {
        Limiter limiter = market.gateway.bean(Limiter.class);
        String subject = Admission.subject(market.gateway.bean(KeyStore.class).findByHash(Secrets.hash(key)).orElseThrow());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (limiter.usage(subject).slotsHeld() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, limiter.usage(subject).slotsHeld());
    }
}
