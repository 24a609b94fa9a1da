package dev.mercato.bench;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

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
    void dispatchDropsWhatWouldExceedTheInFlightLimitAndCountsTheMeasuredDrops() throws InterruptedException {
        long startNanos = System.nanoTime();
        OpenLoopSchedule schedule = new OpenLoopSchedule(startNanos, 1_000); // one operation due every 1 ms
        CountDownLatch release = new CountDownLatch(1);
        List<Long> started = new CopyOnWriteArrayList<>();
        AtomicInteger beforeMeasured = new AtomicInteger();
        AtomicInteger droppedMeasured = new AtomicInteger();
        try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
            // Ten operations are due (0 to 9 ms), the last five measured; the first holds the only slot.
            schedule.dispatch(workers, startNanos + 5_000_000, startNanos + 10_000_000, 1,
                beforeMeasured::incrementAndGet, droppedMeasured::incrementAndGet, (dueNanos, measured) -> {
                    started.add(dueNanos - startNanos);
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            release.countDown();
        }

        assertEquals(List.of(0L), started);
        assertEquals(5, beforeMeasured.get());
        assertEquals(5, droppedMeasured.get());
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
