package dev.mercato.e2e;

import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.core.http.HttpResponseFor;
import com.openai.models.chat.completions.ChatCompletion;
import dev.mercato.agent.NodeAgent;
import dev.mercato.agent.config.ModelConfig;
import dev.mercato.gateway.billing.Billing;
import dev.mercato.gateway.billing.Pricing;
import dev.mercato.gateway.billing.PriceBook;
import dev.mercato.ledger.Ledger;
import dev.mercato.ledger.Usdc;
import dev.mercato.protocol.Protocol;
import dev.mercato.simulator.SimulatorSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real agents, one of whose upstreams fails every request: the consumer never sees that node's
 * failures, every answer comes from the healthy node, and only the healthy node's operator is
 * paid.
 */
class FailoverTest {

    private static final String MODEL = "gpt-sim-failover";
    /** With a random first choice between two equal nodes, all of them miss the broken node with odds of 2⁻²⁰. */
    private static final int REQUESTS = 20;

    private static Marketplace market;
    private static NodeAgent broken;
    private static NodeAgent healthy;

    @BeforeAll
    static void start() {
        // Without stickiness every request picks between the two nodes afresh, so the broken one is met.
        market = Marketplace.start(Map.of("mercato.relay.sticky-seconds", 0));
        List<ModelConfig> models = List.of(new ModelConfig(MODEL, Protocol.OPENAI, null, null));
        broken = market.startAgent("broken-op", SimulatorSettings.defaults().withFailures(1.0, "server_error"), 4, models);
        healthy = market.startAgent("healthy-op", SimulatorSettings.defaults(), 4, models);
    }

    @AfterAll
    static void stop() {
        market.close();
    }

    @Test
    void everyRequestIsAnsweredByTheHealthyNodeWhichAloneIsPaid() throws Exception {
        Ledger ledger = market.gateway.bean(Ledger.class);
        String healthyAccount = Billing.providerAccount(market.operatorIdOf(healthy));
        String brokenAccount = Billing.providerAccount(market.operatorIdOf(broken));
        long sharesNano = 0;
        for (int i = 0; i < REQUESTS; i++) {
            HttpResponseFor<ChatCompletion> raw = market.openAi().chat().completions().withRawResponse().create(
                ChatCompletionCreateParams.builder().model(MODEL).addUserMessage("[[sim:tokens=7]] hi").build());
            ChatCompletion completion = raw.parse();
            assertEquals(200, raw.statusCode());
            assertEquals("healthy-op/", raw.headers().values("x-mercato-node").getFirst().substring(0, 11));
            var usage = completion.usage().orElseThrow();
            long cost = Usdc.parse(String.valueOf(usage._additionalProperties().get("cost").asString().orElseThrow()));
            assertEquals(Pricing.costNano(new dev.mercato.protocol.TokenUsage(usage.promptTokens(),
                usage.completionTokens(), 0, 0, 0), market.gateway.bean(PriceBook.class).current(MODEL)), cost);
            sharesNano += Pricing.providerShareNano(cost, 8000);
        }
        // Nodes of equal load are chosen at random, so the broken node was tried first about half the time.
        long failedOver = broken.stats().failed();
        assertTrue(failedOver >= 1 && failedOver <= REQUESTS, "the broken node failed " + failedOver + " requests");
        assertEquals(REQUESTS, healthy.stats().served());
        long expectedShares = sharesNano;
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (ledger.balance(healthyAccount).availableNano() != expectedShares && System.nanoTime() < deadline) {
            Thread.sleep(25);
        }
        assertEquals(expectedShares, ledger.balance(healthyAccount).availableNano());
        // The broken operator served nothing, so its ledger account was never even opened.
        assertThrows(IllegalArgumentException.class, () -> ledger.balance(brokenAccount));
    }
}
