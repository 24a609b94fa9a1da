package dev.mercato.agent.upstream;

import dev.mercato.protocol.FrameCodec;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;

/**
 * Turns an upstream body, arriving in arbitrary byte buffers, into text chunks of at most
 * {@link FrameCodec#MAX_CHUNK_CHARS} characters. A multi-byte character split across two
 * buffers is carried over and completed by the next one, so no chunk holds half a character.
 * Not thread-safe: one per body, fed in order.
 */
public final class Utf8ChunkDecoder {

    /** The longest UTF-8 sequence is four bytes, so at most three can wait for their rest. */
    private static final int MAX_CARRIED_BYTES = 4;

    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPLACE)
        .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private final ByteBuffer carry = ByteBuffer.allocate(MAX_CARRIED_BYTES);
    private final CharBuffer out;

    public Utf8ChunkDecoder() {
        this(FrameCodec.MAX_CHUNK_CHARS);
    }

    /** @param maxChunkChars at least 2, so that a surrogate pair always fits in one chunk */
    public Utf8ChunkDecoder(int maxChunkChars) {
        if (maxChunkChars < 2) {
            throw new IllegalArgumentException("maxChunkChars must be at least 2, was " + maxChunkChars);
        }
        this.out = CharBuffer.allocate(maxChunkChars);
    }

    /** Decodes the buffers received together and hands their complete characters to {@code chunks}. */
    public void decode(List<ByteBuffer> buffers, Consumer<String> chunks) {
        for (ByteBuffer buffer : buffers) {
            decode(buffer, chunks);
        }
        emit(chunks);
    }

    /** Decodes what remains at the end of the body; incomplete trailing bytes become U+FFFD. */
    public void finish(Consumer<String> chunks) {
        carry.flip();
        drain(carry, true, chunks);
        carry.clear();
        while (decoder.flush(out) == CoderResult.OVERFLOW) {
            emit(chunks);
        }
        emit(chunks);
    }

    private void decode(ByteBuffer in, Consumer<String> chunks) {
        // Complete a character left over from the previous buffer one byte at a time, so the
        // rest of this buffer is decoded in place instead of being copied behind the carry.
        while (carry.position() > 0 && in.hasRemaining()) {
            carry.put(in.get());
            carry.flip();
            drain(carry, false, chunks);
            carry.compact();
        }
        drain(in, false, chunks);
        if (in.hasRemaining()) {
            carry.put(in);
        }
    }

    private void drain(ByteBuffer in, boolean endOfInput, Consumer<String> chunks) {
        while (true) {
            CoderResult result = decoder.decode(in, out, endOfInput);
            if (result.isOverflow()) {
                emit(chunks);
                continue;
            }
            if (result.isUnderflow()) {
                return;
            }
            throw new IllegalStateException("unexpected decoder result " + result);
        }
    }

    private void emit(Consumer<String> chunks) {
        if (out.position() == 0) {
            return;
        }
        out.flip();
        String chunk = out.toString();
        out.clear();
        chunks.accept(chunk);
    }
}
