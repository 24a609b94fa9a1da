package dev.mercato.e2e;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import dev.mercato.agent.NodeAgent;
import dev.mercato.agent.config.AgentConfig;
import dev.mercato.agent.config.ModelConfig;
import dev.mercato.agent.config.UpstreamConfig;
import dev.mercato.agent.config.UpstreamType;
import dev.mercato.gateway.TestGateway;
import dev.mercato.protocol.Protocol;
import dev.mercato.protocol.Schedule;
import dev.mercato.simulator.SimulatorSettings;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A whole marketplace in one JVM: a real gateway on a free port and real node agents that dial
 * it over WebSocket and serve from the simulated upstream; consumers are the official SDKs.
 */
final class Marketplace implements AutoCloseable {

    static final String CLAUDE = "claude-sim-sonnet";
    static final String GPT = "gpt-sim-4o";
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);

    final TestGateway gateway;
    final String apiKey;
    private final List<NodeAgent> agents = new ArrayList<>();
    private final java.util.Map<NodeAgent, TestGateway.NewNode> nodesByAgent = new java.util.HashMap<>();

    private Marketplace(TestGateway gateway) {
        this.gateway = gateway;
        this.apiKey = gateway.createApiKey();
    }

    static Marketplace start(Map<String, Object> gatewaySettings) {
        return new Marketplace(TestGateway.start(gatewaySettings));
    }

    /** Starts an always-online agent serving the given models from the simulated upstream and waits for its welcome. */
    NodeAgent startAgent(String operator, SimulatorSettings simulator, int maxConcurrency, List<ModelConfig> models) {
        return startAgent(operator, simulator, maxConcurrency, models, Schedule.ALWAYS_ONLINE);
    }

    /** Starts an agent with the schedule, serving the given models from the simulated upstream; waits for its welcome. */
    NodeAgent startAgent(String operator, SimulatorSettings simulator, int maxConcurrency, List<ModelConfig> models,
                         Schedule schedule) {
        return startAgent(operator, maxConcurrency, List.of(new UpstreamConfig(UpstreamType.SIMULATED, null, null,
            UpstreamConfig.DEFAULT_CONNECT_TIMEOUT_MILLIS, simulator, models)), schedule);
    }

    /** Starts an always-online agent with the given upstreams (e.g. HTTP connectors) and waits for its welcome. */
    NodeAgent startAgent(String operator, int maxConcurrency, List<UpstreamConfig> upstreams) {
        return startAgent(operator, maxConcurrency, upstreams, Schedule.ALWAYS_ONLINE);
    }

    private NodeAgent startAgent(String operator, int maxConcurrency, List<UpstreamConfig> upstreams, Schedule schedule) {
        TestGateway.NewNode node = gateway.createNode(operator);
        NodeAgent agent = NodeAgent.start(new AgentConfig(List.of(URI.create(gateway.nodeUrl())), node.token(),
            maxConcurrency, schedule, upstreams));
        agents.add(agent);
        nodesByAgent.put(agent, node);
        if (!agent.awaitConnected(CONNECT_TIMEOUT)) {
            throw new IllegalStateException("agent for " + node.displayName() + " did not connect within " + CONNECT_TIMEOUT);
        }
        return agent;
    }

    /** How the gateway names the agent's node (x-mercato-node): operator/node. */
    String nodeNameOf(NodeAgent agent) {
        return nodesByAgent.get(agent).displayName();
    }

    /** The operator of the node an agent serves as, by its id in the database. */
    long operatorIdOf(NodeAgent agent) {
        String[] operatorAndNode = nodesByAgent.get(agent).displayName().split("/", 2);
        return gateway.bean(dev.mercato.gateway.node.NodeDirectory.class).findByName(operatorAndNode[0], operatorAndNode[1])
            .orElseThrow().operatorId();
    }

    NodeAgent startSimulatedAgent(SimulatorSettings simulator) {
        return startAgent("acme", simulator, 16, List.of(new ModelConfig(CLAUDE, Protocol.ANTHROPIC, null, null),
            new ModelConfig(GPT, Protocol.OPENAI, null, null)));
    }

    AnthropicClient anthropic() {
        return anthropic(apiKey);
    }

    /** An Anthropic client with this key that never retries by itself, so a test sees every refusal. */
    AnthropicClient anthropic(String key) {
        return AnthropicOkHttpClient.builder().baseUrl(gateway.baseUrl()).apiKey(key).maxRetries(0)
            .timeout(Duration.ofSeconds(30)).build();
    }

    OpenAIClient openAi() {
        return openAi(apiKey);
    }

    /** An OpenAI client with this key that never retries by itself, so a test sees every refusal. */
    OpenAIClient openAi(String key) {
        return OpenAIOkHttpClient.builder().baseUrl(gateway.openAiBaseUrl()).apiKey(key).maxRetries(0)
            .timeout(Duration.ofSeconds(30)).build();
    }

    @Override
    public void close() {
        for (NodeAgent agent : agents) {
            agent.close();
        }
        gateway.close();
    }
}
