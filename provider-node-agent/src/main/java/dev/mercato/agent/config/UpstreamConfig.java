package dev.mercato.agent.config;

import dev.mercato.protocol.Protocol;
import dev.mercato.simulator.SimulatorSettings;

import java.net.URI;
import java.util.List;

/**
 * One upstream the agent forwards to and the models it serves. {@code baseUrl} is the
 * server root (e.g. {@code http://127.0.0.1:8000}); {@code apiKey} is the operator's own key;
 * {@code simulator} is set only for the {@code simulated} type.
 */
public record UpstreamConfig(UpstreamType type, URI baseUrl, String apiKey, long connectTimeoutMillis,
                             SimulatorSettings simulator, List<ModelConfig> models) {

    public static final URI ANTHROPIC_BASE_URL = URI.create("https://api.anthropic.com");
    public static final URI OPENAI_BASE_URL = URI.create("https://api.openai.com");
    public static final long DEFAULT_CONNECT_TIMEOUT_MILLIS = 10_000;
    /** Longer than this and a dead upstream would hold requests for minutes before failing over. */
    public static final long MAX_CONNECT_TIMEOUT_MILLIS = 120_000;

    public UpstreamConfig {
        if (type == null) {
            throw new ConfigException("type", "required (anthropic, openai, openai-compatible or simulated)");
        }
        if (models == null || models.isEmpty()) {
            throw new ConfigException("models", "at least one model is required");
        }
        models = List.copyOf(models);
        if (connectTimeoutMillis < 1 || connectTimeoutMillis > MAX_CONNECT_TIMEOUT_MILLIS) {
            throw new ConfigException("connectTimeoutMillis", "must be between 1 and " + MAX_CONNECT_TIMEOUT_MILLIS
                + ", was " + connectTimeoutMillis);
        }
        switch (type) {
            case SIMULATED -> {
                if (baseUrl != null) {
                    throw new ConfigException("baseUrl", "not used by type simulated; remove it");
                }
                if (apiKey != null) {
                    throw new ConfigException("apiKey", "not used by type simulated; remove it");
                }
                if (simulator == null) {
                    simulator = SimulatorSettings.defaults();
                }
            }
            case ANTHROPIC, OPENAI, OPENAI_COMPATIBLE -> {
                if (simulator != null) {
                    throw new ConfigException("simulator", "only for type simulated, not " + type.configName());
                }
                if (baseUrl == null) {
                    if (type == UpstreamType.OPENAI_COMPATIBLE) {
                        throw new ConfigException("baseUrl", "required for type openai-compatible "
                            + "(e.g. http://127.0.0.1:8000)");
                    }
                    baseUrl = type == UpstreamType.ANTHROPIC ? ANTHROPIC_BASE_URL : OPENAI_BASE_URL;
                }
                checkBaseUrl(baseUrl);
                if (apiKey != null && apiKey.isBlank()) {
                    throw new ConfigException("apiKey", "must not be blank");
                }
                if (apiKey == null && type != UpstreamType.OPENAI_COMPATIBLE) {
                    throw new ConfigException("apiKey", "required for type " + type.configName()
                        + " (set apiKey or apiKeyEnv)");
                }
            }
        }
        for (int i = 0; i < models.size(); i++) {
            ModelConfig model = models.get(i);
            Protocol only = switch (type) {
                case ANTHROPIC -> Protocol.ANTHROPIC;
                case OPENAI -> Protocol.OPENAI;
                case OPENAI_COMPATIBLE, SIMULATED -> null;
            };
            if (only != null && model.protocol() != only) {
                throw new ConfigException("models[" + i + "].protocol", "type " + type.configName()
                    + " serves only protocol " + only.wireName() + ", was " + model.protocol().wireName());
            }
        }
    }

    /** A simulated upstream; {@code settings} null means the simulator's defaults. */
    public static UpstreamConfig simulated(SimulatorSettings settings, List<ModelConfig> models) {
        return new UpstreamConfig(UpstreamType.SIMULATED, null, null, DEFAULT_CONNECT_TIMEOUT_MILLIS, settings, models);
    }

    /** An HTTP upstream; {@code baseUrl} null means the type's public API. */
    public static UpstreamConfig http(UpstreamType type, URI baseUrl, String apiKey, List<ModelConfig> models) {
        return new UpstreamConfig(type, baseUrl, apiKey, DEFAULT_CONNECT_TIMEOUT_MILLIS, null, models);
    }

    private static void checkBaseUrl(URI baseUrl) {
        String scheme = baseUrl.getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw new ConfigException("baseUrl", "must start with http:// or https://, was '" + baseUrl + "'");
        }
        if (baseUrl.getHost() == null) {
            throw new ConfigException("baseUrl", "has no host: '" + baseUrl + "'");
        }
        if (baseUrl.getRawQuery() != null || baseUrl.getRawFragment() != null) {
            throw new ConfigException("baseUrl", "must not have a query or fragment: '" + baseUrl + "'");
        }
    }
}
