package dev.mercato.agent;

import dev.mercato.agent.config.AgentConfig;
import dev.mercato.agent.config.ModelConfig;
import dev.mercato.agent.config.UpstreamConfig;
import dev.mercato.agent.connection.FakeGateway;
import dev.mercato.protocol.FailKind;
import dev.mercato.protocol.NodeFrame;
import dev.mercato.protocol.NodeState;
import dev.mercato.protocol.Protocol;
import dev.mercato.protocol.Schedule;
import dev.mercato.simulator.SimulatedResponse;
import dev.mercato.simulator.Simulator;
import dev.mercato.simulator.SimulatorSettings;
import io.netty.channel.Channel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NodeAgentTest {

    private static final SimulatorSettings SETTINGS = SimulatorSettings.defaults().withCacheReadTokens(8);
    private static final String STREAM = "{\"model\":\"claude-sim\",\"max_tokens\":64,\"stream\":true,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
    private static final String SLOW_STREAM = STREAM.replace("Hello",
        "Hello [[sim:tokens-per-second=10]] [[sim:tokens=100]]");

    private FakeGateway gateway;
    private NodeAgent agent;

    @AfterEach
    void stop() {
        if (agent != null) {
            agent.close();
        }
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void saysHelloServesARequestAndReconnectsWhenTheGatewayDropsTheSocket() throws Exception {
        gateway = new FakeGateway();
        agent = NodeAgent.start(config(8));

        FakeGateway.Received hello = gateway.next(NodeFrame.Hello.class);
        assertEquals(new NodeFrame.Hello("mnode_test", NodeAgent.AGENT_VERSION,
                List.of(new NodeFrame.ModelOffer("claude-sim", Protocol.ANTHROPIC, null),
                    new NodeFrame.ModelOffer("gpt-sim", Protocol.OPENAI, 2)),
                8, Schedule.ALWAYS_ONLINE, NodeState.ONLINE),
            hello.frame());
        gateway.send(hello.channel(), new NodeFrame.Welcome("node_1", 15, "gw-a"));
        assertTrue(agent.awaitConnected(Duration.ofSeconds(5)));

        SimulatedResponse expected = new Simulator(SETTINGS).plan(Protocol.ANTHROPIC, "/v1/messages", STREAM);
        gateway.send(hello.channel(), request("req_1", STREAM));
        NodeFrame.Head head = (NodeFrame.Head) gateway.next(NodeFrame.Head.class).frame();
        StringBuilder body = new StringBuilder();
        NodeFrame.End end = null;
        while (end == null) {
            NodeFrame frame = gateway.next(NodeFrame.class).frame();
            switch (frame) {
                case NodeFrame.Chunk chunk -> body.append(chunk.data());
                case NodeFrame.End e -> end = e;
                case NodeFrame.Status _ -> {
                }
                default -> throw new AssertionError("unexpected frame " + frame);
            }
        }
        assertEquals(new NodeFrame.Head("req_1", 200, expected.headers()), head);
        assertEquals(expected.body(), body.toString());
        assertEquals(expected.usage(), end.usage());
        assertEquals(new AgentStats(0, 1, 0, 0), agent.stats());

        gateway.dropAll();
        FakeGateway.Received again = gateway.next(NodeFrame.Hello.class);
        assertNotSame(hello.channel(), again.channel());
        gateway.send(again.channel(), new NodeFrame.Welcome("node_1", 15, "gw-a"));
        assertTrue(agent.awaitConnected(Duration.ofSeconds(5)));
    }

    @Test
    void droppingTheConnectionsStopsRequestsInFlightAndReconnects() throws Exception {
        gateway = new FakeGateway();
        agent = NodeAgent.start(config(8));
        Channel first = welcome();
        gateway.send(first, request("req_1", SLOW_STREAM));
        gateway.next(NodeFrame.Head.class);

        agent.dropConnections();

        assertEquals(first, gateway.awaitClosed());
        Channel second = welcome();
        assertNotSame(first, second);
        assertEquals(new AgentStats(0, 0, 0, 1), agent.stats());
    }

    @Test
    void aCancelFreesTheSlotAtOnce() throws Exception {
        gateway = new FakeGateway();
        agent = NodeAgent.start(config(1));
        Channel channel = welcome();

        gateway.send(channel, request("req_1", SLOW_STREAM));
        gateway.next(NodeFrame.Head.class);
        gateway.send(channel, request("req_2", STREAM));
        NodeFrame.Fail refused = (NodeFrame.Fail) gateway.next(NodeFrame.Fail.class).frame();
        gateway.send(channel, new NodeFrame.Cancel("req_1", "client_disconnected"));
        gateway.send(channel, request("req_3", STREAM));
        NodeFrame.Head served = (NodeFrame.Head) gateway.next(NodeFrame.Head.class).frame();

        assertEquals(new NodeFrame.Fail("req_2", FailKind.OVERLOADED, 503, "node is at its concurrency cap of 1", true,
            null), refused);
        assertEquals("req_3", served.id());
        NodeFrame.End end = (NodeFrame.End) gateway.next(NodeFrame.End.class).frame();
        assertEquals("req_3", end.id());
        assertEquals(new AgentStats(0, 1, 1, 1), agent.stats());
    }

    @Test
    void aRejectedNodeDoesNotHammerTheGateway() throws Exception {
        gateway = new FakeGateway();
        agent = NodeAgent.start(config(8));
        FakeGateway.Received hello = gateway.next(NodeFrame.Hello.class);

        gateway.send(hello.channel(), new NodeFrame.Reject("invalid_node_token", "The node token is not valid."));
        hello.channel().close();

        assertNull(gateway.poll(NodeFrame.Hello.class, 2_000));
        assertFalse(agent.awaitConnected(Duration.ofMillis(10)));
    }

    @Test
    void sendsStatusEveryHeartbeatAndDropsAGatewayThatFallsSilent() throws Exception {
        gateway = new FakeGateway();
        agent = NodeAgent.start(config(8));
        FakeGateway.Received hello = gateway.next(NodeFrame.Hello.class);
        gateway.send(hello.channel(), new NodeFrame.Welcome("node_1", 1, "gw-a"));
        assertTrue(agent.awaitConnected(Duration.ofSeconds(5)));

        // One status right after the welcome, then one per heartbeat.
        assertEquals(new NodeFrame.Status(NodeState.ONLINE, 0, null),
            gateway.poll(NodeFrame.Status.class, 500).frame());
        assertEquals(new NodeFrame.Status(NodeState.ONLINE, 0, null),
            gateway.poll(NodeFrame.Status.class, 1_500).frame());
        // A gateway that stops reading answers no pings and sends nothing: after 3 beats it is dropped.
        hello.channel().config().setAutoRead(false);

        FakeGateway.Received again = gateway.next(NodeFrame.Hello.class);
        assertNotSame(hello.channel(), again.channel());
    }

    @Test
    void closingDrainsAndSaysGoodbye() throws Exception {
        gateway = new FakeGateway();
        agent = NodeAgent.start(config(8));
        Channel channel = welcome();

        agent.close();

        assertEquals(new NodeFrame.Status(NodeState.DRAINING, 0, null),
            gateway.poll(NodeFrame.Status.class, 2_000).frame());
        assertEquals(channel, gateway.awaitClosed());
        assertNull(gateway.poll(NodeFrame.Hello.class, 700));
    }

    private Channel welcome() throws InterruptedException {
        FakeGateway.Received hello = gateway.next(NodeFrame.Hello.class);
        gateway.send(hello.channel(), new NodeFrame.Welcome("node_1", 15, "gw-a"));
        assertTrue(agent.awaitConnected(Duration.ofSeconds(5)));
        assertEquals(new NodeFrame.Status(NodeState.ONLINE, 0, null), gateway.next(NodeFrame.Status.class).frame());
        return hello.channel();
    }

    private AgentConfig config(int maxConcurrency) {
        return new AgentConfig(List.of(gateway.url()), "mnode_test", maxConcurrency, null,
            List.of(UpstreamConfig.simulated(SETTINGS, List.of(ModelConfig.of("claude-sim", Protocol.ANTHROPIC),
                new ModelConfig("gpt-sim", Protocol.OPENAI, null, Math.min(2, maxConcurrency))))));
    }

    private static NodeFrame.Request request(String id, String body) {
        return new NodeFrame.Request(id, Protocol.ANTHROPIC, "/v1/messages", "claude-sim", Map.of(), body,
            System.currentTimeMillis() + 30_000);
    }
}
