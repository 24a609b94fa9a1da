package dev.mercato.agent.config;

import dev.mercato.protocol.Schedule;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything a node agent needs to run: the gateways to dial, its node token, its
 * concurrency cap, its rest schedule and its upstreams. Built from YAML by {@link ConfigLoader}
 * or directly in code; either way the constructor rejects what cannot work.
 */
public record AgentConfig(List<URI> gateways, String nodeToken, int maxConcurrency, Schedule schedule,
                          List<UpstreamConfig> upstreams) {

    /** One connection per gateway instance; more than this is a configuration mistake. */
    public static final int MAX_GATEWAYS = 16;
    public static final int MAX_MODELS = 256;
    public static final int MAX_CONCURRENCY = 10_000;
    public static final int DEFAULT_MAX_CONCURRENCY = 8;

    public AgentConfig {
        if (gateways == null || gateways.isEmpty()) {
            throw new ConfigException("gateways", "at least one gateway URL is required "
                + "(e.g. ws://127.0.0.1:8080/v1/nodes/connect)");
        }
        if (gateways.size() > MAX_GATEWAYS) {
            throw new ConfigException("gateways", "at most " + MAX_GATEWAYS + " gateways, was " + gateways.size());
        }
        gateways = List.copyOf(gateways);
        for (int i = 0; i < gateways.size(); i++) {
            checkGateway(i, gateways.get(i));
            if (gateways.indexOf(gateways.get(i)) != i) {
                throw new ConfigException("gateways[" + i + "]", "'" + gateways.get(i) + "' is listed twice");
            }
        }
        if (nodeToken == null || nodeToken.isBlank()) {
            throw new ConfigException("nodeToken", "required (set nodeToken or nodeTokenEnv; "
                + "the dashboard shows the token once when you register the node)");
        }
        if (maxConcurrency < 1 || maxConcurrency > MAX_CONCURRENCY) {
            throw new ConfigException("maxConcurrency", "must be between 1 and " + MAX_CONCURRENCY
                + ", was " + maxConcurrency);
        }
        if (schedule == null) {
            schedule = Schedule.ALWAYS_ONLINE;
        }
        if (upstreams == null || upstreams.isEmpty()) {
            throw new ConfigException("upstreams", "at least one upstream is required");
        }
        upstreams = List.copyOf(upstreams);
        Map<String, String> keyByModelId = new HashMap<>();
        int modelCount = 0;
        for (int u = 0; u < upstreams.size(); u++) {
            List<ModelConfig> models = upstreams.get(u).models();
            for (int m = 0; m < models.size(); m++) {
                String key = "upstreams[" + u + "].models[" + m + "]";
                ModelConfig model = models.get(m);
                String earlier = keyByModelId.putIfAbsent(model.id(), key);
                if (earlier != null) {
                    throw new ConfigException(key + ".id", "'" + model.id() + "' is already served by " + earlier);
                }
                if (model.maxConcurrency() != null && model.maxConcurrency() > maxConcurrency) {
                    throw new ConfigException(key + ".maxConcurrency", model.maxConcurrency()
                        + " exceeds the node's maxConcurrency of " + maxConcurrency);
                }
                modelCount++;
            }
        }
        if (modelCount > MAX_MODELS) {
            throw new ConfigException("upstreams", "at most " + MAX_MODELS + " models in all, was " + modelCount);
        }
    }

    /** Every model of every upstream, in configuration order. */
    public List<ModelConfig> models() {
        List<ModelConfig> models = new ArrayList<>();
        for (UpstreamConfig upstream : upstreams) {
            models.addAll(upstream.models());
        }
        return models;
    }

    private static void checkGateway(int index, URI gateway) {
        String key = "gateways[" + index + "]";
        if (gateway == null) {
            throw new ConfigException(key, "must not be empty");
        }
        if (!"ws".equals(gateway.getScheme()) && !"wss".equals(gateway.getScheme())) {
            throw new ConfigException(key, "must start with ws:// or wss://, was '" + gateway + "'");
        }
        if (gateway.getHost() == null) {
            throw new ConfigException(key, "has no host: '" + gateway + "'");
        }
    }
}
