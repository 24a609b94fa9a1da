package dev.mercato.gateway;

import dev.mercato.gateway.storage.DatabaseLocation;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.Micronaut;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicReference;

/** Starts the gateway: resolves where the database lives, then boots Micronaut. */
public final class GatewayMain {

    /** How long shutdown waits for Micronaut to stop before the embedded database is closed anyway. */
    static final long STOP_WAIT_MILLIS = 20_000;

    private GatewayMain() {
    }

    public static void main(String[] args) {
        DatabaseLocation database = DatabaseLocation.resolve(System.getenv(), System.getProperties());
        AtomicReference<ApplicationContext> started = new AtomicReference<>();
        // Registered before start-up, so an embedded database is stopped even when start-up fails
        // (a migration refused, a port taken) and the JVM exits. Micronaut's own shutdown hook stops
        // the context; stopping it here as well deadlocks the two, so this hook only waits for that
        // to finish, and the database outlives its last connection.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            ApplicationContext context = started.get();
            long deadlineNanos = System.nanoTime() + STOP_WAIT_MILLIS * 1_000_000L;
            while (context != null && context.isRunning() && System.nanoTime() < deadlineNanos) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            database.close();
        }, "mercato-database-shutdown"));
        try {
            started.set(Micronaut.build(args)
                .mainClass(GatewayMain.class)
                .banner(false)
                .properties(database.micronautProperties())
                .start());
        } catch (RuntimeException startFailed) {
            LoggerFactory.getLogger(GatewayMain.class).error("The gateway did not start", startFailed);
            System.exit(1); // runs the hook above, which stops the embedded database

        }
    }
}
