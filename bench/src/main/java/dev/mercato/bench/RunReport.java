package dev.mercato.bench;

/**
 * The result of one load run, written as JSON for bench/run to build its tables from.
 *
 * @param mode                 {@code rate} (open loop) or {@code saturate} (closed loop)
 * @param targetRatePerSecond  the scheduled rate in rate mode, 0 when saturating
 * @param requests             measured requests: answered, failed or dropped
 * @param firstEvent           time to the first complete server-sent event; empty when none came
 */
record RunReport(String label, String url, String mode, double targetRatePerSecond, int connections,
                 boolean stream, double measuredSeconds, long requests, long ok, long errors, long statusErrors,
                 long protocolErrors, long ioErrors, long timeouts, long dropped, long staleRetries,
                 int connectionsOpened, LatencySummary latency, LatencySummary firstByte,
                 LatencySummary firstEvent, double meanBodyBytes, double meanEvents, double meanEventReads,
                 CpuUsage cpu, String firstError) {

    static RunReport from(LoadOptions options, Measurements measurements, double measuredSeconds,
                          int connectionsOpened, CpuUsage cpu) {
        long ok = measurements.ok.sum();
        long errors = measurements.errors();
        return new RunReport(options.label(), options.url().toString(),
            options.saturate() ? "saturate" : "rate", options.saturate() ? 0 : options.ratePerSecond(),
            options.saturate() ? options.connections() : 0, options.stream(), measuredSeconds, ok + errors, ok,
            errors, measurements.statusErrors.sum(), measurements.protocolErrors.sum(),
            measurements.ioErrors.sum(), measurements.timeouts.sum(), measurements.dropped.sum(),
            measurements.staleRetries.sum(), connectionsOpened, LatencySummary.of(measurements.latency),
            LatencySummary.of(measurements.firstByte), LatencySummary.of(measurements.firstEvent),
            mean(measurements.bodyBytes.sum(), ok), mean(measurements.events.sum(), ok),
            mean(measurements.eventReads.sum(), ok), cpu, measurements.firstError());
    }

    /** Successful responses per second of the measured window. */
    double achievedRatePerSecond() {
        return measuredSeconds > 0 ? ok / measuredSeconds : 0;
    }

    /** CPU milliseconds the watched processes spent per successful request; -1 when not measured. */
    double cpuMillisPerRequest() {
        return cpu.watchedSeconds() >= 0 ? perRequest(cpu.watchedSeconds()) : -1;
    }

    double generatorCpuMillisPerRequest() {
        return perRequest(cpu.generatorSeconds());
    }

    /** CPU milliseconds the whole machine spent per successful request, load generator and upstream included. */
    double machineCpuMillisPerRequest() {
        return perRequest(cpu.machineSeconds());
    }

    String toJson() {
        JsonWriter json = new JsonWriter().beginObject()
            .field("label", label)
            .field("url", url)
            .field("mode", mode)
            .field("targetRatePerSecond", targetRatePerSecond)
            .field("connections", connections)
            .field("stream", stream)
            .field("measuredSeconds", measuredSeconds)
            .field("requests", requests)
            .field("ok", ok)
            .field("errors", errors)
            .name("errorsByKind").beginObject()
            .field("status", statusErrors)
            .field("protocol", protocolErrors)
            .field("io", ioErrors)
            .field("timeout", timeouts)
            .field("dropped", dropped)
            .endObject()
            .field("staleRetries", staleRetries)
            .field("connectionsOpened", connectionsOpened)
            .field("achievedRatePerSecond", achievedRatePerSecond());
        json.name("latency");
        latency.writeTo(json);
        json.name("firstByte");
        firstByte.writeTo(json);
        json.name("firstEvent");
        firstEvent.writeTo(json);
        json.field("meanBodyBytes", meanBodyBytes)
            .field("meanEvents", meanEvents)
            .field("meanEventReads", meanEventReads);
        json.name("cpuPids").beginArray();
        for (long pid : cpu.pids()) {
            json.value(pid);
        }
        json.endArray();
        json.name("cpuSeconds");
        nonNegativeOrNull(json, cpu.watchedSeconds());
        json.name("cpuMillisPerRequest");
        nonNegativeOrNull(json, cpuMillisPerRequest());
        json.field("generatorCpuSeconds", cpu.generatorSeconds());
        json.name("generatorCpuMillisPerRequest");
        nonNegativeOrNull(json, generatorCpuMillisPerRequest());
        json.field("machineCpuSeconds", cpu.machineSeconds());
        json.name("machineCpuMillisPerRequest");
        nonNegativeOrNull(json, machineCpuMillisPerRequest());
        json.field("machineBusyPercent", cpu.machineBusyPercent());
        json.field("cpuWindowSeconds", cpu.windowSeconds());
        json.field("firstError", firstError);
        return json.endObject().toString();
    }

    String toText() {
        StringBuilder text = new StringBuilder();
        text.append("%s %s %s%s: %d requests, %d ok, %d errors (status %d, protocol %d, io %d, timeout %d, dropped %d) in %.1f s = %.1f ok/s%n"
            .formatted(label.isEmpty() ? "run" : label, mode, url, stream ? " (stream)" : "", requests, ok, errors,
                statusErrors, protocolErrors, ioErrors, timeouts, dropped, measuredSeconds, achievedRatePerSecond()));
        text.append("  latency      ").append(latency.toText()).append('\n');
        text.append("  first byte   ").append(firstByte.toText()).append('\n');
        if (firstEvent.count() > 0) {
            text.append("  first event  ").append(firstEvent.toText()).append('\n');
        }
        text.append("  body %.0f bytes, %.1f events in %.1f reads per response; %d connections opened, %d stale retries%n"
            .formatted(meanBodyBytes, meanEvents, meanEventReads, connectionsOpened, staleRetries));
        if (cpu.watchedSeconds() >= 0) {
            text.append("  cpu of %s: %.2f s%s%n"
                .formatted(cpu.pids(), cpu.watchedSeconds(), perRequestText(cpuMillisPerRequest())));
        }
        text.append("  load generator cpu: %.2f s%s%n"
            .formatted(cpu.generatorSeconds(), perRequestText(generatorCpuMillisPerRequest())));
        text.append("  machine cpu: %.2f s%s, %.0f%% of %d CPUs busy%n".formatted(cpu.machineSeconds(),
            perRequestText(machineCpuMillisPerRequest()), cpu.machineBusyPercent(), cpu.cpus()));
        if (firstError != null) {
            text.append("  first error: ").append(firstError).append('\n');
        }
        return text.toString();
    }

    private static String perRequestText(double millisPerRequest) {
        return millisPerRequest >= 0 ? " = %.3f ms per request".formatted(millisPerRequest) : "";
    }

    private static void nonNegativeOrNull(JsonWriter json, double value) {
        if (value >= 0) {
            json.value(value);
        } else {
            json.nullValue();
        }
    }

    private double perRequest(double seconds) {
        return ok > 0 ? seconds * 1000.0 / ok : -1;
    }

    private static double mean(long total, long count) {
        return count > 0 ? (double) total / count : 0;
    }
}
