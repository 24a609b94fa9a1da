package dev.mercato.gateway;

import dev.mercato.gateway.storage.DatabaseLocation;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.Micronaut;

/** Starts the gateway: resolves where the database lives, then boots Micronaut. */
public final class GatewayMain {

    /** How long shutdown waits for Micronaut to stop before the embedded database is closed anyway. */
    static final long STOP_WAIT_MILLIS = 20_000;

    private GatewayMain() {
    }

    public static void main(String[] args) {
        DatabaseLocation database = DatabaseLocation.resolve(System.getenv(), System.getProperties());
        ApplicationContext context = Micronaut.build(args)
            .mainClass(GatewayMain.class)
            .banner(false)
            .properties(database.micronautProperties())
            .start();
        // Micronaut's own shutdown hook stops the context; stopping it here as well deadlocks the two.
        // This hook only waits for that to finish, so the database outlives its last connection.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            long deadlineNanos = System.nanoTime() + STOP_WAIT_MILLIS * 1_000_000L;
            while (context.isRunning() && System.nanoTime() < deadlineNanos) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            database.close();
        }, "mercato-database-shutdown"));
    }
}
