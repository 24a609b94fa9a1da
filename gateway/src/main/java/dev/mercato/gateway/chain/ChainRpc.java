package dev.mercato.gateway.chain;

import io.micronaut.json.JsonMapper;
import io.micronaut.json.tree.JsonNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * The few Ethereum JSON-RPC calls Mercato makes, over plain HTTP: for the deposit scanner
 * {@code eth_chainId}, the token's decimals, {@code eth_getBlockByNumber} and {@code eth_getLogs}
 * for USDC transfers to the treasury; for the payout worker balances, nonces, gas prices,
 * {@code eth_sendRawTransaction} and receipts. Every call has a timeout and a response size limit,
 * and is retried a bounded number of times with jittered backoff: a rate limit is waited out on
 * the same URL, an outage moves to the next URL. A range the provider refuses is not retried
 * here (the scanner asks again in smaller pieces), nor is a transaction the node rejects.
 */
public final class ChainRpc implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChainRpc.class);

    /** keccak256("Transfer(address,address,uint256)"), the event's first topic. */
    static final String TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";

    /** The largest answer read; an eth_getLogs answer beyond it is treated as a range too large. */
    static final int MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

    /** How much of a provider's error text is kept in a message. */
    static final int MAX_ERROR_CHARS = 300;

    private static final Pattern RATE_LIMITED = Pattern.compile(
        "rate.?limit|too many requests|request limit|throttl|capacity", Pattern.CASE_INSENSITIVE);
    // The wordings providers use for an eth_getLogs they will not serve (Infura, Alchemy, QuickNode, geth, …).
    private static final Pattern RANGE_TOO_LARGE = Pattern.compile(
        "block range|range (is )?too (large|wide|big)|too many (results|logs|blocks)|more than \\d+ (results|logs)"
            + "|response size|result size|returned more than|limited to|exceeds? (the )?max", Pattern.CASE_INSENSITIVE);
    private static final Pattern HASH = Pattern.compile("0x[0-9a-f]{64}");
    /** The first four bytes of keccak256("decimals()"). */
    private static final String DECIMALS_SELECTOR = "0x313ce567";
    /** The first four bytes of keccak256("balanceOf(address)"). */
    private static final String BALANCE_OF_SELECTOR = "0x70a08231";
    private static final Pattern BIG_QUANTITY = Pattern.compile("0x[0-9a-f]{1,64}");
    private static final Pattern QUANTITY = Pattern.compile("0x[0-9a-f]{1,16}");

    private final ChainSettings settings;
    private final JsonMapper json;
    private final Backoff backoff;
    private final HttpClient http;
    private final String treasuryTopic;
    private final AtomicInteger currentUrl = new AtomicInteger();
    private final AtomicLong requestIds = new AtomicLong();

    public ChainRpc(ChainSettings settings, JsonMapper json, Backoff backoff) {
        this.settings = settings;
        this.json = json;
        this.backoff = backoff;
        this.http = HttpClient.newBuilder().connectTimeout(settings.requestTimeout()).build();
        this.treasuryTopic = "0x" + "0".repeat(24) + settings.treasuryAddress().substring(2);
    }

    public long chainId() throws RpcFailure {
        return quantity(call("eth_chainId", "[]"), "eth_chainId");
    }

    /**
     * The token's {@code decimals()} at the latest block, or -1 when the address answers no such
     * call (no contract there, or not an ERC-20).
     */
    public long tokenDecimals() throws RpcFailure {
        JsonNode result = call("eth_call", "[{\"to\":\"" + settings.usdcAddress() + "\",\"data\":\""
            + DECIMALS_SELECTOR + "\"},\"latest\"]");
        String word = lowerText(result);
        if (word == null || !HASH.matcher(word).matches()) {
            return -1;
        }
        BigInteger decimals = new BigInteger(word.substring(2), 16);
        return decimals.bitLength() < Long.SIZE ? decimals.longValue() : -1;
    }

    /**
     * The highest block that is final by the chain's rule (its {@code finalized} tag, or enough
     * confirmations on {@code latestBlock}); -1 while no block is final yet: a young chain, or
     * fewer blocks than the confirmations asked.
     */
    public long finalBlockNumber(long latestBlock) throws RpcFailure {
        if (settings.finality() == ChainSettings.Finality.FINALIZED) {
            return blockNumber("finalized");
        }
        return Math.max(-1, latestBlock - settings.confirmations() + 1);
    }

    /** The token balance of {@code address} at the latest block, in the token's base units. */
    public BigInteger tokenBalance(String address) throws RpcFailure {
        JsonNode result = call("eth_call", "[{\"to\":\"" + settings.usdcAddress() + "\",\"data\":\""
            + BALANCE_OF_SELECTOR + "0".repeat(24) + address.substring(2) + "\"},\"latest\"]");
        String word = lowerText(result);
        if (word == null || !HASH.matcher(word).matches()) {
            throw new RpcFailure.Unavailable("balanceOf answered " + abbreviate(word));
        }
        return new BigInteger(word.substring(2), 16);
    }

    /** The native coin balance of {@code address} at the latest block, in wei. */
    public BigInteger nativeBalance(String address) throws RpcFailure {
        return bigQuantity(call("eth_getBalance", "[\"" + address + "\",\"latest\"]"), "balance");
    }

    /**
     * How many transactions {@code address} has had mined up to {@code block}: the next nonce it
     * may use, as that block sees it. {@code block} is a tag ({@code latest}, {@code pending}) or a number.
     */
    public long transactionCount(String address, String block) throws RpcFailure {
        return quantity(call("eth_getTransactionCount", "[\"" + address + "\",\"" + block + "\"]"), "transaction count");
    }

    /** The node's suggested gas price in wei. */
    public BigInteger gasPrice() throws RpcFailure {
        return bigQuantity(call("eth_gasPrice", "[]"), "gas price");
    }

    /**
     * Broadcasts a signed transaction and answers its hash.
     *
     * @throws RpcFailure.Refused if the node rejects it (already known, nonce too low, underpriced, …);
     *     that is not retried, since the same bytes would be rejected the same way
     */
    public String sendRawTransaction(String signedHex) throws RpcFailure {
        return hash(call("eth_sendRawTransaction", "[\"" + signedHex + "\"]"), "transaction hash");
    }

    /** The receipt of a mined transaction, or null while it is not mined (as the provider sees the chain). */
    public Receipt receipt(String txHash) throws RpcFailure {
        JsonNode receipt = call("eth_getTransactionReceipt", "[\"" + txHash + "\"]");
        if (receipt.isNull()) {
            return null;
        }
        String status = lowerText(receipt.get("status"));
        if (!"0x1".equals(status) && !"0x0".equals(status)) {
            throw new RpcFailure.Unavailable("the receipt of " + txHash + " has status " + abbreviate(status));
        }
        return new Receipt(hash(receipt.get("transactionHash"), "transaction hash"),
            quantity(receipt.get("blockNumber"), "receipt block number"), hash(receipt.get("blockHash"), "block hash"),
            "0x1".equals(status));
    }

    /** A mined transaction: where, and whether it succeeded ({@code status} 1) or reverted (0). */
    public record Receipt(String txHash, long blockNumber, String blockHash, boolean succeeded) {
    }

    /** The number of the block a tag ({@code latest}, {@code finalized}) names. */
    public long blockNumber(String tag) throws RpcFailure {
        JsonNode block = call("eth_getBlockByNumber", "[\"" + tag + "\",false]");
        if (block.isNull()) {
            throw new RpcFailure.Unavailable("the " + tag + " block is unknown to " + currentUrlText());
        }
        return quantity(block.get("number"), tag + " block number");
    }

    public BlockRef block(long number) throws RpcFailure {
        JsonNode block = call("eth_getBlockByNumber", "[\"" + hex(number) + "\",false]");
        if (block.isNull()) {
            // A provider behind the others does not have it yet; that is not a reorg.
            throw new RpcFailure.Unavailable("block " + number + " is unknown to " + currentUrlText());
        }
        long answered = quantity(block.get("number"), "block number");
        if (answered != number) {
            throw new RpcFailure.Unavailable("asked for block " + number + ", got block " + answered);
        }
        return new BlockRef(number, hash(block.get("hash"), "block hash"));
    }

    /**
     * Every USDC transfer to the treasury in blocks [from, to], in the provider's order. Logs the
     * filter should not have matched are dropped; a log outside the range makes the answer unusable.
     */
    public List<TransferLog> transferLogs(long from, long to) throws RpcFailure {
        String params = "[{\"fromBlock\":\"" + hex(from) + "\",\"toBlock\":\"" + hex(to) + "\",\"address\":\""
            + settings.usdcAddress() + "\",\"topics\":[\"" + TRANSFER_TOPIC + "\",null,\"" + treasuryTopic + "\"]}]";
        JsonNode result = call("eth_getLogs", params);
        if (!result.isArray()) {
            throw new RpcFailure.Unavailable("eth_getLogs answered " + abbreviate(String.valueOf(result.getValue())));
        }
        List<TransferLog> logs = new ArrayList<>(result.size());
        for (JsonNode log : result.values()) {
            TransferLog transfer = transfer(log, from, to);
            if (transfer != null) {
                logs.add(transfer);
            }
        }
        return logs;
    }

    private TransferLog transfer(JsonNode log, long from, long to) throws RpcFailure {
        JsonNode removed = log.get("removed");
        if (removed != null && removed.isBoolean() && removed.getBooleanValue()) {
            return null;
        }
        JsonNode topics = log.get("topics");
        if (!settings.usdcAddress().equals(lowerText(log.get("address"))) || topics == null || !topics.isArray()
            || topics.size() != 3 || !TRANSFER_TOPIC.equals(lowerText(topics.get(0)))
            || !treasuryTopic.equals(lowerText(topics.get(2)))) {
            return null;
        }
        long blockNumber = quantity(log.get("blockNumber"), "log block number");
        if (blockNumber < from || blockNumber > to) {
            throw new RpcFailure.Unavailable("eth_getLogs for blocks " + from + "-" + to + " answered a log of block "
                + blockNumber);
        }
        String sender = hash(topics.get(1), "sender topic");
        String data = lowerText(log.get("data"));
        if (data == null || !HASH.matcher(data).matches()) {
            throw new RpcFailure.Unavailable("a Transfer log's data is not one uint256: " + abbreviate(data));
        }
        return new TransferLog(hash(log.get("transactionHash"), "transaction hash"),
            Math.toIntExact(quantity(log.get("logIndex"), "log index")), blockNumber, hash(log.get("blockHash"), "block hash"),
            "0x" + sender.substring(26), new BigInteger(data.substring(2), 16));
    }

    /** One JSON-RPC call with the bounded retries; answers its {@code result}. */
    private JsonNode call(String method, String params) throws RpcFailure {
        RpcFailure last = null;
        for (int attempt = 1; attempt <= settings.maxAttempts(); attempt++) {
            if (attempt > 1) {
                long waitMillis = backoff.delayMillis(attempt - 1);
                if (last instanceof RpcFailure.RateLimited limited) {
                    waitMillis = Math.max(waitMillis, Math.min(limited.retryAfterMillis(), backoff.maxMillis()));
                }
                sleep(waitMillis);
            }
            URI url = settings.rpcUrls().get(Math.floorMod(currentUrl.get(), settings.rpcUrls().size()));
            try {
                return once(url, method, params);
            } catch (RpcFailure.RangeTooLarge | RpcFailure.Refused e) {
                throw e;
            } catch (RpcFailure.RateLimited e) {
                last = e;
                LOG.debug("chain {}: {} rate limited by {}: {}", settings.chainId(), method, url, e.getMessage());
            } catch (RpcFailure.Unavailable e) {
                last = e;
                currentUrl.incrementAndGet();
                LOG.debug("chain {}: {} failed on {}: {}", settings.chainId(), method, url, e.getMessage());
            }
        }
        throw new RpcFailure.Unavailable(method + " failed " + settings.maxAttempts() + " times on chain "
            + settings.chainId() + "; last: " + last.getMessage(), last);
    }

    private JsonNode once(URI url, String method, String params) throws RpcFailure {
        long id = requestIds.incrementAndGet();
        String body = "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":" + params + "}";
        HttpRequest request = HttpRequest.newBuilder(url)
            .timeout(settings.requestTimeout())
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
        CompletableFuture<HttpResponse<byte[]>> sent = http.sendAsync(request, info -> new BoundedBody());
        HttpResponse<byte[]> response;
        try {
            // The request timeout covers the wait for headers only; this bounds the whole answer.
            response = sent.get(settings.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            sent.cancel(true);
            throw new RpcFailure.Unavailable(method + " took longer than " + settings.requestTimeout().toMillis() + " ms");
        } catch (InterruptedException e) {
            sent.cancel(true);
            Thread.currentThread().interrupt();
            throw new RpcFailure.Unavailable("interrupted", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ResponseTooLarge) {
                if (method.equals("eth_getLogs")) {
                    throw new RpcFailure.RangeTooLarge("the answer exceeds " + MAX_RESPONSE_BYTES + " bytes");
                }
                throw new RpcFailure.Unavailable(method + "'s answer exceeds " + MAX_RESPONSE_BYTES + " bytes");
            }
            throw new RpcFailure.Unavailable(method + ": " + cause, cause);
        }
        String text = new String(response.body(), StandardCharsets.UTF_8);
        if (response.statusCode() == 429) {
            long retryAfterMillis = response.headers().firstValue("retry-after").map(ChainRpc::retryAfterMillis).orElse(0L);
            throw new RpcFailure.RateLimited("HTTP 429: " + abbreviate(text), retryAfterMillis);
        }
        JsonNode answer;
        try {
            answer = json.readValue(response.body(), JsonNode.class);
        } catch (IOException | RuntimeException e) {
            throw new RpcFailure.Unavailable("HTTP " + response.statusCode() + ", not JSON-RPC: " + abbreviate(text));
        }
        JsonNode error = answer == null || !answer.isObject() ? null : answer.get("error");
        if (error != null && !error.isNull()) {
            JsonNode message = error.isObject() ? error.get("message") : null;
            String reason = abbreviate(message != null && message.isString() ? message.getStringValue()
                : String.valueOf(error.getValue()));
            if (RATE_LIMITED.matcher(reason).find()) {
                throw new RpcFailure.RateLimited(method + ": " + reason, 0);
            }
            if (method.equals("eth_getLogs") && RANGE_TOO_LARGE.matcher(reason).find()) {
                throw new RpcFailure.RangeTooLarge(reason);
            }
            if (method.equals("eth_sendRawTransaction")) {
                throw new RpcFailure.Refused(reason);
            }
            throw new RpcFailure.Unavailable(method + " answered error: " + reason);
        }
        if (response.statusCode() != 200 || answer == null || !answer.isObject() || answer.get("result") == null) {
            throw new RpcFailure.Unavailable("HTTP " + response.statusCode() + " without a result: " + abbreviate(text));
        }
        return answer.get("result");
    }

    private static long retryAfterMillis(String header) {
        try {
            return TimeUnit.SECONDS.toMillis(Long.parseLong(header.trim()));
        } catch (NumberFormatException e) {
            return 0; // an HTTP date: the backoff's own wait will do
        }
    }

    private static long quantity(JsonNode node, String what) throws RpcFailure {
        String text = lowerText(node);
        if (text == null || !QUANTITY.matcher(text).matches()) {
            throw new RpcFailure.Unavailable(what + " is not a hex quantity: " + abbreviate(text));
        }
        long value = Long.parseUnsignedLong(text.substring(2), 16);
        if (value < 0) {
            throw new RpcFailure.Unavailable(what + " is beyond any real chain: " + text);
        }
        return value;
    }

    private static BigInteger bigQuantity(JsonNode node, String what) throws RpcFailure {
        String text = lowerText(node);
        if (text == null || !BIG_QUANTITY.matcher(text).matches()) {
            throw new RpcFailure.Unavailable(what + " is not a hex quantity: " + abbreviate(text));
        }
        return new BigInteger(text.substring(2), 16);
    }

    private static String hash(JsonNode node, String what) throws RpcFailure {
        String text = lowerText(node);
        if (text == null || !HASH.matcher(text).matches()) {
            throw new RpcFailure.Unavailable(what + " is not 32 bytes of hex: " + abbreviate(text));
        }
        return text;
    }

    private static String lowerText(JsonNode node) {
        return node == null || !node.isString() ? null : node.getStringValue().toLowerCase(Locale.ROOT);
    }

    private static String hex(long number) {
        return "0x" + Long.toHexString(number);
    }

    private static String abbreviate(String text) {
        if (text == null) {
            return "nothing";
        }
        return text.length() <= MAX_ERROR_CHARS ? text : text.substring(0, MAX_ERROR_CHARS) + "…";
    }

    private String currentUrlText() {
        return settings.rpcUrls().get(Math.floorMod(currentUrl.get(), settings.rpcUrls().size())).toString();
    }

    private static void sleep(long millis) throws RpcFailure {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RpcFailure.Unavailable("interrupted while backing off", e);
        }
    }

    @Override
    public void close() {
        http.close();
    }

    /** An answer beyond {@link #MAX_RESPONSE_BYTES}. */
    private static final class ResponseTooLarge extends IOException {
        ResponseTooLarge() {
            super("response exceeds " + MAX_RESPONSE_BYTES + " bytes", null);
        }
    }

    /** Collects a body up to {@link #MAX_RESPONSE_BYTES}, and gives up (cancelling the stream) beyond it. */
    private static final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final CompletableFuture<byte[]> body = new CompletableFuture<>();
        private final List<ByteBuffer> parts = new ArrayList<>();
        private Flow.Subscription subscription;
        private long bytes;

        @Override
        public CompletionStage<byte[]> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (body.isDone()) {
                return;
            }
            for (ByteBuffer item : items) {
                bytes += item.remaining();
                parts.add(item);
            }
            if (bytes > MAX_RESPONSE_BYTES) {
                subscription.cancel();
                parts.clear();
                body.completeExceptionally(new ResponseTooLarge());
            }
        }

        @Override
        public void onError(Throwable failure) {
            body.completeExceptionally(failure);
        }

        @Override
        public void onComplete() {
            if (body.isDone()) {
                return;
            }
            byte[] all = new byte[Math.toIntExact(bytes)];
            int at = 0;
            for (ByteBuffer part : parts) {
                int length = part.remaining();
                part.get(all, at, length);
                at += length;
            }
            body.complete(all);
        }
    }
}
