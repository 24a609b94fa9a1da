package dev.mercato.agent.rest;

import dev.mercato.protocol.NodeFrame;
import dev.mercato.protocol.NodeState;
import dev.mercato.protocol.Schedule;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RestWindowsTest {

    /** A clock the test moves by hand. */
    private static final class ManualClock extends Clock {
        private volatile Instant now;

        ManualClock(Instant now) {
            this.now = now;
        }

        void set(String instant) {
            now = Instant.parse(instant);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    // One hour online from midnight, then 30 minutes of rest, repeating.
    private static final Schedule SCHEDULE = new Schedule("UTC", "2026-01-01T00:00", 60, 30);

    @Test
    void drainsWhenARestWindowStartsRestsOnceIdleAndComesBackOnline() {
        ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:10:00Z"));
        AtomicInteger inFlight = new AtomicInteger(1);
        RestWindows rest = new RestWindows(SCHEDULE, clock, inFlight::get);
        List<NodeFrame.Status> announced = new ArrayList<>();
        rest.onChange(announced::add);

        rest.tick();
        clock.set("2026-01-01T01:05:00Z");
        rest.tick();
        boolean acceptedWhileDraining = rest.acceptsWork();
        rest.tick();
        inFlight.set(0);
        rest.tick();
        clock.set("2026-01-01T01:31:00Z");
        rest.tick();

        long restEnds = Instant.parse("2026-01-01T01:30:00Z").toEpochMilli();
        long nextRest = Instant.parse("2026-01-01T02:30:00Z").toEpochMilli();
        assertEquals(List.of(new NodeFrame.Status(NodeState.DRAINING, 1, restEnds),
            new NodeFrame.Status(NodeState.RESTING, 0, restEnds),
            new NodeFrame.Status(NodeState.ONLINE, 0, nextRest)), announced);
        assertFalse(acceptedWhileDraining);
        assertTrue(rest.acceptsWork());
    }

    @Test
    void startsRestingWhenStartedInsideARestWindow() {
        RestWindows rest = new RestWindows(SCHEDULE, new ManualClock(Instant.parse("2026-01-01T01:15:00Z")), () -> 0);

        assertEquals(new NodeFrame.Status(NodeState.RESTING, 0, Instant.parse("2026-01-01T01:30:00Z").toEpochMilli()),
            rest.status());
    }

    @Test
    void shuttingDownDrainsWhateverTheScheduleSays() {
        RestWindows rest = new RestWindows(Schedule.ALWAYS_ONLINE, Clock.systemUTC(), () -> 2);
        List<NodeFrame.Status> announced = new ArrayList<>();
        rest.onChange(announced::add);

        rest.shutDown();
        rest.tick();

        assertEquals(List.of(new NodeFrame.Status(NodeState.DRAINING, 2, null)), announced);
    }
}
