package dev.mercato.simulator;

import dev.mercato.protocol.Protocol;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The {@link Simulator} over HTTP/1.1 on Netty: each planned part is written and flushed as its
 * own chunk at its time by the connection's event loop (never a sleeping thread), a dropped
 * answer closes the connection without the terminating chunk, and connections are kept alive.
 */
public final class SimulatorServer implements AutoCloseable {

    /** Largest request body accepted; a larger one gets the protocol's 413. */
    public static final int MAX_REQUEST_BODY_BYTES = 4 * 1024 * 1024;

    /** Largest request line and header block accepted. */
    static final int MAX_INITIAL_LINE_BYTES = 8 * 1024;
    static final int MAX_HEADER_BYTES = 32 * 1024;

    /** Requests a client may pipeline behind the one being answered before the connection is closed. */
    static final int MAX_PIPELINED_REQUESTS = 16;

    /** How long {@link #close()} lets the event loops finish their work. */
    static final long SHUTDOWN_TIMEOUT_MILLIS = 2_000;

    private final EventLoopGroup acceptors;
    private final EventLoopGroup workers;
    private final Channel serverChannel;

    private SimulatorServer(EventLoopGroup acceptors, EventLoopGroup workers, Channel serverChannel) {
        this.acceptors = acceptors;
        this.workers = workers;
        this.serverChannel = serverChannel;
    }

    /**
     * Listens on {@code host}:{@code port} (0 picks a free port) until {@link #close()}.
     *
     * @throws IllegalStateException when the address cannot be bound
     */
    public static SimulatorServer start(String host, int port, SimulatorSettings settings) {
        Simulator simulator = new Simulator(settings);
        EventLoopGroup acceptors = new MultiThreadIoEventLoopGroup(1,
            new DefaultThreadFactory("simulator-accept"), NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(),
            new DefaultThreadFactory("simulator-io"), NioIoHandler.newFactory());
        try {
            Channel channel = new ServerBootstrap()
                .group(acceptors, workers)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(
                            new HttpServerCodec(new HttpDecoderConfig()
                                .setMaxInitialLineLength(MAX_INITIAL_LINE_BYTES)
                                .setMaxHeaderSize(MAX_HEADER_BYTES)),
                            new BodyLimit(),
                            new Exchange(simulator));
                    }
                })
                .bind(host, port).sync().channel();
            return new SimulatorServer(acceptors, workers, channel);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            shutdown(acceptors, workers);
            throw new IllegalStateException("interrupted while binding the simulator to " + host + ":" + port, e);
        } catch (Exception e) {
            // Netty rethrows the bind's checked exception (an address in use) without declaring it.
            shutdown(acceptors, workers);
            throw new IllegalStateException("cannot bind the simulator to " + host + ":" + port + ": " + e.getMessage(),
                e);
        }
    }

    /** The port the server listens on. */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** Stops listening, drops open connections and releases the event loops. */
    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
        shutdown(acceptors, workers);
    }

    private static void shutdown(EventLoopGroup acceptors, EventLoopGroup workers) {
        acceptors.shutdownGracefully(0, SHUTDOWN_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, SHUTDOWN_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }

    /** Which protocol a request speaks: by its path, else by Anthropic's headers, else OpenAI. */
    static Protocol protocolOf(String path, HttpHeaders headers) {
        Protocol byPath = Endpoint.protocolOf(path);
        if (byPath != null) {
            return byPath;
        }
        return headers.contains("anthropic-version") || headers.contains("x-api-key")
            ? Protocol.ANTHROPIC : Protocol.OPENAI;
    }

    /** A request read off the wire, its body already decoded, so nothing pooled waits in the queue. */
    private record Incoming(String method, String path, Protocol protocol, boolean keepAlive, String apiKey,
                            String body, boolean tooLarge) {

        static Incoming of(HttpRequest request, String body, boolean tooLarge) {
            String uri = request.uri();
            int query = uri.indexOf('?');
            String path = query < 0 ? uri : uri.substring(0, query);
            HttpHeaders headers = request.headers();
            String apiKey = headers.get("x-api-key");
            String authorization = headers.get(HttpHeaderNames.AUTHORIZATION);
            if (apiKey == null && authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
                apiKey = authorization.substring(7).trim();
            }
            return new Incoming(request.method().name(), path, protocolOf(path, headers),
                HttpUtil.isKeepAlive(request), apiKey, body, tooLarge);
        }
    }

    /**
     * Aggregates each request up to the body limit and hands an oversized one on as a 413 to
     * answer; the aggregator discards the rest of its body, so a kept-alive connection stays usable.
     */
    private static final class BodyLimit extends HttpObjectAggregator {

        BodyLimit() {
            super(MAX_REQUEST_BODY_BYTES);
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            if (oversized instanceof HttpRequest request) {
                ctx.fireChannelRead(Incoming.of(request, "", true));
            } else {
                ctx.close();
            }
        }
    }

    /**
     * Answers the requests of one connection in order, one at a time: while an answer plays,
     * further pipelined requests wait in a bounded queue and the connection stops reading.
     */
    private static final class Exchange extends SimpleChannelInboundHandler<Object> {

        private final Simulator simulator;
        private final ArrayDeque<Incoming> waiting = new ArrayDeque<>();
        private boolean busy;
        private ScheduledFuture<?> pending;

        Exchange(Simulator simulator) {
            this.simulator = simulator;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object message) {
            Incoming incoming = switch (message) {
                case FullHttpRequest request when request.decoderResult().isFailure() -> null;
                case FullHttpRequest request -> Incoming.of(request, request.content().toString(StandardCharsets.UTF_8),
                    false);
                case Incoming oversized -> oversized;
                default -> null;
            };
            if (incoming == null) {
                // Bytes that are not HTTP end the connection; an answer still playing must not be interleaved.
                if (busy) {
                    ctx.close();
                } else {
                    ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST))
                        .addListener(ChannelFutureListener.CLOSE);
                }
                return;
            }
            if (!busy) {
                serve(ctx, incoming);
            } else if (waiting.size() < MAX_PIPELINED_REQUESTS) {
                waiting.add(incoming);
                ctx.channel().config().setAutoRead(false);
            } else {
                ctx.close();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (pending != null) {
                pending.cancel(false);
                pending = null;
            }
            waiting.clear();
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }

        private void serve(ChannelHandlerContext ctx, Incoming incoming) {
            busy = true;
            advance(ctx, new Playback(incoming.keepAlive(), respond(incoming)), false);
        }

        private SimulatedResponse respond(Incoming incoming) {
            if (incoming.tooLarge()) {
                return simulator.reject(incoming.protocol(), ErrorKind.REQUEST_TOO_LARGE,
                    "Request body exceeds the limit of " + MAX_REQUEST_BODY_BYTES + " bytes.");
            }
            String requiredKey = simulator.settings().requiredApiKey();
            if (requiredKey != null && (incoming.apiKey() == null || !MessageDigest.isEqual(
                requiredKey.getBytes(StandardCharsets.UTF_8), incoming.apiKey().getBytes(StandardCharsets.UTF_8)))) {
                return simulator.reject(incoming.protocol(), ErrorKind.AUTHENTICATION,
                    ErrorKind.AUTHENTICATION.injectedMessage(incoming.protocol()));
            }
            if (!HttpMethod.POST.name().equals(incoming.method())) {
                return simulator.reject(incoming.protocol(), ErrorKind.NOT_FOUND,
                    Simulator.notFoundMessage(incoming.protocol(), incoming.method(), incoming.path()));
            }
            return simulator.plan(incoming.protocol(), incoming.path(), incoming.body());
        }

        /** Writes every part that is due, then waits for the next one's delay on the event loop. */
        private void advance(ChannelHandlerContext ctx, Playback playback, boolean delayElapsed) {
            pending = null;
            if (!ctx.channel().isActive()) {
                return;
            }
            boolean elapsed = delayElapsed;
            while (playback.hasNext()) {
                long delayMillis = playback.nextDelayMillis();
                if (delayMillis > 0 && !elapsed) {
                    ctx.flush();
                    pending = ctx.executor().schedule(() -> advance(ctx, playback, true), delayMillis,
                        TimeUnit.MILLISECONDS);
                    return;
                }
                elapsed = false;
                playback.writeNext(ctx);
            }
            if (playback.response.ending() == Ending.DROP) {
                // Everything written so far still reaches the client; the missing last chunk tells it the answer broke.
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            if (playback.streamed()) {
                ctx.write(LastHttpContent.EMPTY_LAST_CONTENT);
            }
            if (!playback.keepAlive) {
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            ctx.flush();
            busy = false;
            Incoming next = waiting.poll();
            if (next != null) {
                serve(ctx, next);
            } else {
                ctx.channel().config().setAutoRead(true);
            }
        }
    }

    /**
     * The progress of one answer on the wire. A complete single-part answer goes out as one
     * response with a content length; anything else as a chunked stream, one chunk a part.
     */
    private static final class Playback {
        private final boolean keepAlive;
        private final SimulatedResponse response;
        private int next;

        Playback(boolean keepAlive, SimulatedResponse response) {
            this.keepAlive = keepAlive;
            this.response = response;
        }

        boolean hasNext() {
            return next < response.parts().size();
        }

        long nextDelayMillis() {
            return response.parts().get(next).delayMillis();
        }

        boolean streamed() {
            return response.ending() == Ending.DROP || response.parts().size() != 1;
        }

        void writeNext(ChannelHandlerContext ctx) {
            String data = response.parts().get(next).data();
            HttpResponseStatus status = HttpResponseStatus.valueOf(response.status());
            if (!streamed()) {
                DefaultFullHttpResponse full = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    ByteBufUtil.writeUtf8(ctx.alloc(), data));
                copyHeaders(full);
                HttpUtil.setContentLength(full, full.content().readableBytes());
                ctx.write(full);
            } else {
                if (next == 0) {
                    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
                    copyHeaders(head);
                    HttpUtil.setTransferEncodingChunked(head, true);
                    ctx.write(head);
                }
                ctx.write(new DefaultHttpContent(ByteBufUtil.writeUtf8(ctx.alloc(), data)));
            }
            next++;
        }

        private void copyHeaders(HttpResponse head) {
            for (Map.Entry<String, String> header : response.headers().entrySet()) {
                head.headers().set(header.getKey(), header.getValue());
            }
            if (!keepAlive) {
                head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
        }
    }
}
