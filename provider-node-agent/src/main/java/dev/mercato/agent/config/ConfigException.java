package dev.mercato.agent.config;

/** A configuration value is missing or wrong; the message names the key and the problem. */
public final class ConfigException extends RuntimeException {

    private final String key;
    private final String problem;

    public ConfigException(String key, String problem) {
        super(key + ": " + problem);
        this.key = key;
        this.problem = problem;
    }

    /** The key path, e.g. {@code upstreams[1].models[0].maxConcurrency}. */
    public String key() {
        return key;
    }

    /** The same problem seen from an enclosing section, e.g. {@code models[0]} inside {@code upstreams[1]}. */
    public ConfigException under(String sectionKey) {
        return new ConfigException(sectionKey + "." + key, problem);
    }
}
