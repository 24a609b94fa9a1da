package dev.mercato.gateway.chain;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One chain Mercato takes USDC deposits on, from configuration ({@code mercato.chains}, a list):
 * where to read it, which token and treasury to watch, when a block counts as final, and the
 * bounds of the scan. An empty list turns deposits off.
 *
 * <pre>
 * mercato:
 *   chains:
 *     - id: 8453
 *       name: base
 *       rpc-urls: [https://mainnet.base.org, https://base.llamarpc.com]
 *       usdc-address: "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913"
 *       treasury-address: "0x…"
 *       finality: finalized          # or: confirmations, with confirmations: 12
 *       start-block: 23000000
 * </pre>
 *
 * <p>Addresses are kept lower-case (0x and 40 hex digits).
 *
 * @param rpcUrls tried in order; a failing one hands over to the next
 * @param confirmations only for {@link Finality#CONFIRMATIONS}: a block is final once this many blocks, itself included, are on it
 * @param startBlock where the first scan of this chain begins
 */
public record ChainSettings(long chainId, String name, List<URI> rpcUrls, String usdcAddress, String treasuryAddress,
                            Finality finality, int confirmations, int minBlockRange, int maxBlockRange,
                            Duration pollInterval, long startBlock, Duration requestTimeout, int maxAttempts,
                            Duration initialBackoff, Duration maxBackoff) {

    /** When a block is final: by the chain's own {@code finalized} tag, or by a count of confirmations. */
    public enum Finality {
        FINALIZED, CONFIRMATIONS;

        String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * The ledger counts nano-USDC; the token's smallest unit (USDC has 6 decimals, and a chain's
     * token is checked to have them before it is scanned) is this many of them.
     */
    public static final long NANO_PER_TOKEN_UNIT = 1_000;

    /** Bounds on what configuration may ask for, so a typo cannot make a runaway scanner. */
    static final int MAX_CHAINS = 64;
    static final int MAX_RPC_URLS = 16;
    static final int MAX_CONFIRMATIONS = 10_000;
    static final int MAX_BLOCK_RANGE = 100_000;
    static final int MAX_ATTEMPTS = 20;
    static final Duration MAX_DURATION = Duration.ofHours(1);

    static final String DEFAULT_FINALITY = "finalized";
    static final int DEFAULT_MIN_BLOCK_RANGE = 1;
    static final int DEFAULT_MAX_BLOCK_RANGE = 2_000;
    static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(12);
    static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
    static final int DEFAULT_MAX_ATTEMPTS = 5;
    static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(500);
    static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(30);

    private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
    private static final List<String> FIELDS = List.of("id", "name", "rpc-urls", "usdc-address", "treasury-address",
        "finality", "confirmations", "min-block-range", "max-block-range", "poll-interval", "start-block",
        "request-timeout", "max-attempts", "initial-backoff", "max-backoff");

    public ChainSettings {
        rpcUrls = List.copyOf(rpcUrls);
    }

    /** How the finality rule reads to a person: "finalized" or "12 confirmations". */
    public String finalityText() {
        return finality == Finality.FINALIZED ? "finalized" : confirmations + " confirmations";
    }

    /** The ledger account holding what this chain's treasury received. */
    public String assetAccount() {
        return "asset:usdc:" + chainId;
    }

    /**
     * Reads the configured list; every mistake names the entry and the field.
     *
     * @throws IllegalArgumentException if an entry is malformed, a chain id repeats, or a value is out of range
     */
    public static List<ChainSettings> parse(List<?> entries) {
        if (entries.size() > MAX_CHAINS) {
            throw new IllegalArgumentException("mercato.chains lists " + entries.size() + " chains; at most " + MAX_CHAINS);
        }
        List<ChainSettings> chains = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < entries.size(); i++) {
            String where = "mercato.chains[" + i + "]";
            if (!(entries.get(i) instanceof Map<?, ?> entry)) {
                throw new IllegalArgumentException(where + " must be a map with id, rpc-urls, usdc-address and "
                    + "treasury-address, was " + entries.get(i));
            }
            for (Object key : entry.keySet()) {
                if (!FIELDS.contains(String.valueOf(key))) {
                    throw new IllegalArgumentException(where + " has an unknown field '" + key + "'; known: " + FIELDS);
                }
            }
            ChainSettings chain = one(where, entry);
            if (!seen.add(chain.chainId())) {
                throw new IllegalArgumentException(where + " configures chain " + chain.chainId() + " a second time");
            }
            chains.add(chain);
        }
        return List.copyOf(chains);
    }

    private static ChainSettings one(String where, Map<?, ?> entry) {
        long chainId = number(where, entry, "id", null, 1, Long.MAX_VALUE);
        String name = text(where, entry, "name", "chain-" + chainId);
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(where + ".name must be lower-case letters, digits, '-' and '_' "
                + "(at most 63), was '" + name + "'");
        }
        List<URI> rpcUrls = urls(where, entry);
        String usdc = address(where, entry, "usdc-address");
        String treasury = address(where, entry, "treasury-address");
        if (usdc.equals(treasury)) {
            throw new IllegalArgumentException(where + ": usdc-address and treasury-address are the same address " + usdc);
        }
        String finalityName = text(where, entry, "finality", DEFAULT_FINALITY);
        Finality finality = switch (finalityName) {
            case "finalized" -> Finality.FINALIZED;
            case "confirmations" -> Finality.CONFIRMATIONS;
            default -> throw new IllegalArgumentException(where + ".finality must be 'finalized' (the chain's "
                + "finalized block tag) or 'confirmations' (with confirmations: N), was '" + finalityName + "'");
        };
        int confirmations = 0;
        if (finality == Finality.CONFIRMATIONS) {
            if (entry.get("confirmations") == null) {
                throw new IllegalArgumentException(where + ".confirmations is required with finality: confirmations");
            }
            confirmations = (int) number(where, entry, "confirmations", null, 1, MAX_CONFIRMATIONS);
        } else if (entry.get("confirmations") != null) {
            throw new IllegalArgumentException(where + ".confirmations applies only with finality: confirmations; "
                + "this chain uses its finalized tag");
        }
        int minRange = (int) number(where, entry, "min-block-range", (long) DEFAULT_MIN_BLOCK_RANGE, 1, MAX_BLOCK_RANGE);
        int maxRange = (int) number(where, entry, "max-block-range", (long) Math.max(minRange, DEFAULT_MAX_BLOCK_RANGE),
            1, MAX_BLOCK_RANGE);
        if (minRange > maxRange) {
            throw new IllegalArgumentException(where + ".min-block-range (" + minRange + ") exceeds max-block-range ("
                + maxRange + ")");
        }
        Duration pollInterval = duration(where, entry, "poll-interval", DEFAULT_POLL_INTERVAL);
        long startBlock = number(where, entry, "start-block", 0L, 0, Long.MAX_VALUE - 1);
        Duration requestTimeout = duration(where, entry, "request-timeout", DEFAULT_REQUEST_TIMEOUT);
        int maxAttempts = (int) number(where, entry, "max-attempts", (long) DEFAULT_MAX_ATTEMPTS, 1, MAX_ATTEMPTS);
        Duration initialBackoff = duration(where, entry, "initial-backoff", DEFAULT_INITIAL_BACKOFF);
        Duration maxBackoff = duration(where, entry, "max-backoff", DEFAULT_MAX_BACKOFF);
        if (initialBackoff.compareTo(maxBackoff) > 0) {
            throw new IllegalArgumentException(where + ".initial-backoff (" + initialBackoff + ") exceeds max-backoff ("
                + maxBackoff + ")");
        }
        return new ChainSettings(chainId, name, rpcUrls, usdc, treasury, finality, confirmations, minRange, maxRange,
            pollInterval, startBlock, requestTimeout, maxAttempts, initialBackoff, maxBackoff);
    }

    private static List<URI> urls(String where, Map<?, ?> entry) {
        Object value = entry.get("rpc-urls");
        List<?> listed = value instanceof List<?> list ? list : value instanceof String one ? List.of(one) : List.of();
        if (listed.isEmpty() || listed.size() > MAX_RPC_URLS) {
            throw new IllegalArgumentException(where + ".rpc-urls must list 1 to " + MAX_RPC_URLS
                + " JSON-RPC URLs (http or https), was " + value);
        }
        List<URI> urls = new ArrayList<>();
        for (Object url : listed) {
            try {
                URI uri = new URI(String.valueOf(url));
                if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                    throw new URISyntaxException(String.valueOf(url), "not an http or https URL");
                }
                urls.add(uri);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException(where + ".rpc-urls has '" + url + "', which is not an http or https URL");
            }
        }
        return urls;
    }

    private static String address(String where, Map<?, ?> entry, String field) {
        Object value = entry.get(field);
        if (!(value instanceof String text) || !ADDRESS.matcher(text).matches()) {
            throw new IllegalArgumentException(where + "." + field + " must be an address (0x and 40 hex digits), was "
                + (value == null ? "missing" : "'" + value + "'"));
        }
        return text.toLowerCase(Locale.ROOT);
    }

    private static String text(String where, Map<?, ?> entry, String field, String fallback) {
        Object value = entry.get(field);
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof CharSequence text)) {
            throw new IllegalArgumentException(where + "." + field + " must be text, was " + value);
        }
        return text.toString();
    }

    private static long number(String where, Map<?, ?> entry, String field, Long fallback, long min, long max) {
        Object value = entry.get(field);
        if (value == null) {
            if (fallback == null) {
                throw new IllegalArgumentException(where + "." + field + " is required");
            }
            return fallback;
        }
        long number;
        try {
            number = value instanceof Number n && !(value instanceof Double || value instanceof Float)
                ? n.longValue() : Long.parseLong(value.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + "." + field + " must be a whole number, was '" + value + "'");
        }
        if (number < min || number > max) {
            throw new IllegalArgumentException(where + "." + field + " must be " + min + " to " + max + ", was " + number);
        }
        return number;
    }

    /** A duration as Micronaut writes them ({@code 500ms}, {@code 12s}, {@code 5m}, {@code 1h}) or ISO-8601 ({@code PT12S}). */
    private static Duration duration(String where, Map<?, ?> entry, String field, Duration fallback) {
        Object value = entry.get(field);
        if (value == null) {
            return fallback;
        }
        String text = value.toString().trim();
        Duration duration;
        try {
            if (text.startsWith("P") || text.startsWith("p")) {
                duration = Duration.parse(text);
            } else if (text.endsWith("ms")) {
                duration = Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
            } else if (text.endsWith("s")) {
                duration = Duration.ofSeconds(Long.parseLong(text.substring(0, text.length() - 1)));
            } else if (text.endsWith("m")) {
                duration = Duration.ofMinutes(Long.parseLong(text.substring(0, text.length() - 1)));
            } else if (text.endsWith("h")) {
                duration = Duration.ofHours(Long.parseLong(text.substring(0, text.length() - 1)));
            } else {
                throw new NumberFormatException(text);
            }
        } catch (NumberFormatException | DateTimeParseException e) {
            throw new IllegalArgumentException(where + "." + field + " must be a duration such as 500ms, 12s or 5m, was '"
                + value + "'");
        }
        if (duration.toMillis() < 1 || duration.compareTo(MAX_DURATION) > 0) {
            throw new IllegalArgumentException(where + "." + field + " must be 1ms to 1h, was " + text);
        }
        return duration;
    }
}
