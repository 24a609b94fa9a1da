package dev.mercato.gateway.relay;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SseEventSplitterTest {

    private final List<String> events = new ArrayList<>();
    private final List<String> oversized = new ArrayList<>();

    @Test
    void cutsWholeEventsOutOfArbitraryPieces() {
        SseEventSplitter splitter = new SseEventSplitter(1024);
        splitter.feed("event: a\ndata: 1\n\nevent: b\nda", events::add, oversized::add);
        assertEquals(List.of("event: a\ndata: 1\n\n"), events);
        splitter.feed("ta: 2\n", events::add, oversized::add);
        splitter.feed("\ndata: 3\n\n", events::add, oversized::add);
        assertEquals(List.of("event: a\ndata: 1\n\n", "event: b\ndata: 2\n\n", "data: 3\n\n"), events);
        assertEquals("", splitter.drain());
    }

    @Test
    void acceptsCrlfBlankLines() {
        SseEventSplitter splitter = new SseEventSplitter(1024);
        splitter.feed("data: 1\n\r\ndata: 2\n\n", events::add, oversized::add);
        assertEquals(List.of("data: 1\n\r\n", "data: 2\n\n"), events);
    }

    @Test
    void passesOnAnOversizedEventUnexaminedInsteadOfHoldingIt() {
        SseEventSplitter splitter = new SseEventSplitter(8);
        splitter.feed("data: 0123456789", events::add, oversized::add);
        assertEquals(List.of(), events);
        assertEquals(List.of("data: 0123456789"), oversized);
        // Its terminator follows in order; no byte is lost or reordered.
        splitter.feed("\n\n", events::add, oversized::add);
        assertEquals(List.of("\n\n"), events);
        assertEquals("", splitter.drain());
    }

    @Test
    void keepsAnUnfinishedTailForDrain() {
        SseEventSplitter splitter = new SseEventSplitter(1024);
        splitter.feed("data: [DONE]", events::add, oversized::add);
        assertEquals(List.of(), events);
        assertEquals("data: [DONE]", splitter.drain());
    }
}
