package dev.mercato.gateway.deposits;

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
 * The configured chains ({@code mercato.chains}) and one scanner thread per chain, started with
 * the gateway and stopped with it. With no chain configured, deposits are off.
 */
@Singleton
@Context // starts scanning with the gateway, not at the first deposit request
public class DepositScanners {

    private static final Logger LOG = LoggerFactory.getLogger(DepositScanners.class);


    private final List<ChainSettings> chains;
    private final Map<Long, DepositScanner> scanners = new LinkedHashMap<>();
    private final List<ChainRpc> clients = new ArrayList<>();
    private final ChainLoops loops = new ChainLoops();

    DepositScanners(Chains configured, DepositStore store, Ledger ledger, JsonMapper json, Clock clock) {
        this.chains = configured.all();
        if (chains.isEmpty()) {
            LOG.info("Deposits are off: no chain is configured (mercato.chains).");
            return;
        }
        ledger.ensureAccount(DepositScanner.UNASSIGNED_ACCOUNT, DepositScanner.UNASSIGNED_FLAGS);
        for (ChainSettings chain : chains) {
            ledger.ensureAccount(chain.assetAccount(), AccountFlags.SOURCE);
            // java.util.Random, not ThreadLocalRandom: a pass may run on a thread other than the scanner's.
            Backoff backoff = new Backoff(chain.initialBackoff(), chain.maxBackoff(), new Random());
            ChainRpc rpc = new ChainRpc(chain, json, backoff);
            clients.add(rpc);
            scanners.put(chain.chainId(), new DepositScanner(chain, rpc, store, ledger, clock, backoff));
        }
    }

    @PostConstruct
    void start() {
        for (DepositScanner scanner : scanners.values()) {
            ChainSettings chain = scanner.settings();
            loops.start("deposits-" + chain.chainId(), scanner::run);
            LOG.info("Scanning chain {} ({}) for USDC {} deposits to {}, final when {}", chain.chainId(), chain.name(),
                chain.usdcAddress(), chain.treasuryAddress(), chain.finalityText());
        }
    }

    @PreDestroy
    void stop() {
        scanners.values().forEach(DepositScanner::stop);
        loops.stop();
        clients.forEach(ChainRpc::close);
    }

    /** The configured chains, in configuration order; empty when deposits are off. */
    public List<ChainSettings> chains() {
        return chains;
    }

    Optional<DepositScanner> scanner(long chainId) {
        return Optional.ofNullable(scanners.get(chainId));
    }
}
