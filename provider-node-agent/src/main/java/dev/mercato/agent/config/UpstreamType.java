package dev.mercato.agent.config;

import java.util.Arrays;
import java.util.stream.Collectors;

/** What kind of upstream an operator runs, and so how the agent talks to it. */
public enum UpstreamType {
    ANTHROPIC("anthropic"),
    OPENAI("openai"),
    OPENAI_COMPATIBLE("openai-compatible"),
    SIMULATED("simulated");

    private final String configName;

    UpstreamType(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }

    /** @throws IllegalArgumentException naming the accepted values */
    public static UpstreamType fromConfigName(String name) {
        for (UpstreamType type : values()) {
            if (type.configName.equals(name)) {
                return type;
            }
        }
        throw new IllegalArgumentException("unknown type '" + name + "' (expected one of "
            + Arrays.stream(values()).map(UpstreamType::configName).collect(Collectors.joining(", ")) + ")");
    }
}
