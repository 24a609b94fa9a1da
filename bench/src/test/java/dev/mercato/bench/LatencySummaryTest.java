package dev.mercato.bench;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LatencySummaryTest {

    @Test
    void readsPercentilesOfOneThousandEvenlySpreadValues() {
        Histogram histogram = new Histogram(Measurements.HIGHEST_TRACKABLE_MICROS, 3);
        for (long micros = 1; micros <= 1000; micros++) {
            histogram.recordValue(micros);
        }

        assertEquals(new LatencySummary(1000, 500.5, 500, 900, 990, 999, 1000), LatencySummary.of(histogram));
    }

    @Test
    void summarisesAnEmptyHistogramAsZeros() {
        Histogram histogram = new Histogram(Measurements.HIGHEST_TRACKABLE_MICROS, 3);

        assertEquals(new LatencySummary(0, 0, 0, 0, 0, 0, 0), LatencySummary.of(histogram));
    }

    @Test
    void keepsTheTailOfASkewedDistribution() {
        Histogram histogram = new Histogram(Measurements.HIGHEST_TRACKABLE_MICROS, 3);
        histogram.recordValueWithCount(100, 985);
        histogram.recordValueWithCount(1500, 15);

        LatencySummary summary = LatencySummary.of(histogram);

        assertEquals(100, summary.p50Micros());
        assertEquals(100, summary.p90Micros());
        assertEquals(1500, summary.p99Micros());
        assertEquals(1500, summary.maxMicros());
        assertEquals(121.0, summary.meanMicros());
    }

    @Test
    void printsMillisecondsWithMicrosecondPrecision() {
        LatencySummary summary = new LatencySummary(3, 1.0, 1_250, 2_000, 50_123, 60_000, 61_999);

        assertEquals("p50 1.250 ms  p90 2.000 ms  p99 50.123 ms  p99.9 60.000 ms  max 61.999 ms", summary.toText());
    }
}
