package dev.mercato.gateway.limits;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InMemoryLimiterTest {

    /** Time that moves only when the test says so; wall-clock time is monotonic time plus a fixed epoch. */
    private static final class TestTime implements InMemoryLimiter.TimeSource {
        static final long EPOCH_OFFSET_MILLIS = 1_800_000_000_000L;
        long nowMillis = 1_000_000;

        @Override
        public long monotonicMillis() {
            return nowMillis;
        }

        @Override
        public long epochMillis() {
            return EPOCH_OFFSET_MILLIS + nowMillis;
        }
    }

    private final TestTime time = new TestTime();
    private final InMemoryLimiter limiter = new InMemoryLimiter(time, 1000);

    @Test
    void admitsTheLimitInAMinuteAndTellsExactlyWhenTheNextFits() {
        for (int i = 0; i < 60; i++) {
            WindowDecision decision = limiter.tryRequest("key:1", 60);
            assertTrue(decision.admitted());
            assertEquals(59 - i, decision.remaining());
            time.nowMillis += 100; // 60 requests over 6 s
        }
        WindowDecision refused = limiter.tryRequest("key:1", 60);
        assertFalse(refused.admitted());
        // The first request was at t=0 and it is now t=6000: it leaves the window at t=60000.
        assertEquals(54_000, refused.retryAfterMillis());
        assertEquals(54, refused.retryAfterSeconds());
        assertEquals(TestTime.EPOCH_OFFSET_MILLIS + 1_000_000 + 5_900 + 60_000, refused.resetAtEpochMillis());

        time.nowMillis += 53_999;
        assertFalse(limiter.tryRequest("key:1", 60).admitted(), "one millisecond early");
        time.nowMillis += 1;
        assertTrue(limiter.tryRequest("key:1", 60).admitted(), "the first request has left the window");
        assertFalse(limiter.tryRequest("key:1", 60).admitted(), "the second leaves only 100 ms later");
    }

    @Test
    void hasNoDoubleBurstAtAWindowEdge() {
        // A fixed window would allow 60 at 0:59.9 and 60 more at 1:00.0; a sliding one never allows more than 60 in 60 s.
        time.nowMillis = 59_900;
        for (int i = 0; i < 60; i++) {
            assertTrue(limiter.tryRequest("key:2", 60).admitted());
        }
        time.nowMillis = 60_000;
        assertFalse(limiter.tryRequest("key:2", 60).admitted());
        time.nowMillis = 119_899;
        assertFalse(limiter.tryRequest("key:2", 60).admitted());
        time.nowMillis = 119_900;
        for (int i = 0; i < 60; i++) {
            assertTrue(limiter.tryRequest("key:2", 60).admitted());
        }
        assertFalse(limiter.tryRequest("key:2", 60).admitted());
    }

    @Test
    void aRefusedRequestIsNotCounted() {
        assertTrue(limiter.tryRequest("key:3", 1).admitted());
        for (int i = 0; i < 10; i++) {
            time.nowMillis += 1000;
            assertFalse(limiter.tryRequest("key:3", 1).admitted());
        }
        time.nowMillis += 50_000;
        assertTrue(limiter.tryRequest("key:3", 1).admitted());
        assertEquals(1, limiter.usage("key:3").requestsInWindow());
    }

    @Test
    void aLoweredLimitWaitsUntilEnoughRequestsHaveLeft() {
        for (int i = 0; i < 10; i++) {
            assertTrue(limiter.tryRequest("key:4", 10).admitted());
            time.nowMillis += 1000;
        }
        // Ten requests at t=0..9 s, now t=10 s, limit lowered to 3: room again when seven have left (t=67 s).
        WindowDecision refused = limiter.tryRequest("key:4", 3);
        assertFalse(refused.admitted());
        assertEquals(57_000, refused.retryAfterMillis());
    }

    @Test
    void peekingCountsNothing() {
        assertTrue(limiter.tryRequest("key:5", 2).admitted());
        WindowDecision peek = limiter.peekRequests("key:5", 2);
        assertTrue(peek.admitted());
        assertEquals(1, peek.remaining());
        assertEquals(1, limiter.usage("key:5").requestsInWindow());
        WindowDecision unknown = limiter.peekRequests("key:never-seen", 7);
        assertEquals(7, unknown.remaining());
    }

    @Test
    void tokensPerMinuteAdmitsWhileUnderTheLimitAndWaitsForEnoughTokensToLeave() {
        limiter.addTokens("key:6", 400);
        time.nowMillis += 10_000;
        limiter.addTokens("key:6", 500);
        time.nowMillis += 10_000;
        WindowDecision under = limiter.checkTokens("key:6", 1000);
        assertTrue(under.admitted());
        assertEquals(100, under.remaining());
        limiter.addTokens("key:6", 300); // 1200 in the window
        WindowDecision over = limiter.checkTokens("key:6", 1000);
        assertFalse(over.admitted());
        // Back under 1000 when the first 400 leave (t=60 s; now t=20 s).
        assertEquals(40_000, over.retryAfterMillis());
        WindowDecision tighter = limiter.checkTokens("key:6", 300);
        // Under 300 only once all three have left: the last, at t=20 s, leaves at t=80 s.
        assertEquals(60_000, tighter.retryAfterMillis());
        assertEquals(1200, limiter.usage("key:6").tokensInWindow());
    }

    @Test
    void slotsAreCappedAndAClosedSlotIsFreedOnce() {
        Limiter.Slot first = limiter.tryAcquireSlot("key:7", 2);
        Limiter.Slot second = limiter.tryAcquireSlot("key:7", 2);
        assertNotNull(first);
        assertNotNull(second);
        assertNull(limiter.tryAcquireSlot("key:7", 2));
        first.close();
        first.close(); // a second close must not free someone else's slot
        assertEquals(1, limiter.usage("key:7").slotsHeld());
        Limiter.Slot third = limiter.tryAcquireSlot("key:7", 2);
        assertNotNull(third);
        assertNull(limiter.tryAcquireSlot("key:7", 2));
        second.close();
        third.close();
        assertEquals(0, limiter.usage("key:7").slotsHeld());
    }

    @Test
    void theSweepForgetsIdleSubjectsButNotBusyOnes() {
        limiter.tryRequest("key:idle", 5);
        Limiter.Slot held = limiter.tryAcquireSlot("key:busy", 1);
        time.nowMillis += 60_000;
        limiter.sweep();
        assertEquals(1, limiter.subjectCount());
        assertNull(limiter.tryAcquireSlot("key:busy", 1));
        held.close();
        limiter.sweep();
        assertEquals(0, limiter.subjectCount());
    }

    @Test
    void refusesNewSubjectsBeyondItsBoundUntilOldOnesGoIdle() {
        InMemoryLimiter small = new InMemoryLimiter(time, 2);
        assertTrue(small.tryRequest("a", 10).admitted());
        assertTrue(small.tryRequest("b", 10).admitted());
        WindowDecision full = small.tryRequest("c", 10);
        assertFalse(full.admitted());
        assertEquals(60_000, full.retryAfterMillis());
        time.nowMillis += 60_000;
        assertTrue(small.tryRequest("c", 10).admitted(), "a and b went idle and were swept");
    }

    @Test
    void concurrentCallersNeverExceedTheLimitsAndGiveEverySlotBack() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(8);
        AtomicInteger admitted = new AtomicInteger();
        AtomicInteger maxHeld = new AtomicInteger();
        AtomicInteger held = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            done.add(threads.submit(() -> {
                start.await();
                for (int i = 0; i < 2000; i++) {
                    if (limiter.tryRequest("key:race", 5000).admitted()) {
                        admitted.incrementAndGet();
                    }
                    Limiter.Slot slot = limiter.tryAcquireSlot("key:race", 3);
                    if (slot != null) {
                        maxHeld.accumulateAndGet(held.incrementAndGet(), Math::max);
                        held.decrementAndGet();
                        slot.close();
                    }
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> future : done) {
            future.get();
        }
        threads.shutdown();
        assertEquals(5000, admitted.get());
        assertTrue(maxHeld.get() <= 3, "at most 3 slots at once, saw " + maxHeld.get());
        assertEquals(0, limiter.usage("key:race").slotsHeld());
    }
}
