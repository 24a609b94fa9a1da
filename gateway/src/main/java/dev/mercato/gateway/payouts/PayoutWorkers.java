package dev.mercato.gateway.payouts;

import dev.mercato.gateway.chain.Backoff;
import dev.mercato.gateway.chain.ChainLoops;
import dev.mercato.gateway.chain.ChainRpc;
import dev.mercato.gateway.chain.ChainSettings;
import dev.mercato.gateway.chain.Chains;
import dev.mercato.ledger.AccountFlags;
import dev.mercato.ledger.Ledger;
import io.micronaut.context.annotation.Context;
import io.micronaut.json.JsonMapper;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * One payout worker thread per configured chain when the hot wallet's key is set, started with
 * the gateway and stopped with it. Without a chain or without a key, payouts are off.
 */
@Singleton
@Context // starts paying with the gateway, not at the first payout request
public class PayoutWorkers {

    private static final Logger LOG = LoggerFactory.getLogger(PayoutWorkers.class);


    private final Map<Long, PayoutWorker> workers = new LinkedHashMap<>();
    private final List<ChainRpc> clients = new ArrayList<>();
    private final ChainLoops loops = new ChainLoops();

    PayoutWorkers(Chains chains, HotWallet wallet, PayoutStore store, Ledger ledger, PayoutSettings settings,
                  JsonMapper json, Clock clock) {
        if (chains.all().isEmpty() || wallet.address().isEmpty()) {
            LOG.info("Payouts are off: {}.", chains.all().isEmpty() ? "no chain is configured (mercato.chains)"
                : "no hot wallet key is configured (mercato.payouts.hot-wallet-key or hot-wallet-key-file)");
            return;
        }
        for (ChainSettings chain : chains.all()) {
            ledger.ensureAccount(chain.assetAccount(), AccountFlags.SOURCE);
            ChainRpc rpc = new ChainRpc(chain, json, new Backoff(chain.initialBackoff(), chain.maxBackoff(), new Random()));
            clients.add(rpc);
            workers.put(chain.chainId(), new PayoutWorker(chain, rpc, store, ledger, wallet, settings, clock));
        }
    }

    @PostConstruct
    void start() {
        for (PayoutWorker worker : workers.values()) {
            ChainSettings chain = worker.chain();
            loops.start("payouts-" + chain.chainId(), worker::run);
            LOG.info("Paying out on chain {} ({}) in USDC {} from hot wallet {}", chain.chainId(), chain.name(),
                chain.usdcAddress(), worker.hotAddress());
        }
    }

    @PreDestroy
    void stop() {
        workers.values().forEach(PayoutWorker::stop);
        loops.stop();
        clients.forEach(ChainRpc::close);
    }

    /** Whether payouts can be requested on {@code chainId}. */
    boolean paysOn(long chainId) {
        return workers.containsKey(chainId);
    }

    boolean on() {
        return !workers.isEmpty();
    }

    Optional<PayoutWorker> worker(long chainId) {
        return Optional.ofNullable(workers.get(chainId));
    }
}
