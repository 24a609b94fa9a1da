package dev.mercato.gateway.billing;

import dev.mercato.gateway.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

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
    void refusesAShareAboveTheWholeWithTheReason() {
        HttpResponse<String> response = gateway.adminCall("/admin/prices", "{\"modelId\":\"m\",\"inputPerMillionMicros\":1,"
            + "\"outputPerMillionMicros\":1,\"cacheWritePerMillionMicros\":1,\"cacheReadPerMillionMicros\":1,\"providerShareBps\":10001}");
        assertEquals(400, response.statusCode());
        assertEquals("{\"error\":{\"message\":\"providerShareBps must be between 0 and 10000, was 10001\","
            + "\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"invalid_request\"}}", response.body());
    }
}
