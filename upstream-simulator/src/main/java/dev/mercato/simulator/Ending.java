package dev.mercato.simulator;

/** How a simulated response ends after its last part. */
public enum Ending {
    /** The body is complete. */
    COMPLETE,
    /** The connection dies after the parts: no terminating chunk, no clean close. */
    DROP
}
