package dev.mercato.agent;

import dev.mercato.agent.config.AgentConfig;
import dev.mercato.agent.config.AgentFlags;
import dev.mercato.agent.config.ConfigException;
import dev.mercato.agent.config.ConfigLoader;
import dev.mercato.agent.config.ModelConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The node agent's command line: {@code java -jar provider-node-agent-…-all.jar --config agent.yml}. */
public final class AgentMain {

    private static final Logger LOG = LoggerFactory.getLogger(AgentMain.class);

    private AgentMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        AgentConfig config;
        try {
            AgentFlags flags = AgentFlags.parse(args);
            if (flags.help()) {
                System.out.println(AgentFlags.USAGE);
                return;
            }
            config = ConfigLoader.fromSystemEnvironment().load(flags);
        } catch (ConfigException e) {
            System.err.println("mercato node agent: " + e.getMessage());
            System.exit(2);
            return;
        }
        NodeAgent agent = NodeAgent.start(config);
        for (ModelConfig model : config.models()) {
            LOG.info("serving {} ({}{}{})", model.id(), model.protocol().wireName(),
                model.upstreamModel() == null ? "" : ", upstream model " + model.upstreamModel(),
                model.maxConcurrency() == null ? "" : ", at most " + model.maxConcurrency() + " at once");
        }
        LOG.info("node agent {} started: {} gateway(s), max concurrency {}", NodeAgent.AGENT_VERSION,
            config.gateways().size(), config.maxConcurrency());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("stopping: finishing requests in flight");
            agent.close();
        }, "mercato-agent-shutdown"));
        // Every thread of the agent is a daemon, so this thread keeps the process up until a signal.
        Thread.currentThread().join();
    }
}
