package dev.mercato.gateway.chain;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** mercato.chains as written in configuration: every setting read exactly, every mistake named. */
class ChainSettingsTest {

    private static final String USDC = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913";
    private static final String TREASURY = "0x00000000000000000000000000000000000000aa";

    @Test
    void readsEverySetting() {
        Map<String, Object> entry = new HashMap<>(minimal());
        entry.putAll(Map.of("name", "base", "rpc-urls", List.of("https://a.example/rpc", "http://10.0.0.2:8545"),
            "finality", "confirmations", "confirmations", 12, "min-block-range", 10, "max-block-range", 500,
            "poll-interval", "3s", "start-block", "23000000", "request-timeout", "1500ms"));
        entry.putAll(Map.of("max-attempts", 7, "initial-backoff", "PT0.25S", "max-backoff", "2m"));

        ChainSettings chain = ChainSettings.parse(List.of(entry)).getFirst();

        assertEquals(new ChainSettings(8453, "base", List.of(URI.create("https://a.example/rpc"),
                URI.create("http://10.0.0.2:8545")), USDC.toLowerCase(), TREASURY, ChainSettings.Finality.CONFIRMATIONS, 12,
            10, 500, Duration.ofSeconds(3), 23_000_000, Duration.ofMillis(1500), 7, Duration.ofMillis(250),
            Duration.ofMinutes(2)), chain);
        assertEquals("12 confirmations", chain.finalityText());
        assertEquals("asset:usdc:8453", chain.assetAccount());
    }

    @Test
    void fillsInTheDefaults() {
        ChainSettings chain = ChainSettings.parse(List.of(minimal())).getFirst();

        assertEquals(new ChainSettings(8453, "chain-8453", List.of(URI.create("https://mainnet.base.org")),
            USDC.toLowerCase(), TREASURY, ChainSettings.Finality.FINALIZED, 0, 1, 2_000, Duration.ofSeconds(12), 0,
            Duration.ofSeconds(10), 5, Duration.ofMillis(500), Duration.ofSeconds(30)), chain);
        assertEquals("finalized", chain.finalityText());
    }

    @Test
    void noChainsMeansDepositsOff() {
        assertEquals(List.of(), ChainSettings.parse(List.of()));
    }

    @Test
    void namesTheEntryAndTheFieldOfEveryMistake() {
        assertRefused("mercato.chains[0].id is required", without("id"));
        assertRefused("mercato.chains[0].id must be 1 to 9223372036854775807, was 0", with("id", 0));
        assertRefused("mercato.chains[0].id must be a whole number, was 'base'", with("id", "base"));
        assertRefused("mercato.chains[0].usdc-address must be an address (0x and 40 hex digits), was missing",
            without("usdc-address"));
        assertRefused("mercato.chains[0].treasury-address must be an address (0x and 40 hex digits), was '0x12'",
            with("treasury-address", "0x12"));
        assertRefused("mercato.chains[0]: usdc-address and treasury-address are the same address " + TREASURY,
            with("usdc-address", TREASURY));
        assertRefused("mercato.chains[0].rpc-urls must list 1 to 16 JSON-RPC URLs (http or https), was []",
            with("rpc-urls", List.of()));
        assertRefused("mercato.chains[0].rpc-urls has 'ws://node:8546', which is not an http or https URL",
            with("rpc-urls", List.of("ws://node:8546")));
        assertRefused("mercato.chains[0].finality must be 'finalized' (the chain's finalized block tag) or "
            + "'confirmations' (with confirmations: N), was 'safe'", with("finality", "safe"));
        assertRefused("mercato.chains[0].confirmations is required with finality: confirmations",
            with("finality", "confirmations"));
        assertRefused("mercato.chains[0].confirmations applies only with finality: confirmations; this chain uses its "
            + "finalized tag", with("confirmations", 12));
        Map<String, Object> tooMany = with("finality", "confirmations");
        tooMany.put("confirmations", 10_001);
        assertRefused("mercato.chains[0].confirmations must be 1 to 10000, was 10001", tooMany);
        Map<String, Object> inverted = with("min-block-range", 100);
        inverted.put("max-block-range", 10);
        assertRefused("mercato.chains[0].min-block-range (100) exceeds max-block-range (10)", inverted);
        assertRefused("mercato.chains[0].max-block-range must be 1 to 100000, was 1000000", with("max-block-range", 1_000_000));
        assertRefused("mercato.chains[0].poll-interval must be a duration such as 500ms, 12s or 5m, was 'often'",
            with("poll-interval", "often"));
        assertRefused("mercato.chains[0].request-timeout must be 1ms to 1h, was PT2H", with("request-timeout", "PT2H"));
        assertRefused("mercato.chains[0].name must be lower-case letters, digits, '-' and '_' (at most 63), was 'Base'",
            with("name", "Base"));
        assertRefused("mercato.chains[0] has an unknown field 'rpc-url'; known: [id, name, rpc-urls, usdc-address, "
            + "treasury-address, finality, confirmations, min-block-range, max-block-range, poll-interval, start-block, "
            + "request-timeout, max-attempts, initial-backoff, max-backoff]", with("rpc-url", "https://x.example"));

        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
            () -> ChainSettings.parse(List.of(minimal(), minimal())));
        assertEquals("mercato.chains[1] configures chain 8453 a second time", twice.getMessage());
        IllegalArgumentException notAMap = assertThrows(IllegalArgumentException.class,
            () -> ChainSettings.parse(List.of("base")));
        assertEquals("mercato.chains[0] must be a map with id, rpc-urls, usdc-address and treasury-address, was base",
            notAMap.getMessage());
    }

    private static void assertRefused(String message, Map<String, Object> entry) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
            () -> ChainSettings.parse(List.of(entry)));
        assertEquals(message, refused.getMessage());
    }

    private static Map<String, Object> minimal() {
        return Map.of("id", 8453, "rpc-urls", List.of("https://mainnet.base.org"), "usdc-address", USDC,
            "treasury-address", TREASURY);
    }

    private static Map<String, Object> with(String field, Object value) {
        Map<String, Object> entry = new HashMap<>(minimal());
        entry.put(field, value);
        return entry;
    }

    private static Map<String, Object> without(String field) {
        Map<String, Object> entry = new HashMap<>(minimal());
        entry.remove(field);
        return entry;
    }
}
