package dev.mercato.agent.upstream;

/** One request in progress at an upstream. */
public interface UpstreamCall {

    /** Aborts the request; its sink receives nothing more. Calling it again does nothing. */
    void cancel();
}
