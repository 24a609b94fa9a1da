package dev.mercato.gateway.billing;

import io.micronaut.context.env.Environment;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The prices in force, held in memory for the request path and read again from the database
 * after every change and periodically (so every gateway instance converges on a change made
 * through any of them). At start-up, models priced in configuration ({@link PriceSeeds}) that
 * have no price yet get theirs. A model without a price of its own costs the configured default.
 */
@Singleton
public class PriceBook {

    private final PriceRepository prices;
    private final PricingSettings settings;
    private volatile Map<String, ModelPrice> currentByModel;

    public PriceBook(PriceRepository prices, PricingSettings settings, Environment environment) {
        this.prices = prices;
        this.settings = settings;
        this.currentByModel = load();
        List<?> configured = environment.getProperty("mercato.pricing.models", List.class).orElse(List.of());
        List<ModelPrice> seeds = PriceSeeds.parse(configured, settings).stream()
            .filter(seed -> !currentByModel.containsKey(seed.modelId())).toList();
        for (ModelPrice seed : seeds) {
            insert(seed, SEEDED_BY);
        }
        if (!seeds.isEmpty()) {
            refresh();
        }
    }

    /** Who a price seeded from configuration was changed by, in its history. */
    static final String SEEDED_BY = "configuration";

    /** The price in force now for the model: its own, or the default. */
    public ModelPrice current(String modelId) {
        ModelPrice own = currentByModel.get(modelId);
        return own != null ? own : settings.defaultPrice(modelId);
    }

    /** Sets a model's price from now on; the previous one stays in the history. Blocking: call off the event loop. */
    public ModelPrice change(ModelPrice price, String changedBy) {
        insert(price, changedBy);
        refresh();
        return current(price.modelId());
    }

    private void insert(ModelPrice price, String changedBy) {
        prices.insert(price.modelId(), price.inputPerMillionMicros(), price.outputPerMillionMicros(),
            price.cacheWritePerMillionMicros(), price.cacheReadPerMillionMicros(), price.providerShareBps(),
            price.maxOutputTokens(), changedBy);
    }

    public List<ModelPrice> history(String modelId) {
        return prices.history(modelId);
    }

    @Scheduled(fixedDelay = "${mercato.pricing.refresh-millis}ms", initialDelay = "${mercato.pricing.refresh-millis}ms")
    void refresh() {
        currentByModel = load();
    }

    private Map<String, ModelPrice> load() {
        return prices.current().stream().collect(Collectors.toUnmodifiableMap(ModelPrice::modelId, Function.identity()));
    }
}
