package dev.mercato.gateway.payouts;

import dev.mercato.gateway.chain.ChainRpc;
import dev.mercato.gateway.chain.ChainSettings;
import dev.mercato.gateway.chain.RpcFailure;
import dev.mercato.gateway.payouts.PayoutStore.PayoutRow;
import dev.mercato.gateway.payouts.PayoutStore.PayoutTx;
import dev.mercato.ledger.Ledger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Hash;
import org.web3j.crypto.RawTransaction;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Pays one chain's payouts from the hot wallet, one at a time, each to finality. A step (under
 * the chain's payout lock, so one worker across all gateways) either follows the payout in
 * flight or sends the next one:
 *
 * <ul>
 *   <li>Sending signs a token transfer with the hot wallet's next nonce and stores the signed
 *   bytes before broadcasting them; a worker that dies after that broadcasts the same bytes again
 *   and never signs a second payment for the payout.</li>
 *   <li>Following asks whether the transfer's nonce is used in the final chain. Until it is, the
 *   stored transactions are broadcast again (a node may have dropped them), and once the transfer
 *   has waited longer than {@code drop-after} unmined, a cancel (0 value to the hot wallet itself,
 *   same nonce, higher price) is stored and sent. Once the nonce is final, exactly one transaction
 *   holds it: the transfer succeeded (the hold is posted: paid), reverted, or lost to the cancel or
 *   to another transaction (the hold is voided: failed, and the amount is back in the earnings).</li>
 * </ul>
 *
 * <p>One payout at a time keeps the nonce rule simple and exact, at the price of one payout per
 * finality period per chain.
 */
final class PayoutWorker {

    private static final Logger LOG = LoggerFactory.getLogger(PayoutWorker.class);

    /** The first four bytes of keccak256("transfer(address,uint256)"). */
    private static final String TRANSFER_SELECTOR = "0xa9059cbb";
    private static final BigInteger GWEI = BigInteger.TEN.pow(9);
    /** Gas of a plain value transfer, which is what a cancel is. */
    private static final BigInteger CANCEL_GAS = BigInteger.valueOf(21_000);
    /** Nodes replace a pending transaction only for a price at least 10 % higher; a cancel offers 25 %. */
    private static final BigInteger CANCEL_BUMP_PERCENT = BigInteger.valueOf(125);

    private final ChainSettings chain;
    private final ChainRpc rpc;
    private final PayoutStore store;
    private final Ledger ledger;
    private final HotWallet wallet;
    private final String hotAddress;
    private final PayoutSettings settings;
    private final Clock clock;
    private volatile boolean running = true;

    PayoutWorker(ChainSettings chain, ChainRpc rpc, PayoutStore store, Ledger ledger, HotWallet wallet,
                 PayoutSettings settings, Clock clock) {
        this.chain = chain;
        this.rpc = rpc;
        this.store = store;
        this.ledger = ledger;
        this.wallet = wallet;
        this.hotAddress = wallet.address().orElseThrow(() -> new IllegalStateException("payouts need a hot wallet"));
        this.settings = settings;
        this.clock = clock;
    }

    ChainSettings chain() {
        return chain;
    }

    String hotAddress() {
        return hotAddress;
    }

    /** Steps every poll interval until stopped; a failed step is logged and tried again at the next. */
    void run() {
        while (running) {
            try {
                step();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                if (running) {
                    LOG.warn("Payouts on chain {}: a step failed and is tried again in {}: {}", chain.chainId(),
                        settings.pollInterval(), e.toString());
                }
            }
            try {
                Thread.sleep(settings.pollInterval());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    void stop() {
        running = false;
    }

    /**
     * One step: follows the payout in flight and, once none is, sends the next.
     *
     * @return false, having done nothing, when another worker holds the chain's payout lock
     */
    boolean step() throws Exception {
        return store.withChainLock(chain.chainId(), () -> {
            Optional<PayoutRow> inFlight = store.inFlight(chain.chainId());
            if (inFlight.isEmpty() || follow(inFlight.get())) {
                Optional<PayoutRow> next = store.nextRequested(chain.chainId());
                if (next.isPresent()) {
                    send(next.get());
                }
            }
            return Boolean.TRUE;
        }).isPresent();
    }

    private void send(PayoutRow payout) throws Exception {
        Instant now = clock.instant();
        if (now.isAfter(payout.requestedAt().plus(settings.sendBy()))) {
            fail(payout, "It could not be sent within " + text(settings.sendBy())
                + (payout.waitingFor() == null ? "" : " (" + payout.waitingFor() + ")")
                + "; the amount is back in your earnings.", null);
            return;
        }
        BigInteger units = BigInteger.valueOf(payout.amountUnits());
        BigInteger tokens = rpc.tokenBalance(hotAddress);
        if (tokens.compareTo(units) < 0) {
            waitFor(payout, "the hot wallet " + hotAddress + " holds " + usdc(tokens) + " USDC on chain " + chain.chainId()
                + ", less than this payout's " + usdc(units));
            return;
        }
        BigInteger maxPrice = BigInteger.valueOf(settings.maxGasPriceGwei()).multiply(GWEI);
        BigInteger suggested = rpc.gasPrice();
        if (suggested.compareTo(maxPrice) > 0) {
            waitFor(payout, "the gas price on chain " + chain.chainId() + " is " + gwei(suggested) + " gwei, above "
                + "mercato.payouts.max-gas-price-gwei (" + settings.maxGasPriceGwei() + ")");
            return;
        }
        BigInteger gasPrice = suggested.shiftLeft(1).min(maxPrice).max(BigInteger.ONE);
        BigInteger gasLimit = BigInteger.valueOf(settings.gasLimit());
        // Room for the transfer and, should it be needed, its cancel at the higher price.
        BigInteger gasNeeded = gasPrice.multiply(gasLimit).add(cancelPrice(gasPrice, suggested).multiply(CANCEL_GAS));
        BigInteger coins = rpc.nativeBalance(hotAddress);
        if (coins.compareTo(gasNeeded) < 0) {
            waitFor(payout, "the hot wallet " + hotAddress + " holds " + coins + " wei for gas on chain " + chain.chainId()
                + ", less than the " + gasNeeded + " wei a payout may need");
            return;
        }
        long nonce = rpc.transactionCount(hotAddress, "pending");
        String data = TRANSFER_SELECTOR + word(payout.toAddress().substring(2)) + word(units.toString(16));
        RawTransaction transfer = RawTransaction.createTransaction(BigInteger.valueOf(nonce), gasPrice, gasLimit,
            chain.usdcAddress(), BigInteger.ZERO, data);
        PayoutTx signed = signed(payout, PayoutStore.TRANSFER, nonce, gasPrice, transfer, now);
        store.recordTransfer(signed);
        LOG.info("Payout {}: sending {} USDC to {} on chain {} from {} (nonce {}, tx {})", payout.id(), usdc(units),
            payout.toAddress(), chain.chainId(), hotAddress, nonce, signed.txHash());
        broadcast(signed);
    }

    /** Follows the payout in flight; true once it is paid or failed. */
    private boolean follow(PayoutRow payout) throws Exception {
        List<PayoutTx> transactions = store.transactions(payout.id());
        PayoutTx transfer = transactions.stream().filter(tx -> tx.kind().equals(PayoutStore.TRANSFER)).findFirst()
            .orElseThrow(() -> new IllegalStateException("payout " + payout.id() + " is sent without a transfer"));
        PayoutTx cancel = transactions.stream().filter(tx -> tx.kind().equals(PayoutStore.CANCEL)).findFirst()
            .orElse(null);
        long latest = rpc.blockNumber("latest");
        long finalBlock = rpc.finalBlockNumber(latest);
        long finalCount = finalBlock < 0 ? 0 : rpc.transactionCount(hotAddress, "0x" + Long.toHexString(finalBlock));
        Instant now = clock.instant();
        if (finalCount > transfer.nonce()) {
            return settle(payout, transfer, cancel, finalBlock, now);
        }
        if (now.isAfter(transfer.createdAt().plus(settings.sendBy()))) {
            // Its hold expires half a sendBy later, and a sweeper's void must never meet a late payment.
            waitFor(payout, "its transaction (nonce " + transfer.nonce() + ") is not final " + text(settings.sendBy())
                + " after it was sent, and its ledger hold expires " + text(settings.holdExpiry()) + " after the request;"
                + " look at the hot wallet's pending transactions on chain " + chain.chainId());
        }
        if (rpc.transactionCount(hotAddress, "latest") > transfer.nonce()) {
            return false; // mined, not final yet
        }
        // Not mined: the node may have dropped what it was sent (a restart, a full pool), so send it again.
        broadcast(transfer);
        if (cancel != null) {
            broadcast(cancel);
        } else if (now.isAfter(transfer.createdAt().plus(settings.dropAfter()))) {
            BigInteger price = cancelPrice(transfer.gasPriceWei(), rpc.gasPrice());
            RawTransaction replacement = RawTransaction.createEtherTransaction(BigInteger.valueOf(transfer.nonce()),
                price, CANCEL_GAS, hotAddress, BigInteger.ZERO);
            PayoutTx signed = signed(payout, PayoutStore.CANCEL, transfer.nonce(), price, replacement, now);
            store.recordCancel(signed);
            LOG.warn("Payout {}: transfer {} is not mined after {}; cancelling it at nonce {} with tx {} ({} gwei)",
                payout.id(), transfer.txHash(), text(settings.dropAfter()), transfer.nonce(), signed.txHash(), gwei(price));
            broadcast(signed);
        }
        return false;
    }

    /** The transfer's nonce is used in the final chain: exactly one transaction holds it, and that decides. */
    private boolean settle(PayoutRow payout, PayoutTx transfer, PayoutTx cancel, long finalBlock, Instant now)
            throws Exception {
        ChainRpc.Receipt mined = rpc.receipt(transfer.txHash());
        if (mined != null && mined.blockNumber() > finalBlock) {
            return false; // the provider's answers disagree for a moment; ask again at the next step
        }
        if (mined != null && mined.succeeded()) {
            if (!ledger.post(payout.holdId())) {
                LOG.error("Payout {} was paid on chain {} (tx {}) but its ledger hold {} had been voided: the operator's "
                    + "earnings still include {} USDC and need a correcting transfer", payout.id(), chain.chainId(),
                    mined.txHash(), payout.holdId(), usdc(BigInteger.valueOf(payout.amountUnits())));
            }
            store.markPaid(payout.id(), mined.txHash(), mined.blockNumber(), now);
            LOG.info("Payout {}: paid {} USDC to {} on chain {} in block {} (tx {})", payout.id(),
                usdc(BigInteger.valueOf(payout.amountUnits())), payout.toAddress(), chain.chainId(), mined.blockNumber(),
                mined.txHash());
            return true;
        }
        if (mined != null) {
            fail(payout, "The transfer reverted on chain " + chain.chainId() + " in block " + mined.blockNumber()
                + "; the amount is back in your earnings.", mined.txHash());
            return true;
        }
        ChainRpc.Receipt cancelled = cancel == null ? null : rpc.receipt(cancel.txHash());
        if (cancelled != null) {
            fail(payout, "The transfer was not mined within " + text(settings.dropAfter()) + " and was cancelled; the amount "
                + "is back in your earnings.", cancelled.txHash());
        } else {
            fail(payout, "Another transaction of the hot wallet took this transfer's nonce (" + transfer.nonce()
                + "), so it can never be mined; the amount is back in your earnings.", null);
        }
        return true;
    }

    private void fail(PayoutRow payout, String why, String txHash) throws Exception {
        ledger.release(payout.holdId());
        store.markFailed(payout.id(), why, txHash, clock.instant());
        LOG.warn("Payout {} of {} USDC to {} on chain {} failed and its hold is voided: {}", payout.id(),
            usdc(BigInteger.valueOf(payout.amountUnits())), payout.toAddress(), chain.chainId(), why);
    }

    private void waitFor(PayoutRow payout, String reason) throws Exception {
        if (!reason.equals(payout.waitingFor())) {
            LOG.error("Payouts on chain {} are waiting: {}", chain.chainId(), reason);
        }
        store.markWaiting(payout.id(), reason);
    }

    private PayoutTx signed(PayoutRow payout, String kind, long nonce, BigInteger gasPrice, RawTransaction transaction,
                            Instant now) {
        String signed = wallet.sign(transaction, chain.chainId());
        return new PayoutTx(payout.id(), kind, chain.chainId(), hotAddress, nonce, gasPrice, Hash.sha3(signed), signed, now);
    }

    /** Broadcasts stored bytes; a refusal (already known, nonce used, underpriced) is fine: the nonce decides. */
    private void broadcast(PayoutTx tx) throws RpcFailure {
        try {
            String hash = rpc.sendRawTransaction(tx.signedTx());
            if (!hash.equals(tx.txHash())) {
                LOG.warn("Chain {} answered hash {} for payout tx {}", chain.chainId(), hash, tx.txHash());
            }
        } catch (RpcFailure.Refused e) {
            LOG.debug("Chain {} refused payout tx {} ({}): {}", chain.chainId(), tx.txHash(), tx.kind(), e.getMessage());
        }
    }

    private static BigInteger cancelPrice(BigInteger transferPrice, BigInteger suggested) {
        BigInteger bumped = transferPrice.multiply(CANCEL_BUMP_PERCENT).divide(BigInteger.valueOf(100)).add(BigInteger.ONE);
        return bumped.max(suggested);
    }

    /** A 32-byte ABI word of hex digits, left-padded with zeros. */
    private static String word(String hexDigits) {
        Objects.checkIndex(hexDigits.length(), 65);
        return "0".repeat(64 - hexDigits.length()) + hexDigits;
    }

    private static String usdc(BigInteger units) {
        return new BigDecimal(units, 6).stripTrailingZeros().toPlainString();
    }

    /** A duration as people write it: "1 ms", "10 min", "15 days". */
    static String text(Duration duration) {
        long millis = duration.toMillis();
        if (millis < 1_000) {
            return millis + " ms";
        }
        if (millis < 60_000 || millis % 60_000 != 0) {
            return duration.toSeconds() + " s";
        }
        if (millis < 3_600_000 || millis % 3_600_000 != 0) {
            return duration.toMinutes() + " min";
        }
        return millis % 86_400_000 == 0 ? duration.toDays() + " days" : duration.toHours() + " h";
    }

    private static String gwei(BigInteger wei) {
        return new BigDecimal(wei, 9).stripTrailingZeros().toPlainString();
    }
}
