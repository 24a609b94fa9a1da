package dev.mercato.gateway.keys;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.Locale;

/** The period a key's spending budget renews in; periods are calendar periods in UTC (weeks start on Monday). */
public enum BudgetPeriod {
    DAY,
    WEEK,
    MONTH,
    LIFETIME;

    /** The name used in the API, the database and messages ("month"). */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static BudgetPeriod fromWire(String name) {
        for (BudgetPeriod period : values()) {
            if (period.wireName().equals(name)) {
                return period;
            }
        }
        throw new IllegalArgumentException("a budget period is one of day, week, month or lifetime, was '" + name + "'");
    }

    /** The start of the period that contains {@code now}; the epoch for a lifetime budget. */
    public Instant start(Instant now) {
        ZonedDateTime utc = now.atZone(ZoneOffset.UTC).truncatedTo(ChronoUnit.DAYS);
        return switch (this) {
            case DAY -> utc.toInstant();
            case WEEK -> utc.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY)).toInstant();
            case MONTH -> utc.withDayOfMonth(1).toInstant();
            case LIFETIME -> Instant.EPOCH;
        };
    }
}
