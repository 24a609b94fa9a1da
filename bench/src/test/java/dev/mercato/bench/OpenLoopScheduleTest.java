package dev.mercato.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OpenLoopScheduleTest {

    @Test
    void spacesOperationsByOnePeriodFromTheStart() {
        OpenLoopSchedule schedule = new OpenLoopSchedule(1_000, 300);

        assertEquals(1_000, schedule.dueNanos(0));
        assertEquals(3_334_333, schedule.dueNanos(1));
        assertEquals(10_001_000, schedule.dueNanos(3));
        assertEquals(1_000_001_000, schedule.dueNanos(300));
    }

    @Test
    void roundsEachDueTimeFromTheStartSoRoundingNeverAccumulates() {
        OpenLoopSchedule schedule = new OpenLoopSchedule(0, 3);

        assertEquals(333_333_333, schedule.dueNanos(1));
        assertEquals(666_666_667, schedule.dueNanos(2));
        assertEquals(1_000_000_000, schedule.dueNanos(3));
        assertEquals(3_600_000_000_000L, schedule.dueNanos(3 * 3_600));
    }

    @Test
    void keepsTheScheduleWhenTheStartIsANegativeNanoTime() {
        OpenLoopSchedule schedule = new OpenLoopSchedule(-5_000_000_000L, 2);

        assertEquals(-4_500_000_000L, schedule.dueNanos(1));
    }

    @Test
    void refusesARateThatIsNotAPositiveNumber() {
        for (double rate : new double[] {0, -300, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertEquals("an open-loop rate must be a positive number, was " + rate,
                assertThrows(IllegalArgumentException.class, () -> new OpenLoopSchedule(0, rate)).getMessage());
        }
    }

    @Test
    void refusesANegativeOperationIndex() {
        assertEquals("operation index must not be negative, was -1", assertThrows(IllegalArgumentException.class,
            () -> new OpenLoopSchedule(0, 300).dueNanos(-1)).getMessage());
    }

    @Test
    void sleepsUntilTheDueTimeHasPassed() {
        long dueNanos = System.nanoTime() + 3_000_000;

        OpenLoopSchedule.sleepUntil(dueNanos);

        assertTrue(System.nanoTime() >= dueNanos);
    }
}
