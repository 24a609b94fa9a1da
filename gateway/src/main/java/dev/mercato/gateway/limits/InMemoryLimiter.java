package dev.mercato.gateway.limits;

import io.micronaut.context.annotation.Value;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The limiter of one gateway, exact at every instant: each subject keeps the times of the
 * requests (and token counts) of its last minute, so a window slides by the millisecond.
 * Memory is one long per request a subject may make in a minute (a limit of 60 keeps at most
 * 60), and subjects idle for a minute are dropped by a sweep.
 *
 * <p>Times are monotonic (a wall-clock step backwards must not reopen a window); they are
 * turned into wall-clock times only for the reset instants shown to people.
 */
@Singleton
public final class InMemoryLimiter implements Limiter {

    private static final long WINDOW_MILLIS = WINDOW.toMillis();

    private final ConcurrentHashMap<String, SubjectState> states = new ConcurrentHashMap<>();
    private final TimeSource time;
    private final int maxSubjects;

    @Inject
    public InMemoryLimiter(@Value("${mercato.limits.max-subjects:1000000}") int maxSubjects) {
        this(TimeSource.SYSTEM, maxSubjects);
    }

    InMemoryLimiter(TimeSource time, int maxSubjects) {
        if (maxSubjects < 1) {
            throw new IllegalArgumentException("mercato.limits.max-subjects must be at least 1, was " + maxSubjects);
        }
        this.time = time;
        this.maxSubjects = maxSubjects;
    }

    @Override
    public WindowDecision tryRequest(String subject, long limitPerMinute) {
        while (true) {
            SubjectState state = stateOf(subject);
            if (state == null) {
                return full(limitPerMinute);
            }
            synchronized (state) {
                if (!state.retired) {
                    return requestDecision(state, limitPerMinute, true);
                }
            }
        }
    }

    @Override
    public WindowDecision peekRequests(String subject, long limitPerMinute) {
        SubjectState state = states.get(subject);
        if (state == null) {
            long now = time.monotonicMillis();
            return new WindowDecision(true, limitPerMinute, limitPerMinute, 0, toEpoch(now, now));
        }
        synchronized (state) {
            return requestDecision(state, limitPerMinute, false);
        }
    }

    /** Under the state's lock: whether one more request fits, counting it when asked to and it does. */
    private WindowDecision requestDecision(SubjectState state, long limitPerMinute, boolean count) {
        long now = time.monotonicMillis();
        state.prune(now);
        LongRing times = state.requestTimes;
        if (times.size() < limitPerMinute) {
            if (count) {
                times.addLast(now);
            }
            long resetAt = times.size() == 0 ? now : times.peekLast() + WINDOW_MILLIS;
            return new WindowDecision(true, limitPerMinute, limitPerMinute - times.size(), 0, toEpoch(resetAt, now));
        }
        // The window has room again once all but limit-1 of its requests have left it.
        long freesAt = times.get((int) (times.size() - limitPerMinute)) + WINDOW_MILLIS;
        return new WindowDecision(false, limitPerMinute, 0, freesAt - now, toEpoch(times.peekLast() + WINDOW_MILLIS, now));
    }

    @Override
    public WindowDecision checkTokens(String subject, long limitPerMinute) {
        while (true) {
            SubjectState state = stateOf(subject);
            if (state == null) {
                return full(limitPerMinute);
            }
            synchronized (state) {
                if (state.retired) {
                    continue;
                }
                long now = time.monotonicMillis();
                state.prune(now);
                long resetAt = state.tokenTimes.size() == 0 ? now : state.tokenTimes.peekLast() + WINDOW_MILLIS;
                if (state.tokenSum < limitPerMinute) {
                    return new WindowDecision(true, limitPerMinute, limitPerMinute - state.tokenSum, 0,
                        toEpoch(resetAt, now));
                }
                long sum = state.tokenSum;
                int i = 0;
                while (sum >= limitPerMinute) {
                    sum -= state.tokenCounts.get(i++);
                }
                long freesAt = state.tokenTimes.get(i - 1) + WINDOW_MILLIS;
                return new WindowDecision(false, limitPerMinute, 0, freesAt - now, toEpoch(resetAt, now));
            }
        }
    }

    @Override
    public void addTokens(String subject, long tokens) {
        if (tokens <= 0) {
            return;
        }
        while (true) {
            SubjectState state = stateOf(subject);
            if (state == null) {
                return; // over max-subjects: this subject is refused anyway
            }
            synchronized (state) {
                if (state.retired) {
                    continue;
                }
                long now = time.monotonicMillis();
                state.prune(now);
                state.tokenTimes.addLast(now);
                state.tokenCounts.addLast(tokens);
                state.tokenSum = Math.addExact(state.tokenSum, tokens);
                return;
            }
        }
    }

    @Override
    public Slot tryAcquireSlot(String subject, int limit) {
        while (true) {
            SubjectState state = stateOf(subject);
            if (state == null) {
                return null;
            }
            synchronized (state) {
                if (state.retired) {
                    continue;
                }
                if (state.slotsHeld >= limit) {
                    return null;
                }
                state.slotsHeld++;
                return new HeldSlot(state);
            }
        }
    }

    @Override
    public Usage usage(String subject) {
        SubjectState state = states.get(subject);
        if (state == null) {
            return new Usage(0, 0, 0);
        }
        synchronized (state) {
            state.prune(time.monotonicMillis());
            return new Usage(state.requestTimes.size(), state.tokenSum, state.slotsHeld);
        }
    }

    /** Drops subjects with an empty window and no slot held, so memory follows the active subjects. */
    @Scheduled(fixedDelay = "60s", initialDelay = "60s")
    void sweep() {
        long now = time.monotonicMillis();
        states.forEach((subject, state) -> {
            synchronized (state) {
                state.prune(now);
                if (state.isIdle()) {
                    state.retired = true;
                    states.remove(subject, state);
                }
            }
        });
    }

    int subjectCount() {
        return states.size();
    }

    /** The subject's state, or null when a new subject would pass max-subjects even after a sweep. */
    private SubjectState stateOf(String subject) {
        SubjectState state = states.get(subject);
        if (state != null) {
            return state;
        }
        if (states.size() >= maxSubjects) {
            sweep();
            if (states.size() >= maxSubjects) {
                return null;
            }
        }
        return states.computeIfAbsent(subject, s -> new SubjectState());
    }

    /** Refuses a subject the limiter has no room to track (max-subjects): fail closed, retry in a window. */
    private WindowDecision full(long limit) {
        long now = time.monotonicMillis();
        return new WindowDecision(false, limit, 0, WINDOW_MILLIS, toEpoch(now + WINDOW_MILLIS, now));
    }

    private long toEpoch(long monotonicMillis, long monotonicNow) {
        return time.epochMillis() + (monotonicMillis - monotonicNow);
    }

    private static final class SubjectState {
        final LongRing requestTimes = new LongRing();
        final LongRing tokenTimes = new LongRing();
        final LongRing tokenCounts = new LongRing();
        long tokenSum;
        int slotsHeld;
        boolean retired;

        /** Forgets what left the window: an entry counted at t is in it while now < t + window. */
        void prune(long now) {
            long oldestKept = now - WINDOW_MILLIS;
            while (requestTimes.size() > 0 && requestTimes.peekFirst() <= oldestKept) {
                requestTimes.removeFirst();
            }
            while (tokenTimes.size() > 0 && tokenTimes.peekFirst() <= oldestKept) {
                tokenTimes.removeFirst();
                tokenSum -= tokenCounts.removeFirst();
            }
        }

        boolean isIdle() {
            return requestTimes.size() == 0 && tokenTimes.size() == 0 && slotsHeld == 0;
        }
    }

    private static final class HeldSlot implements Slot {
        private final SubjectState state;
        private final AtomicBoolean closed = new AtomicBoolean();

        HeldSlot(SubjectState state) {
            this.state = state;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                synchronized (state) {
                    state.slotsHeld--;
                }
            }
        }
    }

    /** Monotonic time for windows, wall-clock time for what is shown; a test moves both at will. */
    interface TimeSource {
        TimeSource SYSTEM = new TimeSource() {
            @Override
            public long monotonicMillis() {
                return System.nanoTime() / 1_000_000L;
            }

            @Override
            public long epochMillis() {
                return System.currentTimeMillis();
            }
        };

        long monotonicMillis();

        long epochMillis();
    }
}
