package dev.mercato.agent.config;

import dev.mercato.protocol.Protocol;

/**
 * One model a node offers: the id consumers ask for, the protocol it is served in, the name
 * the upstream knows it by when that differs, and an optional cap on its concurrent requests.
 */
public record ModelConfig(String id, Protocol protocol, String upstreamModel, Integer maxConcurrency) {

    /** Model ids longer than this are a configuration mistake (real ids are well under 100). */
    public static final int MAX_MODEL_ID_CHARS = 200;

    public ModelConfig {
        if (id == null || id.isBlank()) {
            throw new ConfigException("id", "required");
        }
        if (id.length() > MAX_MODEL_ID_CHARS) {
            throw new ConfigException("id", "at most " + MAX_MODEL_ID_CHARS + " characters, was " + id.length());
        }
        for (int i = 0; i < id.length(); i++) {
            if (Character.isWhitespace(id.charAt(i)) || Character.isISOControl(id.charAt(i))) {
                throw new ConfigException("id", "must not contain whitespace or control characters, was '" + id + "'");
            }
        }
        if (protocol == null) {
            throw new ConfigException("protocol", "required (anthropic or openai)");
        }
        if (upstreamModel != null && upstreamModel.isBlank()) {
            throw new ConfigException("upstreamModel", "must not be blank; leave it out to send '" + id + "'");
        }
        if (maxConcurrency != null && (maxConcurrency < 1 || maxConcurrency > AgentConfig.MAX_CONCURRENCY)) {
            throw new ConfigException("maxConcurrency", "must be between 1 and " + AgentConfig.MAX_CONCURRENCY
                + ", was " + maxConcurrency);
        }
    }

    /** A model served under its own name with no cap of its own. */
    public static ModelConfig of(String id, Protocol protocol) {
        return new ModelConfig(id, protocol, null, null);
    }
}
