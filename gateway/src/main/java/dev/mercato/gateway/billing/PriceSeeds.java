package dev.mercato.gateway.billing;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Per-model prices written in configuration ({@code mercato.pricing.models}, a list), which seed
 * the price table: a model with no price yet gets its configured one at start-up; a model that
 * already has one keeps it, so a change made through the admin API survives a restart. Every
 * field but {@code model} falls back to the configured default.
 *
 * <pre>
 * mercato:
 *   pricing:
 *     models:
 *       - model: claude-sim-sonnet
 *         input-per-million-micros: 3000000
 *         output-per-million-micros: 15000000
 * </pre>
 */
final class PriceSeeds {

    /** Bounds how many models configuration may price, so a malformed file cannot run away. */
    static final int MAX_MODELS = 10_000;

    private PriceSeeds() {
    }

    /**
     * Reads the configured list; every mistake names the entry and the field.
     *
     * @throws IllegalArgumentException if an entry is malformed, a model repeats, or a price is out of range
     */
    static List<ModelPrice> parse(List<?> entries, PricingSettings defaults) {
        if (entries.size() > MAX_MODELS) {
            throw new IllegalArgumentException("mercato.pricing.models lists " + entries.size() + " models; at most "
                + MAX_MODELS);
        }
        List<ModelPrice> seeds = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < entries.size(); i++) {
            String where = "mercato.pricing.models[" + i + "]";
            if (!(entries.get(i) instanceof Map<?, ?> entry)) {
                throw new IllegalArgumentException(where + " must be a map with model and prices, was " + entries.get(i));
            }
            for (Object key : entry.keySet()) {
                if (!FIELDS.contains(String.valueOf(key))) {
                    throw new IllegalArgumentException(where + " has an unknown field '" + key + "'; known: " + FIELDS);
                }
            }
            if (!(entry.get("model") instanceof String model) || model.isBlank()) {
                throw new IllegalArgumentException(where + ".model must name the model");
            }
            if (!seen.add(model)) {
                throw new IllegalArgumentException(where + " prices " + model + " a second time");
            }
            ModelPrice fallback = defaults.defaultPrice(model);
            try {
                seeds.add(new ModelPrice(model,
                    number(entry, "input-per-million-micros", fallback.inputPerMillionMicros()),
                    number(entry, "output-per-million-micros", fallback.outputPerMillionMicros()),
                    number(entry, "cache-write-per-million-micros", fallback.cacheWritePerMillionMicros()),
                    number(entry, "cache-read-per-million-micros", fallback.cacheReadPerMillionMicros()),
                    Math.toIntExact(number(entry, "provider-share-bps", fallback.providerShareBps())),
                    Math.toIntExact(number(entry, "max-output-tokens", fallback.maxOutputTokens())),
                    null));
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw new IllegalArgumentException(where + " (" + model + "): " + e.getMessage(), e);
            }
        }
        return seeds;
    }

    private static final List<String> FIELDS = List.of("model", "input-per-million-micros", "output-per-million-micros",
        "cache-write-per-million-micros", "cache-read-per-million-micros", "provider-share-bps", "max-output-tokens");

    private static long number(Map<?, ?> entry, String field, long fallback) {
        Object value = entry.get(field);
        if (value == null) {
            return fallback;
        }
        if (value instanceof Integer || value instanceof Long) {
            return ((Number) value).longValue();
        }
        if (value instanceof String text && text.matches("-?[0-9]{1,19}")) {
            return Long.parseLong(text);
        }
        throw new IllegalArgumentException(field + " must be a whole number, was " + value);
    }
}
