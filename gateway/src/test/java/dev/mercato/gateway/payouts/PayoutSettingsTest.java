package dev.mercato.gateway.payouts;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PayoutSettingsTest {

    private static final Duration TEN_MINUTES = Duration.ofMinutes(10);
    private static final Duration THIRTY_DAYS = Duration.ofDays(30);

    @Test
    void theDefaultsAreAccepted() {
        PayoutSettings settings = new PayoutSettings("1", 100_000, 500, TEN_MINUTES, Duration.ofSeconds(15), THIRTY_DAYS);
        assertEquals(1_000_000_000L, settings.minAmountNano());
        assertEquals(Duration.ofDays(15), settings.sendBy());
    }

    @Test
    void eachMistakeNamesItsSetting() {
        assertEquals("mercato.payouts.min-amount-usdc must be a positive USDC amount with at most 6 decimals, was "
            + "'0.0000001'", assertThrows(IllegalArgumentException.class, () -> new PayoutSettings("0.0000001", 100_000,
            500, TEN_MINUTES, Duration.ofSeconds(15), THIRTY_DAYS)).getMessage());
        assertEquals("mercato.payouts.gas-limit must be 21000 to 1000000, was 20999",
            assertThrows(IllegalArgumentException.class, () -> new PayoutSettings("1", 20_999, 500, TEN_MINUTES,
                Duration.ofSeconds(15), THIRTY_DAYS)).getMessage());
        assertEquals("mercato.payouts.hold-expiry (PT39M) must be at least four times drop-after (PT10M), so a hold "
            + "outlives its payout's transactions", assertThrows(IllegalArgumentException.class,
            () -> new PayoutSettings("1", 100_000, 500, TEN_MINUTES, Duration.ofSeconds(15),
                Duration.ofMinutes(39))).getMessage());
    }

    @Test
    void durationsReadAsPeopleWriteThem() {
        assertEquals("1 ms", PayoutWorker.text(Duration.ofMillis(1)));
        assertEquals("90 s", PayoutWorker.text(Duration.ofSeconds(90)));
        assertEquals("10 min", PayoutWorker.text(TEN_MINUTES));
        assertEquals("36 h", PayoutWorker.text(Duration.ofHours(36)));
        assertEquals("15 days", PayoutWorker.text(Duration.ofDays(15)));
    }
}
