package dev.mercato.gateway.keys;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BudgetPeriodTest {

    private static final Instant THURSDAY_EVENING = Instant.parse("2026-12-03T20:45:12.345Z");

    @Test
    void periodsAreCalendarPeriodsInUtc() {
        assertEquals(Instant.parse("2026-12-03T00:00:00Z"), BudgetPeriod.DAY.start(THURSDAY_EVENING));
        assertEquals(Instant.parse("2026-11-30T00:00:00Z"), BudgetPeriod.WEEK.start(THURSDAY_EVENING));
        assertEquals(Instant.parse("2026-12-01T00:00:00Z"), BudgetPeriod.MONTH.start(THURSDAY_EVENING));
        assertEquals(Instant.EPOCH, BudgetPeriod.LIFETIME.start(THURSDAY_EVENING));
        assertEquals(Instant.parse("2026-11-30T00:00:00Z"), BudgetPeriod.WEEK.start(Instant.parse("2026-11-30T00:00:00Z")));
    }

    @Test
    void budgetsReadAsPeopleWriteThem() {
        assertEquals("$10.00/month", new KeyLimits.Budget(10_000_000_000L, BudgetPeriod.MONTH).describe());
        assertEquals("$0.50/day", new KeyLimits.Budget(500_000_000L, BudgetPeriod.DAY).describe());
        assertEquals("$0.000001234/week", new KeyLimits.Budget(1_234L, BudgetPeriod.WEEK).describe());
        assertEquals("$25.00 lifetime", new KeyLimits.Budget(25_000_000_000L, BudgetPeriod.LIFETIME).describe());
    }
}
