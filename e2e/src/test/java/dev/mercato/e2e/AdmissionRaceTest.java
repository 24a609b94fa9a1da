package dev.mercato.e2e;

import dev.mercato.gateway.TestGateway;
import dev.mercato.gateway.billing.Billing;
import dev.mercato.gateway.billing.PriceBook;
import dev.mercato.gateway.billing.Pricing;
import dev.mercato.ledger.Ledger;
import dev.mercato.simulator.SimulatorSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** N requests race for a balance that covers exactly k of their maximum costs: exactly k get in. */
class AdmissionRaceTest {

    private static final int RACERS = 12;
    private static final int FITTING = 5;

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

    @Test
    void admitsExactlyAsManyAsTheBalanceCoversAndRefusesTheRestWith402() throws Exception {
        // Every admitted request stays open for 3 s, so no hold is released while the others race.
        String body = "{\"model\":\"" + Marketplace.GPT + "\",\"max_tokens\":1000,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"[[sim:latency-ms=3000]] race\"}]}";
        long maxCost = Pricing.maxCostNano(body.getBytes(StandardCharsets.UTF_8).length, 1000,
            market.gateway.bean(PriceBook.class).current(Marketplace.GPT));

        TestGateway.NewAccount racer = market.gateway.createAccount();
        Ledger ledger = market.gateway.bean(Ledger.class);
        String account = Billing.userAccount(racer.accountId());
        // Spend the starting credit down to exactly FITTING maximum costs (and one nano short of one more).
        long surplus = ledger.balance(account).availableNano() - FITTING * maxCost;
        ledger.transfer(dev.mercato.ledger.TransferIds.of("test-spend", account), account, Billing.DEV_CREDIT_SOURCE,
            surplus, "test", "spend down");
        assertEquals(FITTING * maxCost, ledger.balance(account).availableNano());

        HttpClient http = HttpClient.newBuilder().build();
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<HttpResponse<String>>> racers = new ArrayList<>();
        for (int i = 0; i < RACERS; i++) {
            racers.add(CompletableFuture.supplyAsync(() -> {
                try {
                    go.await();
                    return http.send(HttpRequest.newBuilder(URI.create(market.gateway.openAiBaseUrl() + "/chat/completions"))
                        .header("authorization", "Bearer " + racer.apiKey()).header("content-type", "application/json")
                        .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        go.countDown();
        int admitted = 0;
        int refused = 0;
        for (CompletableFuture<HttpResponse<String>> result : racers) {
            HttpResponse<String> response = result.get();
            if (response.statusCode() == 200) {
                admitted++;
            } else {
                assertEquals(402, response.statusCode(), response.body());
                assertTrue(response.body().contains("\"code\":\"insufficient_balance\""), response.body());
                refused++;
            }
        }
        assertEquals(FITTING, admitted);
        assertEquals(RACERS - FITTING, refused);
        assertTrue(ledger.balance(account).availableNano() >= 0);
        assertTrue(ledger.checkInvariants().isEmpty(), String.valueOf(ledger.checkInvariants()));
    }
}
