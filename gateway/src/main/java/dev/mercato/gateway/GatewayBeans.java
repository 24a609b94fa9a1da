package dev.mercato.gateway;

import io.micronaut.context.annotation.Factory;
import io.micronaut.context.event.ApplicationEventListener;
import io.micronaut.runtime.server.event.ServerStartupEvent;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;

/** The gateway's clock (injected, so tests can control time) and its start-up line. */
@Factory
public class GatewayBeans {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayBeans.class);

    @Singleton
    Clock clock() {
        return Clock.systemUTC();
    }

    @Singleton
    ApplicationEventListener<ServerStartupEvent> announceStartup() {
        return event -> LOG.info("Mercato gateway listening on http://127.0.0.1:{} (nodes connect to "
            + "ws://127.0.0.1:{}/v1/nodes/connect)", event.getSource().getPort(), event.getSource().getPort());
    }
}
