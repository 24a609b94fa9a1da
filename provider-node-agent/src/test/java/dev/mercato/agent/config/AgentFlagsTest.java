package dev.mercato.agent.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AgentFlagsTest {

    @Test
    void readsEveryFlagInBothSpellings() {
        AgentFlags flags = AgentFlags.parse("--config=agent.yml", "--gateway", "ws://a/x", "--gateway=ws://b/x",
            "--node-token", "mnode_1", "--max-concurrency", "12");

        assertEquals(new AgentFlags(Path.of("agent.yml"), List.of("ws://a/x", "ws://b/x"), "mnode_1", 12, false),
            flags);
    }

    @Test
    void helpNeedsNoConfig() {
        assertTrue(AgentFlags.parse("--help").help());
    }

    @Test
    void rejectsAnUnknownFlag() {
        ConfigException error = assertThrows(ConfigException.class,
            () -> AgentFlags.parse("--config", "a.yml", "--verbose"));

        assertEquals("--verbose", error.key());
    }

    @Test
    void rejectsAFlagWithoutItsValue() {
        ConfigException error = assertThrows(ConfigException.class, () -> AgentFlags.parse("--config"));

        assertEquals("--config: needs a value", error.getMessage());
    }

    @Test
    void rejectsANonNumericConcurrency() {
        ConfigException error = assertThrows(ConfigException.class,
            () -> AgentFlags.parse("--config", "a.yml", "--max-concurrency", "lots"));

        assertEquals("--max-concurrency: expected a whole number, was 'lots'", error.getMessage());
    }

    @Test
    void requiresTheConfigFlag() {
        ConfigException error = assertThrows(ConfigException.class, () -> AgentFlags.parse("--gateway", "ws://a/x"));

        assertEquals("--config", error.key());
    }
}
