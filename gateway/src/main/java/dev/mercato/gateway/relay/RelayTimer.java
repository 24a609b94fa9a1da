package dev.mercato.gateway.relay;

import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.netty.util.HashedWheelTimer;
import jakarta.inject.Singleton;

import java.util.concurrent.TimeUnit;

/** One timer wheel for every request deadline: cheap to arm and disarm at hundreds per second. */
@Factory
final class RelayTimer {

    @Singleton
    @Bean(preDestroy = "stop")
    HashedWheelTimer deadlineTimer() {
        return new HashedWheelTimer(runnable -> {
            Thread thread = new Thread(runnable, "mercato-deadlines");
            thread.setDaemon(true);
            return thread;
        }, 10, TimeUnit.MILLISECONDS);
    }
}
