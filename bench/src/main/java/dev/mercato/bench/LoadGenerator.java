package dev.mercato.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP/1.1 load generator for Mercato's hot-path benchmark: open loop at a fixed rate (latency
 * counted from each request's scheduled start, so a stall is never hidden) or closed loop at saturation.
 */
public final class LoadGenerator {

    /** Time allowed after the last scheduled request for the ones still in flight, beyond their own timeout. */
    private static final long DRAIN_GRACE_MILLIS = 5_000;
    /** Connecting to 127.0.0.1 either works at once or not at all. */
    private static final int CONNECT_TIMEOUT_MILLIS = 2_000;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final LoadOptions options;
    private final byte[] request;
    private final Measurements measurements = new Measurements();
    private final ConnectionPool pool;
    private final long timeoutNanos;

    LoadGenerator(LoadOptions options, byte[] body) {
        this.options = options;
        this.request = buildRequest(options, body);
        int poolSize = options.saturate() ? options.connections() : options.maxInFlight();
        this.pool = new ConnectionPool(options.url().getHost(), options.port(), CONNECT_TIMEOUT_MILLIS, poolSize);
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(options.timeoutMillis());
    }

    public static void main(String[] args) throws IOException {
        LoadOptions options;
        try {
            options = LoadOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("load generator: " + e.getMessage());
            System.err.print(LoadOptions.USAGE);
            System.exit(2);
            return;
        }
        byte[] body = options.bodyFile() == null ? null : Files.readAllBytes(options.bodyFile());
        RunReport report = new LoadGenerator(options, body).run();
        System.out.print(report.toText());
        if (options.jsonOut() != null) {
            Path parent = options.jsonOut().toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Files.writeString(options.jsonOut(), report.toJson() + "\n");
        }
    }

    /** Runs warm-up and measurement, then returns what the measured requests did. */
    RunReport run() throws IOException {
        ProcessCpu watched = new ProcessCpu(options.cpuPids(), options.clockTicksPerSecond(), Path.of("/proc"));
        ProcessCpu self = new ProcessCpu(List.of(ProcessHandle.current().pid()), options.clockTicksPerSecond(),
            Path.of("/proc"));
        long startNanos = System.nanoTime();
        long measureStartNanos = startNanos + TimeUnit.SECONDS.toNanos(options.warmupSeconds());
        long measureEndNanos = measureStartNanos + TimeUnit.SECONDS.toNanos(options.durationSeconds());
        CpuWindow cpu = new CpuWindow(watched, self);
        try (pool) {
            if (options.saturate()) {
                runClosedLoop(measureStartNanos, measureEndNanos, cpu);
            } else {
                runOpenLoop(startNanos, measureStartNanos, measureEndNanos, cpu);
            }
            cpu.stop();
        }
        double measuredSeconds = (double) (measureEndNanos - measureStartNanos) / NANOS_PER_SECOND;
        return RunReport.from(options, measurements, measuredSeconds, pool.openedConnections(), cpu.usage());
    }

    /**
     * Dispatches request i at start + i / rate whatever happened to the earlier ones; a request that
     * cannot start because {@code maxInFlight} are outstanding is dropped and counted, never queued.
     */
    private void runOpenLoop(long startNanos, long measureStartNanos, long measureEndNanos, CpuWindow cpu) {
        OpenLoopSchedule schedule = new OpenLoopSchedule(startNanos, options.ratePerSecond());
        try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
            schedule.dispatch(workers, measureStartNanos, measureEndNanos, options.maxInFlight(), cpu::startOnce,
                measurements::recordDropped, this::send);
            awaitDrain(workers);
        }
    }

    /** Each of the connections sends its next request as soon as the previous one ends. */
    private void runClosedLoop(long measureStartNanos, long measureEndNanos, CpuWindow cpu) {
        try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < options.connections(); c++) {
                workers.execute(() -> {
                    long startNanos;
                    while ((startNanos = System.nanoTime()) < measureEndNanos) {
                        send(startNanos, startNanos >= measureStartNanos);
                    }
                });
            }
            OpenLoopSchedule.sleepUntil(measureStartNanos);
            cpu.startOnce();
            OpenLoopSchedule.sleepUntil(measureEndNanos);
            awaitDrain(workers);
        }
    }

    /** Sends one request due at {@code dueNanos}; records the outcome when {@code measured}. */
    private void send(long dueNanos, boolean measured) {
        long deadlineNanos = dueNanos + timeoutNanos;
        HttpConnection connection = null;
        try {
            connection = pool.acquire();
            HttpConnection.Exchange exchange;
            try {
                exchange = connection.exchange(request, deadlineNanos);
            } catch (HttpConnection.StaleConnectionException stale) {
                connection.close();
                if (measured) {
                    measurements.staleRetries.increment();
                }
                connection = pool.openNew();
                exchange = connection.exchange(request, deadlineNanos);
            }
            pool.release(connection);
            connection = null;
            if (measured) {
                measurements.recordResponse(dueNanos, exchange, options.stream());
            }
        } catch (SocketTimeoutException e) {
            if (measured) {
                measurements.recordTimeout(e.getMessage());
            }
        } catch (IOException e) {
            if (measured) {
                measurements.recordIoError(e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        } finally {
            if (connection != null) {
                connection.close();
            }
        }
    }

    private void awaitDrain(ExecutorService workers) {
        workers.shutdown();
        try {
            if (!workers.awaitTermination(options.timeoutMillis() + DRAIN_GRACE_MILLIS, TimeUnit.MILLISECONDS)) {
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            workers.shutdownNow();
        }
    }

    /** The request bytes, built once: request line, Host, fixed headers, the extra headers, then the body. */
    static byte[] buildRequest(LoadOptions options, byte[] body) {
        String path = options.url().getRawPath() == null || options.url().getRawPath().isEmpty()
            ? "/" : options.url().getRawPath();
        if (options.url().getRawQuery() != null) {
            path += "?" + options.url().getRawQuery();
        }
        StringBuilder head = new StringBuilder(256)
            .append(body == null ? "GET " : "POST ").append(path).append(" HTTP/1.1\r\n")
            .append("Host: ").append(options.url().getHost()).append(':').append(options.port()).append("\r\n");
        boolean hasContentType = options.headers().stream().anyMatch(h -> h.name().equalsIgnoreCase("content-type"));
        if (body != null) {
            if (!hasContentType) {
                head.append("Content-Type: application/json\r\n");
            }
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        for (LoadOptions.Header header : options.headers()) {
            head.append(header.name()).append(": ").append(header.value()).append("\r\n");
        }
        head.append("\r\n");
        byte[] headBytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
        if (body == null) {
            return headBytes;
        }
        byte[] request = new byte[headBytes.length + body.length];
        System.arraycopy(headBytes, 0, request, 0, headBytes.length);
        System.arraycopy(body, 0, request, headBytes.length, body.length);
        return request;
    }

    /**
     * CPU ticks of the watched processes, of this one and of the whole machine, between the first
     * measured request and the end of the drain.
     */
    private static final class CpuWindow {
        private final ProcessCpu watched;
        private final ProcessCpu self;
        private boolean started;
        private long startNanos;
        private long watchedStartTicks;
        private long selfStartTicks;
        private long machineStartTicks;
        private CpuUsage usage = CpuUsage.NONE;

        CpuWindow(ProcessCpu watched, ProcessCpu self) {
            this.watched = watched;
            this.self = self;
        }

        void startOnce() {
            if (started) {
                return;
            }
            started = true;
            try {
                startNanos = System.nanoTime();
                watchedStartTicks = watched.totalTicks();
                selfStartTicks = self.totalTicks();
                machineStartTicks = self.machineBusyTicks();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the CPU time of " + watched.pids(), e);
            }
        }

        void stop() throws IOException {
            if (!started) {
                return;
            }
            long watchedTicks = watched.totalTicks() - watchedStartTicks;
            long selfTicks = self.totalTicks() - selfStartTicks;
            long machineTicks = self.machineBusyTicks() - machineStartTicks;
            double windowSeconds = (double) (System.nanoTime() - startNanos) / NANOS_PER_SECOND;
            usage = new CpuUsage(watched.pids(), watched.pids().isEmpty() ? -1 : watched.seconds(watchedTicks),
                self.seconds(selfTicks), self.seconds(machineTicks), windowSeconds, self.machineCpuCount());
        }

        CpuUsage usage() {
            return usage;
        }
    }
}
