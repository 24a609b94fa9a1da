package dev.mercato.bench;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LedgerBenchOptionsTest {

    @Test
    void runsTwoSaturationsAndThreeHundredPairsPerSecondOnTheGatewaysPoolByDefault() {
        assertEquals(new LedgerBenchOptions(List.of(32, 256), 300, 5, 20, 2_000, 16, 1024, 100, null),
            LedgerBenchOptions.parse(new String[0]));
    }

    @Test
    void shortensEveryRunWhenQuick() {
        LedgerBenchOptions options = LedgerBenchOptions.parse(new String[] {"--quick"});

        assertEquals(1, options.warmupSeconds());
        assertEquals(4, options.durationSeconds());
    }

    @Test
    void letsExplicitDurationsWinOverQuick() {
        LedgerBenchOptions options = LedgerBenchOptions.parse(new String[] {"--warmup-seconds", "0", "--quick",
            "--duration-seconds", "2"});

        assertEquals(0, options.warmupSeconds());
        assertEquals(2, options.durationSeconds());
    }

    @Test
    void readsEveryFlag() {
        LedgerBenchOptions options = LedgerBenchOptions.parse(new String[] {"--threads", "4, 16,64", "--rate", "150.5",
            "--users", "50", "--pool-size", "8", "--max-in-flight", "10", "--clock-ticks", "250",
            "--json-dir", "bench/out"});

        assertEquals(new LedgerBenchOptions(List.of(4, 16, 64), 150.5, 5, 20, 50, 8, 10, 250, Path.of("bench/out")),
            options);
    }

    @Test
    void refusesUnknownFlagsMissingValuesAndValuesPastTheirLimits() {
        assertEquals("unknown flag --connections", refusal("--connections", "8"));
        assertEquals("--rate needs a value", refusal("--rate"));
        assertEquals("--threads needs a whole number, was x", refusal("--threads", "8,x"));
        assertEquals("--threads counts between 1 and 1024", refusal("--threads", "8,0"));
        assertEquals("--threads takes 1 to 8 counts", refusal("--threads", "1,2,3,4,5,6,7,8,9"));
        assertEquals("--rate above 0 and at most 100000.0", refusal("--rate", "0"));
        assertEquals("--duration-seconds between 1 and 3600", refusal("--duration-seconds", "0"));
        assertEquals("--users between 1 and 100000", refusal("--users", "100001"));
        assertEquals("--pool-size between 1 and 256", refusal("--pool-size", "0"));
    }

    private static String refusal(String... args) {
        return assertThrows(IllegalArgumentException.class, () -> LedgerBenchOptions.parse(args)).getMessage();
    }
}
