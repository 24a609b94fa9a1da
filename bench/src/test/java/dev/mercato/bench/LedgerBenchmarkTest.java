package dev.mercato.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LedgerBenchmarkTest {

    @Test
    void reservesAndSettlesOnADurablePostgresAndLeavesTheLedgerBalanced(@TempDir Path jsonDir) throws Exception {
        LedgerBenchOptions options = new LedgerBenchOptions(List.of(2), 40, 0, 1, 5, 4, 64, 100, jsonDir);

        boolean passed = LedgerBenchmark.runOnEmbeddedPostgres(options);

        assertEquals(true, passed);
        String run = Files.readString(jsonDir.resolve("ledger-run.json"));
        assertTrue(run.contains("\"fsync\":\"on\",\"synchronousCommit\":\"on\",\"poolSize\":4,\"users\":5,"), run);
        assertTrue(run.contains("\"runs\":[\"rate-40\",\"saturate-2\"]"), run);
        assertTrue(run.contains("\"holdsLeftOpen\":0,\"liveHolds\":0,\"failedCalls\":0,\"rollUpFailures\":0,"), run);
        assertTrue(run.endsWith("\"invariantViolations\":[],\"passed\":true}\n"), run);
        assertEquals(number(run, "settlesAcknowledged"), number(run, "settlementsRecorded"));

        String saturate = Files.readString(jsonDir.resolve("ledger-saturate-2.json"));
        assertTrue(saturate.contains("\"errors\":0,"), saturate);
        assertTrue(number(saturate, "settled") > 0, saturate);
        String rate = Files.readString(jsonDir.resolve("ledger-rate-40.json"));
        assertTrue(rate.startsWith("{\"label\":\"rate-40\",\"mode\":\"rate\",\"threads\":0,\"targetRatePerSecond\":40.0,"
            + "\"measuredSeconds\":1.0,\"pairs\":40,\"settled\":40,\"errors\":0,"), rate);
    }

    private static long number(String json, String field) {
        Matcher match = Pattern.compile("\"" + field + "\":(\\d+)").matcher(json);
        assertTrue(match.find(), () -> field + " is missing from " + json);
        return Long.parseLong(match.group(1));
    }
}
