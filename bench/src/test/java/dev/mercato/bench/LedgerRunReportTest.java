package dev.mercato.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LedgerRunReportTest {

    private static final CpuUsage CPU = new CpuUsage(List.of(), -1, 0.3, 1.2, 4.0, 2);

    @Test
    void timesTheReserveFromTheScheduledStartAndTheSettleFromTheReserve() {
        LedgerMeasurements measurements = new LedgerMeasurements();
        measurements.recordSettled(200_000, 1_200_000, 2_000_000);

        LedgerRunReport report = LedgerRunReport.from("rate-300", "rate", 0, 300, 1.0, measurements, CPU, 0);

        assertEquals(1_000, report.reserve().p50Micros());
        assertEquals(800, report.settle().p50Micros());
        assertEquals(1_800, report.pair().p50Micros());
    }

    @Test
    void countsFailuresOfEachStepAsErrorsAndKeepsTheFirst() {
        LedgerMeasurements measurements = new LedgerMeasurements();
        measurements.recordSettled(0, 1_000_000, 2_000_000);
        measurements.recordSettleError(new IllegalStateException("connection reset"));
        measurements.recordReserveError(new IllegalArgumentException("no hold"));
        measurements.recordDropped();

        LedgerRunReport report = LedgerRunReport.from("rate-300", "rate", 0, 300, 2.0, measurements, CPU, 0);

        assertEquals(4, report.pairs());
        assertEquals(1, report.settled());
        assertEquals(3, report.errors());
        assertEquals(0.5, report.settledPerSecond());
        assertEquals("settle: IllegalStateException: connection reset", report.firstError());
    }

    @Test
    void dividesCpuTimeAndTheRateBySettledPairs() {
        LedgerRunReport report = report(600);

        assertEquals(30.0, report.settledPerSecond());
        assertEquals(0.5, report.benchCpuMillisPerPair());
        assertEquals(2.0, report.machineCpuMillisPerPair());
    }

    @Test
    void writesEveryFieldAsJson() {
        assertEquals("{\"label\":\"saturate-8\",\"mode\":\"saturate\",\"threads\":8,\"targetRatePerSecond\":0.0,"
                + "\"measuredSeconds\":20.0,\"pairs\":600,\"settled\":600,\"errors\":0,"
                + "\"errorsByKind\":{\"reserve\":0,\"settle\":0,\"dropped\":0},\"settledPerSecond\":30.0,"
                + "\"reserve\":{\"count\":600,\"meanMicros\":2100,\"p50Micros\":2000,\"p90Micros\":3000,"
                + "\"p99Micros\":4000,\"p999Micros\":5000,\"maxMicros\":6000},"
                + "\"settle\":{\"count\":600,\"meanMicros\":3100,\"p50Micros\":3000,\"p90Micros\":4000,"
                + "\"p99Micros\":5000,\"p999Micros\":6000,\"maxMicros\":7000},"
                + "\"pair\":{\"count\":600,\"meanMicros\":5200,\"p50Micros\":5000,\"p90Micros\":7000,"
                + "\"p99Micros\":9000,\"p999Micros\":11000,\"maxMicros\":13000},"
                + "\"benchCpuSeconds\":0.3,\"benchCpuMillisPerPair\":0.5,\"machineCpuSeconds\":1.2,"
                + "\"machineCpuMillisPerPair\":2.0,\"machineBusyPercent\":15.0,\"cpuWindowSeconds\":4.0,"
                + "\"deltaBacklogAtEnd\":1234,\"firstError\":null}",
            report(600).toJson());
    }

    @Test
    void writesNullCostPerPairWhenNothingSettled() {
        String json = report(0).toJson();

        assertEquals(true, json.contains("\"benchCpuMillisPerPair\":null"), json);
        assertEquals(true, json.contains("\"machineCpuMillisPerPair\":null"), json);
    }

    @Test
    void summarisesARunInText() {
        assertEquals("""
            saturate-8 (8 threads, closed loop): 600 pairs, 600 settled, 0 errors (reserve 0, settle 0, dropped 0) in 20.0 s = 30.0 settled/s
              reserve  p50 2.000 ms  p90 3.000 ms  p99 4.000 ms  p99.9 5.000 ms  max 6.000 ms
              settle   p50 3.000 ms  p90 4.000 ms  p99 5.000 ms  p99.9 6.000 ms  max 7.000 ms
              pair     p50 5.000 ms  p90 7.000 ms  p99 9.000 ms  p99.9 11.000 ms  max 13.000 ms
              cpu: this JVM 0.30 s = 0.500 ms per pair; machine 1.20 s = 2.000 ms per pair, 15% of 2 CPUs busy
              batched postings not yet rolled up at the end: 1234
            """, report(600).toText());
    }

    private static LedgerRunReport report(long settled) {
        return new LedgerRunReport("saturate-8", "saturate", 8, 0, 20.0, settled, settled, 0, 0, 0, 0,
            new LatencySummary(settled, 2_100, 2_000, 3_000, 4_000, 5_000, 6_000),
            new LatencySummary(settled, 3_100, 3_000, 4_000, 5_000, 6_000, 7_000),
            new LatencySummary(settled, 5_200, 5_000, 7_000, 9_000, 11_000, 13_000), CPU, 1_234, null);
    }
}
