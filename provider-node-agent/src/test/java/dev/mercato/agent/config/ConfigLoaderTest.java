package dev.mercato.agent.config;

import dev.mercato.protocol.Protocol;
import dev.mercato.protocol.Schedule;
import dev.mercato.simulator.SimulatorSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ConfigLoaderTest {

    private static final String MINIMAL = """
        gateways: ["ws://127.0.0.1:8080/v1/nodes/connect"]
        nodeToken: mnode_test
        upstreams:
          - type: simulated
            models: [{id: claude-sim, protocol: anthropic}]
        """;

    private final ConfigLoader loader = new ConfigLoader(Map.of("MERCATO_NODE_TOKEN", "mnode_from_env",
        "VLLM_KEY", "vllm-secret")::get);

    @Test
    void readsEveryKeyOfAFullConfiguration() {
        AgentConfig config = loader.parse("""
            gateways: ["ws://127.0.0.1:8080/v1/nodes/connect", "wss://gw2.example.com/v1/nodes/connect"]
            nodeTokenEnv: MERCATO_NODE_TOKEN
            maxConcurrency: 8
            schedule: {timeZone: Europe/Berlin, start: "2026-01-01T08:00", onlineMinutes: 960, restMinutes: 480}
            upstreams:
              - type: simulated
                simulator: {firstTokenLatencyMillis: 20, tokensPerSecond: 0, outputTokens: 24}
                models:
                  - {id: claude-sim-sonnet, protocol: anthropic}
                  - {id: gpt-sim-4o, protocol: openai}
              - type: openai-compatible
                baseUrl: http://127.0.0.1:8000
                apiKeyEnv: VLLM_KEY
                connectTimeoutMillis: 2500
                models: [{id: llama-3.1-8b, upstreamModel: meta-llama/Llama-3.1-8B-Instruct, maxConcurrency: 4}]
              - type: anthropic
                apiKey: sk-ant-operator
                models: [{id: claude-sonnet-4-5}]
            """, null);

        assertEquals(List.of(URI.create("ws://127.0.0.1:8080/v1/nodes/connect"),
            URI.create("wss://gw2.example.com/v1/nodes/connect")), config.gateways());
        assertEquals("mnode_from_env", config.nodeToken());
        assertEquals(8, config.maxConcurrency());
        assertEquals(new Schedule("Europe/Berlin", "2026-01-01T08:00", 960, 480), config.schedule());
        SimulatorSettings defaults = SimulatorSettings.defaults();
        assertEquals(new UpstreamConfig(UpstreamType.SIMULATED, null, null, 10_000,
                new SimulatorSettings(20, 0, 24, defaults.cacheReadTokens(), defaults.failureRate(),
                    defaults.failureKind(), defaults.seed(), defaults.requiredApiKey(), defaults.maxOutputTokens()),
                List.of(ModelConfig.of("claude-sim-sonnet", Protocol.ANTHROPIC),
                    ModelConfig.of("gpt-sim-4o", Protocol.OPENAI))),
            config.upstreams().get(0));
        assertEquals(new UpstreamConfig(UpstreamType.OPENAI_COMPATIBLE, URI.create("http://127.0.0.1:8000"),
                "vllm-secret", 2500, null,
                List.of(new ModelConfig("llama-3.1-8b", Protocol.OPENAI, "meta-llama/Llama-3.1-8B-Instruct", 4))),
            config.upstreams().get(1));
        assertEquals(new UpstreamConfig(UpstreamType.ANTHROPIC, URI.create("https://api.anthropic.com"),
                "sk-ant-operator", 10_000, null, List.of(ModelConfig.of("claude-sonnet-4-5", Protocol.ANTHROPIC))),
            config.upstreams().get(2));
        assertEquals(List.of("claude-sim-sonnet", "gpt-sim-4o", "llama-3.1-8b", "claude-sonnet-4-5"),
            config.models().stream().map(ModelConfig::id).toList());
    }

    @Test
    void leavesOutOptionalKeysAsTheirDefaults() {
        AgentConfig config = loader.parse(MINIMAL, null);

        assertEquals(AgentConfig.DEFAULT_MAX_CONCURRENCY, config.maxConcurrency());
        assertEquals(Schedule.ALWAYS_ONLINE, config.schedule());
        assertEquals(SimulatorSettings.defaults(), config.upstreams().getFirst().simulator());
        assertNull(config.upstreams().getFirst().models().getFirst().maxConcurrency());
    }

    @Test
    void flagsOverrideTheFile() {
        AgentConfig config = loader.parse(MINIMAL.replace("nodeToken: mnode_test", "nodeTokenEnv: UNSET_VARIABLE"),
            AgentFlags.parse("--config", "agent.yml", "--gateway", "ws://10.0.0.1:9000/v1/nodes/connect",
                "--gateway", "ws://10.0.0.2:9000/v1/nodes/connect", "--node-token", "mnode_flag",
                "--max-concurrency=3"));

        assertEquals(List.of(URI.create("ws://10.0.0.1:9000/v1/nodes/connect"),
            URI.create("ws://10.0.0.2:9000/v1/nodes/connect")), config.gateways());
        assertEquals("mnode_flag", config.nodeToken());
        assertEquals(3, config.maxConcurrency());
    }

    @Test
    void theReadmeExampleIsAValidConfiguration() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        int start = readme.indexOf("```yaml\n") + "```yaml\n".length();
        String example = readme.substring(start, readme.indexOf("```", start));

        AgentConfig config = loader.parse(example, null);

        assertEquals(List.of("claude-sim-sonnet", "gpt-sim-4o", "llama-3.1-8b"),
            config.models().stream().map(ModelConfig::id).toList());
    }

    @Test
    void loadsAFileNamedByTheConfigFlag(@org.junit.jupiter.api.io.TempDir Path directory) throws IOException {
        Path file = directory.resolve("agent.yml");
        Files.writeString(file, MINIMAL);

        AgentConfig config = loader.load(AgentFlags.parse("--config", file.toString()));

        assertEquals("mnode_test", config.nodeToken());
    }

    @Test
    void namesTheMissingFile(@org.junit.jupiter.api.io.TempDir Path directory) {
        Path missing = directory.resolve("missing.yml");

        ConfigException error = assertThrows(ConfigException.class,
            () -> loader.load(AgentFlags.parse("--config", missing.toString())));

        assertEquals("--config: file not found: " + missing.toAbsolutePath(), error.getMessage());
    }

    static Stream<Arguments> badConfigurations() {
        String upstreams = """
            upstreams:
              - type: simulated
                models: [{id: claude-sim, protocol: anthropic}]
            """;
        String head = """
            gateways: ["ws://127.0.0.1:8080/v1/nodes/connect"]
            nodeToken: mnode_test
            """;
        return Stream.of(
            Arguments.of(MINIMAL + "colour: blue\n",
                "colour: unknown key (expected one of gateways, maxConcurrency, nodeToken, nodeTokenEnv, schedule, "
                    + "upstreams)"),
            Arguments.of("nodeToken: mnode_test\n" + upstreams,
                "gateways: at least one gateway URL is required (e.g. ws://127.0.0.1:8080/v1/nodes/connect)"),
            Arguments.of(MINIMAL.replace("ws://127.0.0.1:8080", "http://127.0.0.1:8080"),
                "gateways[0]: must start with ws:// or wss://, was 'http://127.0.0.1:8080/v1/nodes/connect'"),
            Arguments.of(MINIMAL.replace("gateways: [\"ws://127.0.0.1:8080/v1/nodes/connect\"]",
                    "gateways: [" + String.join(", ", java.util.Collections.nCopies(17, "\"ws://a/x\"")) + "]"),
                "gateways: at most 16 gateways, was 17"),
            Arguments.of(MINIMAL.replace("gateways: [\"ws://127.0.0.1:8080/v1/nodes/connect\"]",
                    "gateways: ws://127.0.0.1:8080/v1/nodes/connect"),
                "gateways: expected a list, was 'ws://127.0.0.1:8080/v1/nodes/connect'"),
            Arguments.of(MINIMAL.replace("nodeToken: mnode_test", "nodeTokenEnv: NOT_SET"),
                "nodeTokenEnv: environment variable NOT_SET is not set"),
            Arguments.of(MINIMAL.replace("nodeToken: mnode_test", "nodeToken: mnode_test\nnodeTokenEnv: MERCATO_NODE_TOKEN"),
                "nodeToken: give nodeToken or nodeTokenEnv, not both"),
            Arguments.of(MINIMAL.replace("nodeToken: mnode_test\n", ""),
                "nodeToken: required (set nodeToken or nodeTokenEnv; the dashboard shows the token once when you "
                    + "register the node)"),
            Arguments.of(MINIMAL + "maxConcurrency: 0\n", "maxConcurrency: must be between 1 and 10000, was 0"),
            Arguments.of(MINIMAL + "maxConcurrency: many\n", "maxConcurrency: expected a whole number, was 'many'"),
            Arguments.of(MINIMAL + "schedule: {timeZone: Mars/Olympus, start: \"2026-01-01T08:00\", "
                    + "onlineMinutes: 960, restMinutes: 480}\n",
                "schedule: bad timeZone 'Mars/Olympus' or start '2026-01-01T08:00' (expected e.g. Europe/Berlin and "
                    + "2026-01-01T08:00)"),
            Arguments.of(MINIMAL + "schedule: {start: \"2026-01-01T08:00\", onlineMinutes: 960}\n",
                "schedule.restMinutes: required (e.g. 480)"),
            Arguments.of(head, "upstreams: at least one upstream is required"),
            Arguments.of(MINIMAL.replace("type: simulated", "type: llamafile"),
                "upstreams[0].type: unknown type 'llamafile' (expected one of anthropic, openai, openai-compatible, "
                    + "simulated)"),
            Arguments.of(MINIMAL.replace("type: simulated", "type: simulated\n    colour: blue"),
                "upstreams[0].colour: unknown key (expected one of apiKey, apiKeyEnv, baseUrl, connectTimeoutMillis, "
                    + "models, simulator, type)"),
            Arguments.of(MINIMAL.replace("type: simulated", "type: openai-compatible"),
                "upstreams[0].baseUrl: required for type openai-compatible (e.g. http://127.0.0.1:8000)"),
            Arguments.of(MINIMAL.replace("type: simulated", "type: anthropic"),
                "upstreams[0].apiKey: required for type anthropic (set apiKey or apiKeyEnv)"),
            Arguments.of(MINIMAL.replace("type: simulated", "type: openai\n    apiKey: sk-x"),
                "upstreams[0].models[0].protocol: type openai serves only protocol openai, was anthropic"),
            Arguments.of(MINIMAL.replace("type: simulated", "type: openai-compatible\n    baseUrl: ftp://host"),
                "upstreams[0].baseUrl: must start with http:// or https://, was 'ftp://host'"),
            Arguments.of(MINIMAL.replace("type: simulated", "type: simulated\n    baseUrl: http://127.0.0.1:1"),
                "upstreams[0].baseUrl: not used by type simulated; remove it"),
            Arguments.of(MINIMAL.replace("type: simulated",
                    "type: openai-compatible\n    baseUrl: http://h\n    simulator: {outputTokens: 3}"),
                "upstreams[0].simulator: only for type simulated, not openai-compatible"),
            Arguments.of(MINIMAL.replace("type: simulated", "type: simulated\n    simulator: {outputTokens: -1}"),
                "upstreams[0].simulator: outputTokens must be within 0..maxOutputTokens (8192): -1"),
            Arguments.of(MINIMAL.replace("type: simulated", "type: simulated\n    simulator: {speed: 3}"),
                "upstreams[0].simulator.speed: unknown key (expected one of cacheReadTokens, failureKind, "
                    + "failureRate, firstTokenLatencyMillis, maxOutputTokens, outputTokens, requiredApiKey, seed, "
                    + "tokensPerSecond)"),
            Arguments.of(MINIMAL.replace("type: simulated", "type: simulated\n    connectTimeoutMillis: 0"),
                "upstreams[0].connectTimeoutMillis: must be between 1 and 120000, was 0"),
            Arguments.of(MINIMAL.replace("models: [{id: claude-sim, protocol: anthropic}]", "models: []"),
                "upstreams[0].models: at least one model is required"),
            Arguments.of(MINIMAL.replace("{id: claude-sim, protocol: anthropic}", "{protocol: anthropic}"),
                "upstreams[0].models[0].id: required"),
            Arguments.of(MINIMAL.replace("{id: claude-sim, protocol: anthropic}", "{id: claude-sim}"),
                "upstreams[0].models[0].protocol: required (anthropic or openai)"),
            Arguments.of(MINIMAL.replace("protocol: anthropic", "protocol: gemini"),
                "upstreams[0].models[0].protocol: unknown protocol 'gemini' (expected anthropic or openai)"),
            Arguments.of(MINIMAL.replace("protocol: anthropic}", "protocol: anthropic, maxConcurrency: 0}"),
                "upstreams[0].models[0].maxConcurrency: must be between 1 and 10000, was 0"),
            Arguments.of(MINIMAL.replace("protocol: anthropic}", "protocol: anthropic, maxConcurrency: 9}"),
                "upstreams[0].models[0].maxConcurrency: 9 exceeds the node's maxConcurrency of 8"),
            Arguments.of(MINIMAL.replace("protocol: anthropic}", "protocol: anthropic, weight: 2}"),
                "upstreams[0].models[0].weight: unknown key (expected one of id, maxConcurrency, protocol, "
                    + "upstreamModel)"),
            Arguments.of(MINIMAL.replace("{id: claude-sim, protocol: anthropic}",
                    "{id: claude-sim, protocol: anthropic}, {id: claude-sim, protocol: openai}"),
                "upstreams[0].models[1].id: 'claude-sim' is already served by upstreams[0].models[0]"),
            Arguments.of(head + "upstreams:\n" + "  - type: simulated\n    models: [" + String.join(", ",
                    java.util.stream.IntStream.range(0, 257).mapToObj(i -> "{id: m" + i + ", protocol: openai}")
                        .toList()) + "]\n",
                "upstreams[0].models: at most 256 models, was 257"),
            Arguments.of(MINIMAL + "nodeToken: again\n", "config file: is not valid YAML: " + duplicateKeyMessage()),
            Arguments.of("", "config file: is empty"),
            Arguments.of("- just\n- a list\n", "config file: expected a mapping of keys to values, was a list"));
    }

    @ParameterizedTest
    @MethodSource("badConfigurations")
    void rejectsABadConfigurationNamingTheKey(String yaml, String expectedMessage) {
        ConfigException error = assertThrows(ConfigException.class, () -> loader.parse(yaml, null));

        assertEquals(expectedMessage, error.getMessage());
    }

    @Test
    void countsModelsAcrossUpstreamsAgainstTheLimit() {
        List<UpstreamConfig> upstreams = java.util.stream.IntStream.range(0, 2)
            .mapToObj(u -> UpstreamConfig.simulated(null, java.util.stream.IntStream.range(0, 129)
                .mapToObj(m -> ModelConfig.of("m" + u + "-" + m, Protocol.OPENAI)).toList()))
            .toList();

        ConfigException error = assertThrows(ConfigException.class, () -> new AgentConfig(
            List.of(URI.create("ws://127.0.0.1:1/v1/nodes/connect")), "mnode_x", 8, null, upstreams));

        assertEquals("upstreams: at most 256 models in all, was 258", error.getMessage());
    }

    private static String duplicateKeyMessage() {
        try {
            new org.yaml.snakeyaml.Yaml(new org.yaml.snakeyaml.constructor.SafeConstructor(duplicateKeysForbidden()))
                .load(MINIMAL + "nodeToken: again\n");
            throw new AssertionError("duplicate keys were accepted");
        } catch (org.yaml.snakeyaml.error.YAMLException e) {
            return e.getMessage();
        }
    }

    private static org.yaml.snakeyaml.LoaderOptions duplicateKeysForbidden() {
        org.yaml.snakeyaml.LoaderOptions options = new org.yaml.snakeyaml.LoaderOptions();
        options.setAllowDuplicateKeys(false);
        return options;
    }
}
