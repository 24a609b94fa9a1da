package dev.mercato.agent.config;

import dev.mercato.protocol.Protocol;
import dev.mercato.protocol.Schedule;
import dev.mercato.simulator.SimulatorSettings;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Reads the agent's YAML file into an {@link AgentConfig}, applying command-line overrides,
 * resolving {@code *Env} keys from the environment, and failing on the first key that is
 * unknown, missing or wrong.
 */
public final class ConfigLoader {

    /** A real configuration is a few kilobytes; anything near this is not one. */
    public static final int MAX_CONFIG_BYTES = 1024 * 1024;
    /** YAML anchors are allowed for repeated model lists, but not as an amplification bomb. */
    public static final int MAX_YAML_ALIASES = 50;

    private static final Set<String> TOP_KEYS = Set.of("gateways", "nodeToken", "nodeTokenEnv", "maxConcurrency",
        "schedule", "upstreams");
    private static final Set<String> SCHEDULE_KEYS = Set.of("timeZone", "start", "onlineMinutes", "restMinutes");
    private static final Set<String> UPSTREAM_KEYS = Set.of("type", "baseUrl", "apiKey", "apiKeyEnv",
        "connectTimeoutMillis", "simulator", "models");
    private static final Set<String> MODEL_KEYS = Set.of("id", "protocol", "upstreamModel", "maxConcurrency");
    private static final Set<String> SIMULATOR_KEYS = Set.of("firstTokenLatencyMillis", "tokensPerSecond",
        "outputTokens", "cacheReadTokens", "failureRate", "failureKind", "seed", "requiredApiKey", "maxOutputTokens");

    private final Function<String, String> environment;

    /** @param environment looks up environment variables ({@code System::getenv} outside tests) */
    public ConfigLoader(Function<String, String> environment) {
        this.environment = environment;
    }

    public static ConfigLoader fromSystemEnvironment() {
        return new ConfigLoader(System::getenv);
    }

    /** Loads {@code flags.configFile()} and applies the flags' overrides. */
    public AgentConfig load(AgentFlags flags) {
        Path file = flags.configFile();
        String yaml;
        try {
            long sizeBytes = Files.size(file);
            if (sizeBytes > MAX_CONFIG_BYTES) {
                throw new ConfigException("--config", file + " has " + sizeBytes + " bytes, more than the limit of "
                    + MAX_CONFIG_BYTES);
            }
            yaml = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException("--config", "file not found: " + file.toAbsolutePath());
        } catch (IOException e) {
            throw new ConfigException("--config", "cannot read " + file.toAbsolutePath() + ": " + e.getMessage());
        }
        return parse(yaml, flags);
    }

    /** Parses YAML text; {@code overrides} may be null. */
    public AgentConfig parse(String yaml, AgentFlags overrides) {
        Object document;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            options.setMaxAliasesForCollections(MAX_YAML_ALIASES);
            options.setCodePointLimit(MAX_CONFIG_BYTES);
            document = new Yaml(new SafeConstructor(options)).load(yaml);
        } catch (YAMLException e) {
            throw new ConfigException("config file", "is not valid YAML: " + e.getMessage());
        }
        if (document == null) {
            throw new ConfigException("config file", "is empty");
        }
        Section top = new Section("", document);
        Map<String, Object> values = new LinkedHashMap<>(top.values);
        if (overrides != null) {
            if (!overrides.gateways().isEmpty()) {
                values.put("gateways", List.copyOf(overrides.gateways()));
            }
            if (overrides.nodeToken() != null) {
                values.remove("nodeTokenEnv");
                values.put("nodeToken", overrides.nodeToken());
            }
            if (overrides.maxConcurrency() != null) {
                values.put("maxConcurrency", overrides.maxConcurrency());
            }
        }
        return agentConfig(new Section("", values));
    }

    private AgentConfig agentConfig(Section top) {
        top.allowOnly(TOP_KEYS);
        List<URI> gateways = new ArrayList<>();
        List<Object> gatewayList = top.list("gateways");
        if (gatewayList != null) {
            if (gatewayList.size() > AgentConfig.MAX_GATEWAYS) {
                throw new ConfigException("gateways", "at most " + AgentConfig.MAX_GATEWAYS + " gateways, was "
                    + gatewayList.size());
            }
            for (int i = 0; i < gatewayList.size(); i++) {
                String key = "gateways[" + i + "]";
                String url = Section.asText(key, gatewayList.get(i));
                try {
                    gateways.add(new URI(url));
                } catch (java.net.URISyntaxException e) {
                    throw new ConfigException(key, "not a valid URL: " + e.getMessage());
                }
            }
        }
        String nodeToken = secret(top, "nodeToken", "nodeTokenEnv");
        Integer maxConcurrency = top.integer("maxConcurrency");
        Schedule schedule = schedule(top.section("schedule"));
        List<UpstreamConfig> upstreams = new ArrayList<>();
        List<Object> upstreamList = top.list("upstreams");
        if (upstreamList != null) {
            for (int i = 0; i < upstreamList.size(); i++) {
                upstreams.add(upstream(new Section("upstreams[" + i + "]", upstreamList.get(i))));
            }
        }
        return new AgentConfig(gateways, nodeToken,
            maxConcurrency == null ? AgentConfig.DEFAULT_MAX_CONCURRENCY : maxConcurrency, schedule, upstreams);
    }

    private static Schedule schedule(Section section) {
        if (section == null) {
            return null;
        }
        section.allowOnly(SCHEDULE_KEYS);
        String timeZone = section.text("timeZone");
        String start = section.required(section.text("start"), "start", "e.g. \"2026-01-01T08:00\"");
        Integer onlineMinutes = section.required(section.integer("onlineMinutes"), "onlineMinutes", "e.g. 960");
        Integer restMinutes = section.required(section.integer("restMinutes"), "restMinutes", "e.g. 480");
        try {
            return new Schedule(timeZone == null ? "UTC" : timeZone, start, onlineMinutes, restMinutes);
        } catch (IllegalArgumentException e) {
            String message = e.getMessage().startsWith("schedule: ") ? e.getMessage().substring(10) : e.getMessage();
            throw new ConfigException("schedule", message);
        }
    }

    private UpstreamConfig upstream(Section section) {
        section.allowOnly(UPSTREAM_KEYS);
        String typeName = section.required(section.text("type"), "type",
            "anthropic, openai, openai-compatible or simulated");
        UpstreamType type;
        try {
            type = UpstreamType.fromConfigName(typeName);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(section.key("type"), e.getMessage());
        }
        URI baseUrl = null;
        String baseUrlText = section.text("baseUrl");
        if (baseUrlText != null) {
            try {
                baseUrl = new URI(baseUrlText);
            } catch (java.net.URISyntaxException e) {
                throw new ConfigException(section.key("baseUrl"), "not a valid URL: " + e.getMessage());
            }
        }
        String apiKey = secret(section, "apiKey", "apiKeyEnv");
        Long connectTimeoutMillis = section.longValue("connectTimeoutMillis");
        Section simulatorSection = section.section("simulator");
        SimulatorSettings simulator = simulatorSection == null ? null : simulatorSettings(simulatorSection);
        List<Object> modelList = section.list("models");
        List<ModelConfig> models = new ArrayList<>();
        if (modelList != null) {
            if (modelList.size() > AgentConfig.MAX_MODELS) {
                throw new ConfigException(section.key("models"), "at most " + AgentConfig.MAX_MODELS
                    + " models, was " + modelList.size());
            }
            for (int i = 0; i < modelList.size(); i++) {
                models.add(model(new Section(section.key("models[" + i + "]"), modelList.get(i)), type));
            }
        }
        try {
            return new UpstreamConfig(type, baseUrl, apiKey,
                connectTimeoutMillis == null ? UpstreamConfig.DEFAULT_CONNECT_TIMEOUT_MILLIS : connectTimeoutMillis,
                simulator, models);
        } catch (ConfigException e) {
            throw e.under(section.path);
        }
    }

    private static ModelConfig model(Section section, UpstreamType type) {
        section.allowOnly(MODEL_KEYS);
        String protocolName = section.text("protocol");
        Protocol protocol = switch (type) {
            case ANTHROPIC -> Protocol.ANTHROPIC;
            case OPENAI, OPENAI_COMPATIBLE -> Protocol.OPENAI;
            case SIMULATED -> null;
        };
        if (protocolName != null) {
            try {
                protocol = Protocol.fromWireName(protocolName);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(section.key("protocol"), e.getMessage());
            }
        }
        try {
            return new ModelConfig(section.text("id"), protocol, section.text("upstreamModel"),
                section.integer("maxConcurrency"));
        } catch (ConfigException e) {
            throw e.under(section.path);
        }
    }

    private static SimulatorSettings simulatorSettings(Section section) {
        section.allowOnly(SIMULATOR_KEYS);
        SimulatorSettings d = SimulatorSettings.defaults();
        Long firstTokenLatencyMillis = section.longValue("firstTokenLatencyMillis");
        Integer tokensPerSecond = section.integer("tokensPerSecond");
        Integer outputTokens = section.integer("outputTokens");
        Integer cacheReadTokens = section.integer("cacheReadTokens");
        Double failureRate = section.decimal("failureRate");
        String failureKind = section.text("failureKind");
        Long seed = section.longValue("seed");
        String requiredApiKey = section.text("requiredApiKey");
        Integer maxOutputTokens = section.integer("maxOutputTokens");
        try {
            return new SimulatorSettings(
                firstTokenLatencyMillis == null ? d.firstTokenLatencyMillis() : firstTokenLatencyMillis,
                tokensPerSecond == null ? d.tokensPerSecond() : tokensPerSecond,
                outputTokens == null ? d.outputTokens() : outputTokens,
                cacheReadTokens == null ? d.cacheReadTokens() : cacheReadTokens,
                failureRate == null ? d.failureRate() : failureRate,
                failureKind == null ? d.failureKind() : failureKind,
                seed == null ? d.seed() : seed,
                requiredApiKey == null ? d.requiredApiKey() : requiredApiKey,
                maxOutputTokens == null ? d.maxOutputTokens() : maxOutputTokens);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(section.path, e.getMessage());
        }
    }

    /** A secret given inline ({@code valueKey}) or by the name of an environment variable ({@code envKey}). */
    private String secret(Section section, String valueKey, String envKey) {
        String value = section.text(valueKey);
        String variable = section.text(envKey);
        if (value != null && variable != null) {
            throw new ConfigException(section.key(valueKey), "give " + valueKey + " or " + envKey + ", not both");
        }
        if (variable == null) {
            return value;
        }
        String fromEnvironment = environment.apply(variable);
        if (fromEnvironment == null || fromEnvironment.isBlank()) {
            throw new ConfigException(section.key(envKey), "environment variable " + variable + " is not set");
        }
        return fromEnvironment.strip();
    }

    /** One YAML mapping and its key path, with typed getters that name the key when a value is wrong. */
    private static final class Section {

        final String path;
        final Map<String, Object> values;

        Section(String path, Object raw) {
            this.path = path;
            if (!(raw instanceof Map<?, ?> map)) {
                throw new ConfigException(path.isEmpty() ? "config file" : path,
                    "expected a mapping of keys to values, was " + describe(raw));
            }
            Map<String, Object> copy = new LinkedHashMap<>();
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                if (!(entry.getKey() instanceof String name)) {
                    throw new ConfigException(path.isEmpty() ? "config file" : path,
                        "key " + entry.getKey() + " is not text");
                }
                copy.put(name, entry.getValue());
            }
            this.values = copy;
        }

        String key(String name) {
            return path.isEmpty() ? name : path + "." + name;
        }

        void allowOnly(Set<String> known) {
            for (String name : values.keySet()) {
                if (!known.contains(name)) {
                    throw new ConfigException(key(name), "unknown key (expected one of "
                        + String.join(", ", new TreeSet<>(known)) + ")");
                }
            }
        }

        <T> T required(T value, String name, String hint) {
            if (value == null) {
                throw new ConfigException(key(name), "required (" + hint + ")");
            }
            return value;
        }

        String text(String name) {
            Object value = values.get(name);
            return value == null ? null : asText(key(name), value);
        }

        Integer integer(String name) {
            Long value = longValue(name);
            if (value == null) {
                return null;
            }
            if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
                throw new ConfigException(key(name), "number " + value + " is too large");
            }
            return value.intValue();
        }

        Long longValue(String name) {
            Object value = values.get(name);
            if (value == null) {
                return null;
            }
            if (value instanceof Integer || value instanceof Long) {
                return ((Number) value).longValue();
            }
            throw new ConfigException(key(name), "expected a whole number, was " + describe(value));
        }

        Double decimal(String name) {
            Object value = values.get(name);
            if (value == null) {
                return null;
            }
            if (value instanceof Integer || value instanceof Long || value instanceof Double) {
                return ((Number) value).doubleValue();
            }
            throw new ConfigException(key(name), "expected a number, was " + describe(value));
        }

        List<Object> list(String name) {
            Object value = values.get(name);
            if (value == null) {
                return null;
            }
            if (!(value instanceof List<?> list)) {
                throw new ConfigException(key(name), "expected a list, was " + describe(value));
            }
            return new ArrayList<>(list);
        }

        Section section(String name) {
            Object value = values.get(name);
            return value == null ? null : new Section(key(name), value);
        }

        static String asText(String key, Object value) {
            if (value instanceof String text) {
                return text;
            }
            if (value instanceof Integer || value instanceof Long) {
                return value.toString();
            }
            throw new ConfigException(key, "expected text, was " + describe(value) + " (put it in quotes)");
        }

        static String describe(Object value) {
            return switch (value) {
                case null -> "nothing";
                case Map<?, ?> m -> "a mapping";
                case List<?> l -> "a list";
                case String s -> "'" + s + "'";
                case java.util.Date d -> "a date/time (YAML reads unquoted timestamps as dates)";
                default -> value.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT) + " " + value;
            };
        }
    }
}
