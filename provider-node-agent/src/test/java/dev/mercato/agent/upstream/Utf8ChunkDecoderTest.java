package dev.mercato.agent.upstream;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class Utf8ChunkDecoderTest {

    @Test
    void completesACharacterSplitAcrossBuffers() {
        byte[] bytes = "data: é😀€\n".getBytes(StandardCharsets.UTF_8);
        List<String> chunks = new ArrayList<>();
        Utf8ChunkDecoder decoder = new Utf8ChunkDecoder();

        // "é" is 2 bytes at 6..7, "😀" 4 bytes at 8..11, "€" 3 bytes at 12..14: cut inside each.
        decoder.decode(List.of(ByteBuffer.wrap(Arrays.copyOfRange(bytes, 0, 7))), chunks::add);
        decoder.decode(List.of(ByteBuffer.wrap(Arrays.copyOfRange(bytes, 7, 9))), chunks::add);
        decoder.decode(List.of(ByteBuffer.wrap(Arrays.copyOfRange(bytes, 9, 10))), chunks::add);
        decoder.decode(List.of(ByteBuffer.wrap(Arrays.copyOfRange(bytes, 10, 13))), chunks::add);
        decoder.decode(List.of(ByteBuffer.wrap(Arrays.copyOfRange(bytes, 13, bytes.length))), chunks::add);
        decoder.finish(chunks::add);

        assertEquals(List.of("data: ", "é", "😀", "€\n"), chunks);
    }

    @Test
    void sendsTheBuffersOfOneDeliveryAsOneChunk() {
        List<String> chunks = new ArrayList<>();

        new Utf8ChunkDecoder().decode(List.of(ByteBuffer.wrap("ab".getBytes(StandardCharsets.UTF_8)),
            ByteBuffer.wrap("cd".getBytes(StandardCharsets.UTF_8))), chunks::add);

        assertEquals(List.of("abcd"), chunks);
    }

    @Test
    void cutsLongBuffersIntoChunksOfTheLimitWithoutSplittingASurrogatePair() {
        List<String> chunks = new ArrayList<>();
        Utf8ChunkDecoder decoder = new Utf8ChunkDecoder(4);

        decoder.decode(List.of(ByteBuffer.wrap("abc😀defgh".getBytes(StandardCharsets.UTF_8))), chunks::add);

        assertEquals(List.of("abc", "😀de", "fgh"), chunks);
    }

    @Test
    void replacesAnIncompleteCharacterAtTheEndOfTheBody() {
        List<String> chunks = new ArrayList<>();
        Utf8ChunkDecoder decoder = new Utf8ChunkDecoder();

        decoder.decode(List.of(ByteBuffer.wrap(new byte[] {'o', 'k', (byte) 0xE2, (byte) 0x82})), chunks::add);
        decoder.finish(chunks::add);

        assertEquals(List.of("ok", "\uFFFD"), chunks);
    }
}
