package dev.mercato.gateway.node;

import io.micronaut.context.annotation.ConfigurationProperties;

/** Node hub settings (application.yml: mercato.nodes). */
@ConfigurationProperties("mercato.nodes")
public record NodeSettings(int heartbeatSeconds, long helloTimeoutMillis) {

    /** A node silent for this many heartbeats is dropped. */
    public static final int MISSED_BEATS_BEFORE_DROP = 3;
}
