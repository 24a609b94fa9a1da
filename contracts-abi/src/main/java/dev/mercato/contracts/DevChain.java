package dev.mercato.contracts;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

/**
 * The local marketplace's chain, run by {@code ./mercato run}: an anvil chain kept in a state
 * directory across restarts, a 6-decimal test USD token, a treasury, and a demo wallet holding
 * {@value #DEMO_WALLET_FUNDING_USDC} of the token. {@code ./mercato deposit} sends from the demo wallet.
 *
 * <pre>
 *   DevChain start STATE_DIR [PORT]      runs until stopped; writes STATE_DIR/chain.env
 *   DevChain deposit STATE_DIR AMOUNT    sends AMOUNT (decimal USD) from the demo wallet to the treasury
 * </pre>
 *
 * <p>A block every second and finality two blocks behind the head, so a deposit is final about
 * three seconds after it is mined, where a public chain takes minutes.
 */
public final class DevChain {

    /** Printed once the chain answers and the token is deployed; the run script waits for it. */
    public static final String READY_LINE = "Local chain ready";
    public static final String ENV_FILE = "chain.env";
    public static final String STATE_FILE = "anvil-state.json";
    static final int DEPLOYER_INDEX = 0;
    static final int DEMO_WALLET_INDEX = 1;
    static final int TREASURY_INDEX = 9;
    static final long DEMO_WALLET_FUNDING_USDC = 1_000;
    static final int TOKEN_DECIMALS = 6;
    static final Duration BLOCK_TIME = Duration.ofSeconds(1);
    static final int SLOTS_IN_AN_EPOCH = 1;
    /** Largest deposit the command sends at once; the demo wallet holds {@value #DEMO_WALLET_FUNDING_USDC}. */
    static final BigDecimal MAX_DEPOSIT_USDC = BigDecimal.valueOf(DEMO_WALLET_FUNDING_USDC);

    private DevChain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length >= 2 && args[0].equals("start")) {
            start(Path.of(args[1]), args.length >= 3 ? Integer.parseInt(args[2]) : 0);
        } else if (args.length == 3 && args[0].equals("deposit")) {
            deposit(Path.of(args[1]), args[2]);
        } else {
            System.err.println("usage: DevChain start STATE_DIR [PORT] | DevChain deposit STATE_DIR AMOUNT_USDC");
            System.exit(2);
        }
    }

    private static void start(Path stateDir, int port) throws IOException, InterruptedException {
        LocalChain chain = open(stateDir, port);
        Map<String, String> env = readEnv(stateDir);
        System.out.println(READY_LINE + " at " + chain.rpcUrl() + ": chain id " + chain.chainId() + ", token "
                + env.get("CHAIN_USDC") + ", treasury " + env.get("CHAIN_TREASURY") + ", demo wallet "
                + env.get("CHAIN_DEMO_WALLET"));
        // The chain's shutdown hook stops anvil on a signal, and anvil writes its state as it stops.
        new CountDownLatch(1).await();
    }

    /**
     * Starts the chain kept in {@code stateDir} (a new one the first time), deploys and funds the
     * token unless the kept chain has it, and writes {@value #ENV_FILE}. Closing the chain keeps its state.
     */
    static LocalChain open(Path stateDir, int port) throws IOException {
        try {
            Files.createDirectories(stateDir);
        } catch (IOException e) {
            throw new UncheckedIOException("could not create " + stateDir, e);
        }
        LocalChain.Builder builder = LocalChain.builder()
                .blockTime(BLOCK_TIME)
                .slotsInAnEpoch(SLOTS_IN_AN_EPOCH)
                .stateFile(stateDir.resolve(STATE_FILE))
                .logFile(stateDir.resolve("anvil.log"));
        if (port > 0) {
            builder.port(port);
        }
        LocalChain chain = builder.start();
        Map<String, String> env = readEnv(stateDir);
        String token = env.get("CHAIN_USDC");
        if (token == null || !hasCode(chain.web3j(), token)) {
            token = deployAndFund(chain);
        }
        String treasury = LocalChain.devAccount(TREASURY_INDEX).getAddress();
        String demoWallet = LocalChain.devAccount(DEMO_WALLET_INDEX).getAddress();
        Map<String, String> written = new LinkedHashMap<>();
        written.put("CHAIN_ID", Long.toString(chain.chainId()));
        written.put("CHAIN_RPC_URL", chain.rpcUrl());
        written.put("CHAIN_USDC", token);
        written.put("CHAIN_TREASURY", treasury);
        written.put("CHAIN_DEMO_WALLET", demoWallet);
        // anvil's published dev key (from its public mnemonic): the local gateway pays operators from the treasury.
        written.put("CHAIN_TREASURY_KEY", Numeric.toHexStringNoPrefixZeroPadded(
                LocalChain.devAccount(TREASURY_INDEX).getEcKeyPair().getPrivateKey(), 64));
        writeEnv(stateDir, written);
        return chain;
    }

    private static String deployAndFund(LocalChain chain) {
        Credentials deployer = LocalChain.devAccount(DEPLOYER_INDEX);
        MercatoTestUsd token = chain.deployTestUsd(deployer);
        try {
            token.mint(LocalChain.devAccount(DEMO_WALLET_INDEX).getAddress(),
                    units(BigDecimal.valueOf(DEMO_WALLET_FUNDING_USDC))).send();
        } catch (Exception e) {
            throw new IllegalStateException("could not fund the demo wallet", e);
        }
        return token.getContractAddress();
    }

    private static void deposit(Path stateDir, String amountUsdc) throws Exception {
        Map<String, String> env = readEnv(stateDir);
        String rpcUrl = env.get("CHAIN_RPC_URL");
        if (rpcUrl == null) {
            System.err.println("No local chain has run here yet (" + stateDir.resolve(ENV_FILE)
                    + " is missing); start one with ./mercato run.");
            System.exit(1);
        }
        BigDecimal amount;
        try {
            amount = new BigDecimal(amountUsdc);
        } catch (NumberFormatException e) {
            amount = BigDecimal.ZERO;
        }
        if (amount.signum() <= 0 || amount.scale() > TOKEN_DECIMALS || amount.compareTo(MAX_DEPOSIT_USDC) > 0) {
            System.err.println("The amount must be a decimal number of USD above 0 and at most " + MAX_DEPOSIT_USDC
                    + ", with at most " + TOKEN_DECIMALS + " decimals; was '" + amountUsdc + "'.");
            System.exit(2);
        }
        TransactionReceipt receipt;
        try {
            receipt = sendDeposit(env, amount);
        } catch (IOException e) {
            System.err.println("The local chain at " + rpcUrl + " does not answer (" + e.getMessage()
                    + "); is ./mercato run still running?");
            System.exit(1);
            return;
        }
        System.out.println("Sent " + amount.toPlainString() + " USDC from the demo wallet "
                + env.get("CHAIN_DEMO_WALLET") + " to the treasury " + env.get("CHAIN_TREASURY") + " in transaction "
                + receipt.getTransactionHash() + " (block " + receipt.getBlockNumber() + ").");
        System.out.println("The gateway credits it once that block is final, in about "
                + (2 * SLOTS_IN_AN_EPOCH + 1) * BLOCK_TIME.toSeconds() + " s plus one scan.");
    }

    /** Transfers {@code amountUsd} of the token from the demo wallet to the treasury and waits for the receipt. */
    static TransactionReceipt sendDeposit(Map<String, String> env, BigDecimal amountUsd) throws Exception {
        Web3j web3j = Web3j.build(new HttpService(env.get("CHAIN_RPC_URL")));
        try {
            Credentials wallet = LocalChain.devAccount(DEMO_WALLET_INDEX);
            MercatoTestUsd token = MercatoTestUsd.load(env.get("CHAIN_USDC"), web3j,
                    LocalChain.transactionManager(web3j, wallet), LocalChain.gasProvider());
            return token.transfer(env.get("CHAIN_TREASURY"), units(amountUsd)).send();
        } finally {
            web3j.shutdown();
        }
    }

    static BigInteger units(BigDecimal usd) {
        return usd.movePointRight(TOKEN_DECIMALS).toBigIntegerExact();
    }

    private static boolean hasCode(Web3j web3j, String address) {
        try {
            String code = web3j.ethGetCode(address, DefaultBlockParameterName.LATEST).send().getCode();
            return code != null && code.length() > 2;
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the code at " + address, e);
        }
    }

    static Map<String, String> readEnv(Path stateDir) throws IOException {
        Path file = stateDir.resolve(ENV_FILE);
        Map<String, String> env = new LinkedHashMap<>();
        if (Files.isRegularFile(file)) {
            Properties properties = new Properties();
            try (var reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                properties.load(reader);
            }
            properties.stringPropertyNames().forEach(name -> env.put(name, properties.getProperty(name)));
        }
        return env;
    }

    private static void writeEnv(Path stateDir, Map<String, String> env) {
        StringBuilder text = new StringBuilder("# The local chain of ./mercato run; rewritten at every start.\n");
        env.forEach((name, value) -> text.append(name).append('=').append(value).append('\n'));
        Path file = stateDir.resolve(ENV_FILE);
        Path temporary = stateDir.resolve(ENV_FILE + ".tmp");
        try {
            Files.writeString(temporary, text, StandardCharsets.UTF_8);
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file, e);
        }
    }
}
