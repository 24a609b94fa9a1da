package dev.mercato.agent.connection;

import dev.mercato.protocol.FrameCodec;
import dev.mercato.protocol.NodeFrame;
import io.micronaut.json.JsonMapper;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A gateway for tests: a real WebSocket server on 127.0.0.1 that hands every frame an agent
 * sends to the test, and sends the frames the test asks for.
 */
public final class FakeGateway implements AutoCloseable {

    /** What one agent socket sent, with the socket to answer on. */
    public record Received(Channel channel, NodeFrame frame) {
    }

    public static final String PATH = "/v1/nodes/connect";

    private final FrameCodec codec = new FrameCodec(JsonMapper.createDefault());
    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private final BlockingQueue<Channel> closed = new LinkedBlockingQueue<>();
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;

    public FakeGateway() throws InterruptedException {
        server = new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childHandler(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel channel) {
                    channels.add(channel);
                    channel.closeFuture().addListener(_ -> closed.add(channel));
                    channel.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024),
                        new WebSocketServerProtocolHandler(PATH, null, false, FrameCodec.MAX_FRAME_BYTES),
                        new WebSocketFrameAggregator(FrameCodec.MAX_FRAME_BYTES),
                        new SimpleChannelInboundHandler<TextWebSocketFrame>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame frame) {
                                received.add(new Received(ctx.channel(), codec.decode(frame.text())));
                            }
                        });
                }
            })
            .bind("127.0.0.1", 0).sync().channel();
    }

    public URI url() {
        return URI.create("ws://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort() + PATH);
    }

    /**
     * The next frame of {@code type} from any agent socket; status and chunk frames in between
     * are skipped (so a test can wait for one request's frames while another streams).
     */
    public <T extends NodeFrame> Received next(Class<T> type) throws InterruptedException {
        long deadlineNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            Received next = received.poll(deadlineNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (next == null) {
                fail("no " + type.getSimpleName() + " frame within 10 s");
            }
            if (type.isInstance(next.frame())) {
                return next;
            }
            if (!(next.frame() instanceof NodeFrame.Status) && !(next.frame() instanceof NodeFrame.Chunk)) {
                fail("expected a " + type.getSimpleName() + " frame, got " + next.frame());
            }
        }
    }

    /** The next frame of {@code type}, or null when none came within {@code millis}; other frames are skipped. */
    public Received poll(Class<? extends NodeFrame> type, long millis) throws InterruptedException {
        long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (true) {
            Received next = received.poll(deadlineNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (next == null || type.isInstance(next.frame())) {
                return next;
            }
        }
    }

    public void send(Channel channel, NodeFrame frame) {
        channel.writeAndFlush(new TextWebSocketFrame(codec.encode(frame)));
    }

    /** Waits until an agent socket has closed. */
    public Channel awaitClosed() throws InterruptedException {
        Channel channel = closed.poll(10, TimeUnit.SECONDS);
        assertNotNull(channel, "no socket closed within 10 s");
        return channel;
    }

    /** Closes every agent socket at the TCP level, as a gateway crash would. */
    public void dropAll() {
        channels.close().syncUninterruptibly();
    }

    @Override
    public void close() {
        channels.close().syncUninterruptibly();
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
