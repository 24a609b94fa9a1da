package dev.mercato.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RunReportTest {

    private static final LatencySummary LATENCY = new LatencySummary(300, 50_400.4, 50_300, 50_700, 51_900, 53_000, 55_100);
    private static final LatencySummary FIRST_BYTE = new LatencySummary(300, 50_200, 50_100, 50_500, 51_000, 52_000, 54_000);
    private static final LatencySummary NONE = new LatencySummary(0, 0, 0, 0, 0, 0, 0);

    @Test
    void dividesCpuTimeAndRateByTheSuccessfulRequests() {
        RunReport report = report(600, 2, 20.0, 1.5);

        assertEquals(30.0, report.achievedRatePerSecond());
        assertEquals(2.5, report.cpuMillisPerRequest());
        assertEquals(0.5, report.generatorCpuMillisPerRequest());
        assertEquals(6.0, report.machineCpuMillisPerRequest());
        assertEquals(45.0, report.cpu().machineBusyPercent());
    }

    @Test
    void leavesCpuPerRequestUnmeasuredWithoutWatchedProcesses() {
        RunReport report = report(600, 0, 20.0, -1);

        assertEquals(-1.0, report.cpuMillisPerRequest());
    }

    @Test
    void writesEveryFieldAsJson() {
        RunReport report = report(600, 2, 20.0, 1.5);

        assertEquals("{\"label\":\"mercato\",\"url\":\"http://127.0.0.1:8080/v1/chat/completions\",\"mode\":\"rate\","
                + "\"targetRatePerSecond\":30.0,\"connections\":0,\"stream\":false,\"measuredSeconds\":20.0,"
                + "\"requests\":602,\"ok\":600,\"errors\":2,"
                + "\"errorsByKind\":{\"status\":1,\"protocol\":0,\"io\":0,\"timeout\":1,\"dropped\":0},"
                + "\"staleRetries\":0,\"connectionsOpened\":4,\"achievedRatePerSecond\":30.0,"
                + "\"latency\":{\"count\":300,\"meanMicros\":50400,\"p50Micros\":50300,\"p90Micros\":50700,"
                + "\"p99Micros\":51900,\"p999Micros\":53000,\"maxMicros\":55100},"
                + "\"firstByte\":{\"count\":300,\"meanMicros\":50200,\"p50Micros\":50100,\"p90Micros\":50500,"
                + "\"p99Micros\":51000,\"p999Micros\":52000,\"maxMicros\":54000},"
                + "\"firstEvent\":{\"count\":0,\"meanMicros\":0,\"p50Micros\":0,\"p90Micros\":0,"
                + "\"p99Micros\":0,\"p999Micros\":0,\"maxMicros\":0},"
                + "\"meanBodyBytes\":412.0,\"meanEvents\":0.0,\"meanEventReads\":0.0,"
                + "\"cpuPids\":[101,202],\"cpuSeconds\":1.5,\"cpuMillisPerRequest\":2.5,"
                + "\"generatorCpuSeconds\":0.3,\"generatorCpuMillisPerRequest\":0.5,"
                + "\"machineCpuSeconds\":3.6,\"machineCpuMillisPerRequest\":6.0,\"machineBusyPercent\":45.0,"
                + "\"cpuWindowSeconds\":4.0,"
                + "\"firstError\":\"HTTP 502 \\\"bad gateway\\\"\"}",
            report.toJson());
    }

    @Test
    void writesNullForCpuThatWasNotMeasured() {
        String json = report(600, 0, 20.0, -1).toJson();

        assertEquals(true, json.contains("\"cpuPids\":[],\"cpuSeconds\":null,\"cpuMillisPerRequest\":null,"), json);
    }

    @Test
    void printsNoPerRequestCostWhenNothingSucceeded() {
        String text = report(0, 4, 20.0, 0.5).toText();

        assertEquals(true, text.contains("  cpu of [101, 202]: 0.50 s\n"), text);
        assertEquals(true, text.contains("  load generator cpu: 0.30 s\n"), text);
        assertEquals(true, text.contains("  machine cpu: 3.60 s, 45% of 2 CPUs busy\n"), text);
    }

    private static RunReport report(long ok, long errors, double seconds, double cpuSeconds) {
        List<Long> pids = cpuSeconds < 0 ? List.of() : List.of(101L, 202L);
        return new RunReport("mercato", "http://127.0.0.1:8080/v1/chat/completions", "rate", 30, 0, false, seconds,
            ok + errors, ok, errors, errors / 2, 0, 0, errors - errors / 2, 0, 0, 4, LATENCY, FIRST_BYTE, NONE,
            412, 0, 0, new CpuUsage(pids, cpuSeconds, 0.3, 3.6, 4.0, 2), errors > 0 ? "HTTP 502 \"bad gateway\"" : null);
    }
}
