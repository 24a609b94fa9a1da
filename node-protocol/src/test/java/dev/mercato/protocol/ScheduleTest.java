package dev.mercato.protocol;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ScheduleTest {

    // 16 h online from 08:00 Berlin (07:00 UTC in winter), then 8 h rest until 08:00 next day.
    private final Schedule sixteenEight = new Schedule("Europe/Berlin", "2026-01-01T08:00", 16 * 60, 8 * 60);

    @Test
    void isOnlineFromStartForOnlineMinutes() {
        Schedule.Phase phase = sixteenEight.phaseAt(Instant.parse("2026-01-05T07:00:00Z"));
        assertEquals(new Schedule.Phase(true, Instant.parse("2026-01-05T23:00:00Z")), phase);
    }

    @Test
    void restsForRestMinutesThenReturns() {
        Schedule.Phase phase = sixteenEight.phaseAt(Instant.parse("2026-01-05T23:00:00Z"));
        assertEquals(new Schedule.Phase(false, Instant.parse("2026-01-06T07:00:00Z")), phase);
        assertEquals(new Schedule.Phase(false, Instant.parse("2026-01-06T07:00:00Z")),
            sixteenEight.phaseAt(Instant.parse("2026-01-06T06:59:59.999Z")));
    }

    @Test
    void instantsBeforeTheStartFollowTheSameCycle() {
        assertEquals(new Schedule.Phase(false, Instant.parse("2025-12-31T07:00:00Z")),
            sixteenEight.phaseAt(Instant.parse("2025-12-31T05:00:00Z")));
    }

    @Test
    void noRestMeansAlwaysOnline() {
        assertEquals(new Schedule.Phase(true, null), Schedule.ALWAYS_ONLINE.phaseAt(Instant.parse("2031-07-04T12:00:00Z")));
    }

    @Test
    void refusesNonsense() {
        assertThrows(IllegalArgumentException.class, () -> new Schedule("Mars/Olympus", "2026-01-01T08:00", 60, 60));
        assertThrows(IllegalArgumentException.class, () -> new Schedule("UTC", "yesterday", 60, 60));
        assertThrows(IllegalArgumentException.class, () -> new Schedule("UTC", "2026-01-01T08:00", 0, 60));
        assertThrows(IllegalArgumentException.class, () -> new Schedule("UTC", "2026-01-01T08:00", 60, -1));
    }
}
