package dev.mercato.protocol;

import io.micronaut.json.JsonMapper;
import io.micronaut.core.type.Argument;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Turns frames into WebSocket text and back; the one place both sides encode frames. */
@Singleton
public final class FrameCodec {

    /**
     * Largest frame either side accepts. Chunks are cut well below it (see
     * {@link #MAX_CHUNK_CHARS}); a request body is bounded by the gateway's body limit.
     */
    public static final int MAX_FRAME_BYTES = 16 * 1024 * 1024;

    /** The agent cuts an upstream body into chunks of at most this many characters. */
    public static final int MAX_CHUNK_CHARS = 64 * 1024;

    private static final Argument<NodeFrame> FRAME = Argument.of(NodeFrame.class);

    private final JsonMapper jsonMapper;

    public FrameCodec(JsonMapper jsonMapper) {
        this.jsonMapper = jsonMapper;
    }

    public String encode(NodeFrame frame) {
        try {
            return new String(jsonMapper.writeValueAsBytes(FRAME, frame), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode " + frame.getClass().getSimpleName() + " frame", e);
        }
    }

    /** @throws MalformedFrameException when the text is not one well-formed frame */
    public NodeFrame decode(String text) {
        if (text.length() > MAX_FRAME_BYTES) {
            throw new MalformedFrameException("frame of " + text.length() + " characters exceeds the limit of "
                + MAX_FRAME_BYTES);
        }
        try {
            NodeFrame frame = jsonMapper.readValue(text, FRAME);
            if (frame == null) {
                throw new MalformedFrameException("empty frame");
            }
            return frame;
        } catch (IOException | RuntimeException e) {
            if (e instanceof MalformedFrameException malformed) {
                throw malformed;
            }
            throw new MalformedFrameException("malformed frame: " + e.getMessage());
        }
    }

    /** A peer sent something that is not a frame of this protocol. */
    public static final class MalformedFrameException extends RuntimeException {
        public MalformedFrameException(String message) {
            super(message);
        }
    }
}
