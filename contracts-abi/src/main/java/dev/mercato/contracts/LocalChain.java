package dev.mercato.contracts;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.Request;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.core.methods.response.EthBlock;
import org.web3j.protocol.http.HttpService;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.gas.StaticEIP1559GasProvider;
import org.web3j.tx.response.PollingTransactionReceiptProcessor;
import org.web3j.utils.Convert;
import org.web3j.utils.Numeric;

/**
 * A throwaway Ethereum chain: an anvil process on 127.0.0.1 with chain id {@value #CHAIN_ID} and
 * anvil's ten funded dev accounts, for tests and for a local marketplace. Nothing is kept: every
 * start is a fresh genesis, and {@link #close()} ends the process.
 *
 * <p>Finality, as anvil 1.7.1 reports it: the {@code safe} tag is {@code slotsInAnEpoch} blocks
 * behind the head and {@code finalized} is {@code 2 * slotsInAnEpoch} behind, both floored at
 * block 0. With anvil's default of 32 slots, {@code finalized} is the head minus 64; with
 * {@link Builder#slotsInAnEpoch(int) slotsInAnEpoch(1)} it is the head minus 2.
 */
public final class LocalChain implements AutoCloseable {

    public static final long CHAIN_ID = 31_337;
    public static final String DEV_MNEMONIC = "test test test test test test test test test test test junk";
    public static final long START_TIMEOUT_MILLIS = 30_000;
    public static final long RECEIPT_POLL_INTERVAL_MILLIS = 50;

    // The keys anvil derives from DEV_MNEMONIC along m/44'/60'/0'/0/i; each account starts with 10,000 ETH.
    private static final List<String> DEV_PRIVATE_KEYS = List.of(
            "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
            "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
            "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
            "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
            "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
            "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
            "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
            "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
            "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
            "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6");

    // Well above anvil's starting base fee of 1 gwei, so a transaction is never priced out.
    private static final BigInteger MAX_FEE_PER_GAS_WEI = Convert.toWei("10", Convert.Unit.GWEI).toBigIntegerExact();
    private static final BigInteger MAX_PRIORITY_FEE_PER_GAS_WEI = Convert.toWei("1", Convert.Unit.GWEI).toBigIntegerExact();
    // Deploying MercatoTestUsd takes 436,213 gas, the most of any call here; a fixed limit skips estimation.
    private static final BigInteger GAS_LIMIT = BigInteger.valueOf(3_000_000);
    private static final long STOP_TIMEOUT_MILLIS = 10_000;
    private static final Pattern LISTENING = Pattern.compile("Listening on 127\\.0\\.0\\.1:(\\d+)");

    private final Process process;
    private final Path logFile;
    private final String rpcUrl;
    private final HttpService httpService;
    private final Web3j web3j;
    private final ScheduledExecutorService pollingExecutor;
    private final Thread shutdownHook;

    private LocalChain(Process process, Path logFile, int port) {
        this.process = process;
        this.logFile = logFile;
        this.rpcUrl = "http://127.0.0.1:" + port;
        this.httpService = new HttpService(rpcUrl);
        // Its own executor, so shutting this client down leaves other chains' clients running.
        this.pollingExecutor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "local-chain-" + port);
            thread.setDaemon(true);
            return thread;
        });
        this.web3j = Web3j.build(httpService, RECEIPT_POLL_INTERVAL_MILLIS, pollingExecutor);
        // A JVM that exits without close() still takes its anvil with it.
        this.shutdownHook = new Thread(this::stopProcess, "local-chain-stop-" + port);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** A chain with automine (a block per transaction), 32 slots per epoch and any free port. */
    public static LocalChain start() {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    public String rpcUrl() {
        return rpcUrl;
    }

    public Web3j web3j() {
        return web3j;
    }

    public long chainId() {
        return CHAIN_ID;
    }

    /** The file anvil's output goes to: its banner and one line per RPC call. */
    public Path logFile() {
        return logFile;
    }

    /** Anvil's dev account {@code index} (0 to 9), funded with 10,000 ETH at genesis. */
    public Credentials account(int index) {
        return devAccount(index);
    }

    /** Anvil's dev account {@code index} (0 to 9) on any chain started from {@link #DEV_MNEMONIC}. */
    public static Credentials devAccount(int index) {
        Objects.checkIndex(index, DEV_PRIVATE_KEYS.size());
        return Credentials.create(DEV_PRIVATE_KEYS.get(index));
    }

    /**
     * Signs locally with {@code credentials} and waits for each receipt by polling every
     * {@value #RECEIPT_POLL_INTERVAL_MILLIS} ms. It asks the node for the nonce on every send,
     * so it stays right across {@link #reorg}, {@link #revert} and other senders.
     */
    public RawTransactionManager transactionManager(Credentials credentials) {
        return transactionManager(web3j, credentials);
    }

    /** As {@link #transactionManager(Credentials)}, for a client of a chain this process did not start. */
    public static RawTransactionManager transactionManager(Web3j web3j, Credentials credentials) {
        int attempts = (int) (START_TIMEOUT_MILLIS / RECEIPT_POLL_INTERVAL_MILLIS);
        return new RawTransactionManager(web3j, credentials, CHAIN_ID,
                new PollingTransactionReceiptProcessor(web3j, RECEIPT_POLL_INTERVAL_MILLIS, attempts));
    }

    /** EIP-1559 fees and a fixed gas limit that suit every call on MercatoTestUsd and Erc20. */
    public static StaticEIP1559GasProvider gasProvider() {
        return new StaticEIP1559GasProvider(CHAIN_ID, MAX_FEE_PER_GAS_WEI, MAX_PRIORITY_FEE_PER_GAS_WEI, GAS_LIMIT);
    }

    /** Deploys a new MercatoTestUsd from {@code deployer}; the returned wrapper sends as the deployer. */
    public MercatoTestUsd deployTestUsd(Credentials deployer) {
        try {
            return MercatoTestUsd.deploy(web3j, transactionManager(deployer), gasProvider()).send();
        } catch (Exception e) {
            throw new LocalChainException("could not deploy MercatoTestUsd from " + deployer.getAddress(), e);
        }
    }

    /** The MercatoTestUsd at {@code address}, sending as {@code sender}. */
    public MercatoTestUsd testUsd(String address, Credentials sender) {
        return MercatoTestUsd.load(address, web3j, transactionManager(sender), gasProvider());
    }

    /** Mines {@code blocks} empty blocks at once, whatever the mining mode ({@code anvil_mine}). */
    public void mine(int blocks) {
        if (blocks < 1) {
            throw new IllegalArgumentException("blocks must be at least 1, was " + blocks);
        }
        rpc("anvil_mine", List.of(Numeric.encodeQuantity(BigInteger.valueOf(blocks))));
    }

    /**
     * Replaces the last {@code depth} blocks with {@code depth} new ones, so the head keeps its
     * number and every replaced block gets a new hash ({@code anvil_reorg}). The transactions of
     * the replaced blocks are dropped: not re-mined and not returned to the pool, so their
     * receipts and logs are gone. Each of {@code transactions} is mined into the new block at its
     * {@link ReorgTransaction#blockOffset()}: 0 is the first replaced height, head - depth + 1.
     */
    public void reorg(int depth, List<ReorgTransaction> transactions) {
        if (depth < 1) {
            throw new IllegalArgumentException("depth must be at least 1, was " + depth);
        }
        List<List<Object>> pairs = new ArrayList<>();
        for (ReorgTransaction transaction : transactions) {
            if (transaction.blockOffset() >= depth) {
                throw new IllegalArgumentException("block offset " + transaction.blockOffset()
                        + " is past the " + depth + " replaced blocks");
            }
            pairs.add(List.of(transaction.signedTransaction(), transaction.blockOffset()));
        }
        rpc("anvil_reorg", List.of(depth, pairs));
    }

    public void reorg(int depth) {
        reorg(depth, List.of());
    }

    /** Records the whole chain state, to come back to with {@link #revert(BigInteger)} ({@code evm_snapshot}). */
    public BigInteger snapshot() {
        return Numeric.decodeQuantity(rpc("evm_snapshot", List.of()).asText());
    }

    /**
     * Returns the chain to {@code snapshotId}: blocks mined since are gone and the head is the
     * block it was then ({@code evm_revert}). A snapshot is used up by reverting to it.
     */
    public void revert(BigInteger snapshotId) {
        if (!rpc("evm_revert", List.of(Numeric.encodeQuantity(snapshotId))).asBoolean()) {
            throw new LocalChainException("anvil has no snapshot " + snapshotId);
        }
    }

    public long blockNumber() {
        return blockNumber(DefaultBlockParameterName.LATEST);
    }

    /** The number of the block the {@code finalized} tag names: see the class comment for how far it trails. */
    public long finalizedBlockNumber() {
        return blockNumber(DefaultBlockParameterName.FINALIZED);
    }

    /** The number of the block the {@code safe} tag names. */
    public long safeBlockNumber() {
        return blockNumber(DefaultBlockParameterName.SAFE);
    }

    private long blockNumber(DefaultBlockParameterName tag) {
        try {
            EthBlock response = web3j.ethGetBlockByNumber(tag, false).send();
            if (response.hasError()) {
                throw new LocalChainException("eth_getBlockByNumber(" + tag.getValue() + ") failed: "
                        + response.getError().getMessage());
            }
            return response.getBlock().getNumber().longValueExact();
        } catch (IOException e) {
            throw new UncheckedIOException("eth_getBlockByNumber(" + tag.getValue() + ") on " + rpcUrl + " failed", e);
        }
    }

    /** Any JSON-RPC call, anvil's own methods included; answers its result. @throws LocalChainException on an error answer */
    public JsonNode rpc(String method, List<?> params) {
        try {
            JsonResponse response = new Request<>(method, params, httpService, JsonResponse.class).send();
            if (response.hasError()) {
                throw new LocalChainException(method + " failed: " + response.getError().getMessage());
            }
            return response.getResult();
        } catch (IOException e) {
            throw new UncheckedIOException(method + " on " + rpcUrl + " failed", e);
        }
    }

    /** Ends anvil and waits for it to exit. */
    @Override
    public void close() {
        web3j.shutdown();
        stopProcess();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // The hook is running or has run: the process is being stopped by it.
        }
    }

    private void stopProcess() {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A signed transaction (hex, 0x-prefixed, as sent with {@code eth_sendRawTransaction}) to mine
     * into a reorged chain, at {@code blockOffset} within the replaced blocks. Re-using a
     * transaction from a replaced block puts the same transaction hash at a new height.
     */
    public record ReorgTransaction(String signedTransaction, int blockOffset) {
        public ReorgTransaction {
            Objects.requireNonNull(signedTransaction, "signedTransaction");
            if (blockOffset < 0) {
                throw new IllegalArgumentException("blockOffset must not be negative, was " + blockOffset);
            }
        }
    }

    /** What anvil answered when asked for something it refused. */
    public static final class LocalChainException extends RuntimeException {
        LocalChainException(String message) {
            super(message);
        }

        LocalChainException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The JSON-RPC result as a tree: anvil's own methods answer with numbers, strings, booleans or null. */
    private static final class JsonResponse extends Response<JsonNode> {
    }

    public static final class Builder {
        private Duration blockTime;
        private int slotsInAnEpoch;
        private int port;
        private Path toolsDirectory;
        private Path logFile;
        private Path stateFile;

        private Builder() {
        }

        /** Mine a block every {@code blockTime} instead of one per transaction (anvil's automine). */
        public Builder blockTime(Duration blockTime) {
            if (blockTime.toMillis() < 1) {
                throw new IllegalArgumentException("block time must be at least 1 ms, was " + blockTime);
            }
            this.blockTime = blockTime;
            return this;
        }

        /** How far {@code safe} and {@code finalized} trail the head: one and two epochs of this many blocks. */
        public Builder slotsInAnEpoch(int slotsInAnEpoch) {
            if (slotsInAnEpoch < 1) {
                throw new IllegalArgumentException("slots in an epoch must be at least 1, was " + slotsInAnEpoch);
            }
            this.slotsInAnEpoch = slotsInAnEpoch;
            return this;
        }

        /** A fixed port; by default anvil binds a free one and reports it, which cannot race another process. */
        public Builder port(int port) {
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException("port must be 1 to 65535, was " + port);
            }
            this.port = port;
            return this;
        }

        /** Where anvil is installed; by default {@link AnvilInstaller#defaultToolsDirectory()}. */
        public Builder toolsDirectory(Path toolsDirectory) {
            this.toolsDirectory = toolsDirectory;
            return this;
        }

        /**
         * Keep the chain in {@code stateFile} across restarts ({@code anvil --state}): loaded at start
         * when it exists, written when anvil stops on a signal. Blocks keep their numbers and hashes,
         * so a deposit scanner's cursor and stored hashes stay valid. By default nothing is kept.
         */
        public Builder stateFile(Path stateFile) {
            this.stateFile = stateFile.toAbsolutePath();
            return this;
        }

        /** Where anvil's output goes; by default a new file in {@code target/anvil} of the working directory. */
        public Builder logFile(Path logFile) {
            this.logFile = logFile;
            return this;
        }

        /**
         * Installs anvil if needed, starts it, and returns once it answers {@code eth_chainId}
         * with {@value #CHAIN_ID}, within {@value #START_TIMEOUT_MILLIS} ms.
         */
        public LocalChain start() {
            Path binary = AnvilInstaller.anvilBinary(
                    toolsDirectory != null ? toolsDirectory : AnvilInstaller.defaultToolsDirectory());
            List<String> command = new ArrayList<>(List.of(binary.toString(),
                    "--host", "127.0.0.1",
                    "--port", Integer.toString(port),
                    "--chain-id", Long.toString(CHAIN_ID),
                    "--mnemonic", DEV_MNEMONIC,
                    "--accounts", Integer.toString(DEV_PRIVATE_KEYS.size())));
            if (blockTime != null) {
                // Anvil takes fractional seconds: 0.5 mines twice a second.
                String seconds = BigDecimal.valueOf(blockTime.toMillis(), 3).stripTrailingZeros().toPlainString();
                command.addAll(List.of("--block-time", seconds));
            }
            if (slotsInAnEpoch > 0) {
                command.addAll(List.of("--slots-in-an-epoch", Integer.toString(slotsInAnEpoch)));
            }
            if (stateFile != null) {
                command.addAll(List.of("--state", stateFile.toString()));
            }
            Path log;
            Process process;
            try {
                log = logFile != null ? logFile : newLogFile();
                Files.createDirectories(log.toAbsolutePath().getParent());
                process = new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
            } catch (IOException e) {
                throw new UncheckedIOException("could not start " + String.join(" ", command), e);
            }
            LocalChain chain = null;
            try {
                long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MILLIS);
                int boundPort = awaitListening(process, log, deadlineNanos);
                chain = new LocalChain(process, log, boundPort);
                awaitChainId(chain, deadlineNanos);
                return chain;
            } catch (RuntimeException e) {
                if (chain != null) {
                    chain.close();
                } else {
                    process.destroyForcibly();
                }
                throw e;
            }
        }

        private static Path newLogFile() throws IOException {
            Path directory = Path.of("target", "anvil").toAbsolutePath();
            Files.createDirectories(directory);
            return Files.createTempFile(directory, "anvil-", ".log");
        }

        // Anvil prints the address it bound as its banner's last line, port 0 resolved.
        private static int awaitListening(Process process, Path log, long deadlineNanos) {
            while (true) {
                String output = read(log);
                Matcher matcher = LISTENING.matcher(output);
                if (matcher.find()) {
                    return Integer.parseInt(matcher.group(1));
                }
                if (!process.isAlive()) {
                    throw new IllegalStateException("anvil exited with code " + process.exitValue()
                            + " before listening; its output (" + log + "):\n" + output);
                }
                if (System.nanoTime() > deadlineNanos) {
                    throw new IllegalStateException("anvil did not start listening within "
                            + START_TIMEOUT_MILLIS + " ms; its output (" + log + "):\n" + output);
                }
                pause();
            }
        }

        private static void awaitChainId(LocalChain chain, long deadlineNanos) {
            while (true) {
                try {
                    long chainId = chain.web3j.ethChainId().send().getChainId().longValueExact();
                    if (chainId != CHAIN_ID) {
                        throw new IllegalStateException("anvil at " + chain.rpcUrl + " reports chain id " + chainId);
                    }
                    return;
                } catch (IOException notYet) {
                    if (System.nanoTime() > deadlineNanos) {
                        throw new IllegalStateException("anvil at " + chain.rpcUrl + " did not answer eth_chainId within "
                                + START_TIMEOUT_MILLIS + " ms; its output is in " + chain.logFile, notYet);
                    }
                    pause();
                }
            }
        }

        private static String read(Path log) {
            try {
                // Not readString: anvil may be halfway through writing a multi-byte character.
                return new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("could not read anvil's output in " + log, e);
            }
        }

        private static void pause() {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting anvil", e);
            }
        }
    }
}
