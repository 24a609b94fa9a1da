package dev.mercato.gateway.billing;

import dev.mercato.gateway.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Prices are data: set through the admin API, kept with their history, read by the request path. */
class PriceBookTest {

    private static TestGateway gateway;

    @BeforeAll
    static void start() {
        gateway = TestGateway.start();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void aModelWithoutItsOwnPriceCostsTheConfiguredDefault() {
        assertEquals(new ModelPrice("never-priced", 3_000_000, 15_000_000, 3_750_000, 300_000, 8000, 32_000, null),
            gateway.bean(PriceBook.class).current("never-priced"));
    }

    @Test
    void aChangeTakesEffectAndTheOldPriceStaysInTheHistory() {
        PriceBook book = gateway.bean(PriceBook.class);
        HttpResponse<String> first = gateway.adminCall("/admin/prices", "{\"modelId\":\"priced\",\"inputPerMillionMicros\":1000000,"
            + "\"outputPerMillionMicros\":2000000,\"cacheWritePerMillionMicros\":1250000,\"cacheReadPerMillionMicros\":100000}");
        assertEquals(201, first.statusCode(), first.body());
        gateway.adminCall("/admin/prices", "{\"modelId\":\"priced\",\"inputPerMillionMicros\":5,\"outputPerMillionMicros\":6,"
            + "\"cacheWritePerMillionMicros\":7,\"cacheReadPerMillionMicros\":8,\"providerShareBps\":7000,\"maxOutputTokens\":99}");

        ModelPrice now = book.current("priced");
        assertEquals(new ModelPrice("priced", 5, 6, 7, 8, 7000, 99, now.effectiveFrom()), now);
        assertNotNull(now.effectiveFrom());
        List<ModelPrice> history = book.history("priced");
        assertEquals(2, history.size());
        assertEquals(now, history.get(0));
        assertEquals(new ModelPrice("priced", 1_000_000, 2_000_000, 1_250_000, 100_000, 8000, 32_000,
            history.get(1).effectiveFrom()), history.get(1));
    }

    @Test
    void configurationSeedsAModelWithoutAPriceAndNeverOverwritesOneSetSince() {
        Map<String, Object> seeded = Map.of("mercato.pricing.models", List.of(
            Map.of("model", "seeded-model", "input-per-million-micros", 250_000, "output-per-million-micros", 2_000_000,
                "max-output-tokens", 8_192)));
        try (TestGateway first = TestGateway.start(seeded)) {
            ModelPrice price = first.bean(PriceBook.class).current("seeded-model");
            // Fields not written fall back to the defaults: cache prices, the share.
            assertEquals(new ModelPrice("seeded-model", 250_000, 2_000_000, 3_750_000, 300_000, 8000, 8_192,
                price.effectiveFrom()), price);
            HttpResponse<String> changed = first.adminCall("/admin/prices", "{\"modelId\":\"seeded-model\","
                + "\"inputPerMillionMicros\":1,\"outputPerMillionMicros\":2,\"cacheWritePerMillionMicros\":3,"
                + "\"cacheReadPerMillionMicros\":4}");
            assertEquals(201, changed.statusCode(), changed.body());
        }
        try (TestGateway second = TestGateway.start(seeded)) {
            PriceBook book = second.bean(PriceBook.class);
            assertEquals(List.of(1L, 250_000L), book.history("seeded-model").stream()
                .map(ModelPrice::inputPerMillionMicros).toList());
        }
    }

    @Test
    void aMalformedSeedNamesTheEntryAndTheField() {
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class, () -> PriceSeeds.parse(List.of(
            Map.of("model", "a"), Map.of("model", "b", "output-per-million-micros", "lots")),
            gateway.bean(PricingSettings.class)));
        assertEquals("mercato.pricing.models[1] (b): output-per-million-micros must be a whole number, was lots",
            wrong.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> PriceSeeds.parse(List.of(
            Map.of("model", "a", "input-per-millon-micros", 1)), gateway.bean(PricingSettings.class)));
        assertEquals("mercato.pricing.models[0] has an unknown field 'input-per-millon-micros'; known: [model, "
            + "input-per-million-micros, output-per-million-micros, cache-write-per-million-micros, "
            + "cache-read-per-million-micros, provider-share-bps, max-output-tokens]", unknown.getMessage());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> PriceSeeds.parse(List.of(
            Map.of("model", "a"), Map.of("model", "a")), gateway.bean(PricingSettings.class)));
        assertEquals("mercato.pricing.models[1] prices a a second time", twice.getMessage());
    }

    @Test
    void refusesAShareAboveTheWholeWithTheReason() {
        HttpResponse<String> response = gateway.adminCall("/admin/prices", "{\"modelId\":\"m\",\"inputPerMillionMicros\":1,"
            + "\"outputPerMillionMicros\":1,\"cacheWritePerMillionMicros\":1,\"cacheReadPerMillionMicros\":1,\"providerShareBps\":10001}");
        assertEquals(400, response.statusCode());
        assertEquals("{\"error\":{\"message\":\"providerShareBps must be between 0 and 10000, was 10001\","
            + "\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"invalid_request\"}}", response.body());
    }
}
