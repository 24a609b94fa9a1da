package dev.mercato.bench;

/**
 * The result of one ledger run, written as JSON for bench/run to build its table from.
 *
 * @param mode                 {@code saturate} (closed loop) or {@code rate} (open loop)
 * @param threads              reserve-then-settle threads when saturating, 0 in rate mode
 * @param targetRatePerSecond  the scheduled pairs per second in rate mode, 0 when saturating
 * @param pairs                measured pairs: settled, failed or dropped
 * @param reserve              reserve latency; in rate mode from the pair's scheduled start
 * @param settle               settle latency, from the call that follows the reserve
 * @param pair                 from the pair's start (scheduled start in rate mode) to the end of its settle
 * @param deltaBacklogAtEnd    batched postings the once-a-second roll-up had not folded when the run ended
 */
record LedgerRunReport(String label, String mode, int threads, double targetRatePerSecond, double measuredSeconds,
                       long pairs, long settled, long errors, long reserveErrors, long settleErrors, long dropped,
                       LatencySummary reserve, LatencySummary settle, LatencySummary pair, CpuUsage cpu,
                       long deltaBacklogAtEnd, String firstError) {

    static LedgerRunReport from(String label, String mode, int threads, double targetRatePerSecond,
                                double measuredSeconds, LedgerMeasurements measurements, CpuUsage cpu,
                                long deltaBacklogAtEnd) {
        long settled = measurements.settled.sum();
        long errors = measurements.errors();
        return new LedgerRunReport(label, mode, threads, targetRatePerSecond, measuredSeconds, settled + errors,
            settled, errors, measurements.reserveErrors.sum(), measurements.settleErrors.sum(),
            measurements.dropped.sum(), LatencySummary.of(measurements.reserve), LatencySummary.of(measurements.settle),
            LatencySummary.of(measurements.pair), cpu, deltaBacklogAtEnd, measurements.firstError());
    }

    /** Settled pairs per second of the measured window; at saturation this is the throughput. */
    double settledPerSecond() {
        return measuredSeconds > 0 ? settled / measuredSeconds : 0;
    }

    /** CPU milliseconds of this JVM (the ledger's side of each call) per settled pair; -1 when none settled. */
    double benchCpuMillisPerPair() {
        return perPair(cpu.generatorSeconds());
    }

    /** CPU milliseconds of the whole machine, PostgreSQL included, per settled pair; -1 when none settled. */
    double machineCpuMillisPerPair() {
        return perPair(cpu.machineSeconds());
    }

    String toJson() {
        JsonWriter json = new JsonWriter().beginObject()
            .field("label", label)
            .field("mode", mode)
            .field("threads", threads)
            .field("targetRatePerSecond", targetRatePerSecond)
            .field("measuredSeconds", measuredSeconds)
            .field("pairs", pairs)
            .field("settled", settled)
            .field("errors", errors)
            .name("errorsByKind").beginObject()
            .field("reserve", reserveErrors)
            .field("settle", settleErrors)
            .field("dropped", dropped)
            .endObject()
            .field("settledPerSecond", settledPerSecond());
        json.name("reserve");
        reserve.writeTo(json);
        json.name("settle");
        settle.writeTo(json);
        json.name("pair");
        pair.writeTo(json);
        json.field("benchCpuSeconds", cpu.generatorSeconds());
        json.name("benchCpuMillisPerPair");
        nonNegativeOrNull(json, benchCpuMillisPerPair());
        json.field("machineCpuSeconds", cpu.machineSeconds());
        json.name("machineCpuMillisPerPair");
        nonNegativeOrNull(json, machineCpuMillisPerPair());
        json.field("machineBusyPercent", cpu.machineBusyPercent());
        json.field("cpuWindowSeconds", cpu.windowSeconds());
        json.field("deltaBacklogAtEnd", deltaBacklogAtEnd);
        json.field("firstError", firstError);
        return json.endObject().toString();
    }

    String toText() {
        StringBuilder text = new StringBuilder();
        String load = mode.equals("rate") ? "%.0f pairs/s open loop".formatted(targetRatePerSecond)
            : "%d threads, closed loop".formatted(threads);
        text.append("%s (%s): %d pairs, %d settled, %d errors (reserve %d, settle %d, dropped %d) in %.1f s = %.1f settled/s%n"
            .formatted(label, load, pairs, settled, errors, reserveErrors, settleErrors, dropped, measuredSeconds,
                settledPerSecond()));
        text.append("  reserve  ").append(reserve.toText()).append('\n');
        text.append("  settle   ").append(settle.toText()).append('\n');
        text.append("  pair     ").append(pair.toText()).append('\n');
        text.append("  cpu: this JVM %.2f s%s; machine %.2f s%s, %.0f%% of %d CPUs busy%n".formatted(
            cpu.generatorSeconds(), perPairText(benchCpuMillisPerPair()), cpu.machineSeconds(),
            perPairText(machineCpuMillisPerPair()), cpu.machineBusyPercent(), cpu.cpus()));
        text.append("  batched postings not yet rolled up at the end: %d%n".formatted(deltaBacklogAtEnd));
        if (firstError != null) {
            text.append("  first error: ").append(firstError).append('\n');
        }
        return text.toString();
    }

    private static String perPairText(double millisPerPair) {
        return millisPerPair >= 0 ? " = %.3f ms per pair".formatted(millisPerPair) : "";
    }

    private static void nonNegativeOrNull(JsonWriter json, double value) {
        if (value >= 0) {
            json.value(value);
        } else {
            json.nullValue();
        }
    }

    private double perPair(double seconds) {
        return settled > 0 ? seconds * 1000.0 / settled : -1;
    }
}
