package dev.mercato.protocol;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;

/**
 * A node's online/rest cycle, e.g. 16 h online then 8 h rest, repeating from {@code start}
 * (a local date-time in {@code timeZone}). Cycles are counted in elapsed time from the start,
 * so a 24 h cycle keeps its wall-clock hours except across a daylight-saving change.
 * {@code restMinutes == 0} means always online. Both sides evaluate the same schedule: the
 * agent to drain and rest, the gateway to never schedule onto a resting node.
 */
@Serdeable
public record Schedule(String timeZone, String start, int onlineMinutes, int restMinutes) {

    /** A cycle may not be longer than four weeks; anything longer is a configuration mistake. */
    public static final int MAX_CYCLE_MINUTES = 28 * 24 * 60;

    public static final Schedule ALWAYS_ONLINE = new Schedule("UTC", "2026-01-01T00:00", 24 * 60, 0);

    public Schedule {
        if (onlineMinutes <= 0) {
            throw new IllegalArgumentException("schedule: onlineMinutes must be positive, was " + onlineMinutes);
        }
        if (restMinutes < 0) {
            throw new IllegalArgumentException("schedule: restMinutes must not be negative, was " + restMinutes);
        }
        if (onlineMinutes + restMinutes > MAX_CYCLE_MINUTES) {
            throw new IllegalArgumentException("schedule: a cycle may last at most " + MAX_CYCLE_MINUTES
                + " minutes, was " + (onlineMinutes + restMinutes));
        }
        try {
            ZoneId.of(timeZone);
            LocalDateTime.parse(start);
        } catch (DateTimeException | NullPointerException e) {
            throw new IllegalArgumentException("schedule: bad timeZone '" + timeZone + "' or start '" + start
                + "' (expected e.g. Europe/Berlin and 2026-01-01T08:00)", e);
        }
    }

    /** Where in its cycle the node is at {@code now}. */
    public Phase phaseAt(Instant now) {
        if (restMinutes == 0) {
            return new Phase(true, null);
        }
        long cycleMillis = (onlineMinutes + restMinutes) * 60_000L;
        long onlineMillis = onlineMinutes * 60_000L;
        long anchorMillis = LocalDateTime.parse(start).atZone(ZoneId.of(timeZone)).toInstant().toEpochMilli();
        long intoCycleMillis = Math.floorMod(now.toEpochMilli() - anchorMillis, cycleMillis);
        boolean online = intoCycleMillis < onlineMillis;
        long untilChangeMillis = online ? onlineMillis - intoCycleMillis : cycleMillis - intoCycleMillis;
        return new Phase(online, now.plusMillis(untilChangeMillis));
    }

    /** Online or resting, and when that changes ({@code null}: never). */
    public record Phase(boolean online, @Nullable Instant nextChangeAt) {
    }
}
