package dev.mercato.bench;

import org.HdrHistogram.Histogram;

/** Percentiles of one histogram of microsecond values, as they appear in the report. */
record LatencySummary(long count, double meanMicros, long p50Micros, long p90Micros, long p99Micros,
                      long p999Micros, long maxMicros) {

    static LatencySummary of(Histogram histogram) {
        if (histogram.getTotalCount() == 0) {
            return new LatencySummary(0, 0, 0, 0, 0, 0, 0);
        }
        return new LatencySummary(histogram.getTotalCount(), histogram.getMean(),
            histogram.getValueAtPercentile(50), histogram.getValueAtPercentile(90),
            histogram.getValueAtPercentile(99), histogram.getValueAtPercentile(99.9), histogram.getMaxValue());
    }

    void writeTo(JsonWriter json) {
        json.beginObject()
            .field("count", count)
            .field("meanMicros", Math.round(meanMicros))
            .field("p50Micros", p50Micros)
            .field("p90Micros", p90Micros)
            .field("p99Micros", p99Micros)
            .field("p999Micros", p999Micros)
            .field("maxMicros", maxMicros)
            .endObject();
    }

    String toText() {
        return "p50 %s  p90 %s  p99 %s  p99.9 %s  max %s".formatted(millis(p50Micros), millis(p90Micros),
            millis(p99Micros), millis(p999Micros), millis(maxMicros));
    }

    private static String millis(long micros) {
        return "%.3f ms".formatted(micros / 1000.0);
    }
}
