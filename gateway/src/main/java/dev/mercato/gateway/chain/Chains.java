package dev.mercato.gateway.chain;

import io.micronaut.context.annotation.Context;
import io.micronaut.context.env.Environment;
import jakarta.inject.Singleton;

import java.util.List;
import java.util.Optional;

/**
 * The configured chains ({@code mercato.chains}, see {@link ChainSettings}), read and checked at
 * start-up, so a mistake there stops the gateway at once. Deposits and payouts both run on them.
 */
@Singleton
@Context
public class Chains {

    private final List<ChainSettings> chains;

    Chains(Environment environment) {
        this.chains = ChainSettings.parse(environment.getProperty("mercato.chains", List.class).orElse(List.of()));
    }

    /** In configuration order; empty when no chain is configured. */
    public List<ChainSettings> all() {
        return chains;
    }

    public Optional<ChainSettings> find(long chainId) {
        return chains.stream().filter(chain -> chain.chainId() == chainId).findFirst();
    }
}
