package dev.mercato.gateway;

import dev.mercato.gateway.storage.DatabaseLocation;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.Micronaut;

/** Starts the gateway: resolves where the database lives, then boots Micronaut. */
public final class GatewayMain {

    private GatewayMain() {
    }

    public static void main(String[] args) {
        DatabaseLocation database = DatabaseLocation.resolve(System.getenv(), System.getProperties());
        ApplicationContext context = Micronaut.build(args)
            .mainClass(GatewayMain.class)
            .banner(false)
            .properties(database.micronautProperties())
            .start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (context.isRunning()) {
                context.stop();
            }
            database.close();
        }, "mercato-shutdown"));
    }
}
