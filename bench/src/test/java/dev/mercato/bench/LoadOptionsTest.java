package dev.mercato.bench;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LoadOptionsTest {

    @Test
    void appliesDefaultsToAnOpenLoopRun() {
        LoadOptions options = LoadOptions.parse(new String[] {"--url", "http://127.0.0.1:9000/v1/chat/completions", "--rate", "300"});

        assertEquals(300.0, options.ratePerSecond());
        assertEquals(20, options.durationSeconds());
        assertEquals(10, options.warmupSeconds());
        assertEquals(1024, options.maxInFlight());
        assertEquals(10_000, options.timeoutMillis());
        assertEquals(100, options.clockTicksPerSecond());
        assertEquals(9000, options.port());
    }

    @Test
    void collectsRepeatedHeadersAndCpuPids() {
        LoadOptions options = LoadOptions.parse(new String[] {"--url", "http://127.0.0.1:9000/", "--saturate",
            "--connections", "8", "--header", "Authorization: Bearer msk_1", "--header", "x-a:b",
            "--cpu-pid", "11", "--cpu-pid", "12", "--stream"});

        assertEquals(List.of(new LoadOptions.Header("Authorization", "Bearer msk_1"), new LoadOptions.Header("x-a", "b")),
            options.headers());
        assertEquals(List.of(11L, 12L), options.cpuPids());
        assertEquals(8, options.connections());
        assertEquals(true, options.stream());
    }

    @Test
    void refusesBothOrNeitherLoadMode() {
        assertEquals("give exactly one of --rate N or --saturate", assertThrows(IllegalArgumentException.class,
            () -> LoadOptions.parse(new String[] {"--url", "http://127.0.0.1:1/", "--rate", "5", "--saturate"})).getMessage());
        assertEquals("give exactly one of --rate N or --saturate", assertThrows(IllegalArgumentException.class,
            () -> LoadOptions.parse(new String[] {"--url", "http://127.0.0.1:1/"})).getMessage());
    }

    @Test
    void refusesTlsUnknownFlagsAndValuesPastTheirLimits() {
        assertEquals("--url must be http://host:port/path, was https://127.0.0.1:1/", assertThrows(IllegalArgumentException.class,
            () -> LoadOptions.parse(new String[] {"--url", "https://127.0.0.1:1/", "--rate", "5"})).getMessage());
        assertEquals("unknown flag --rps", assertThrows(IllegalArgumentException.class,
            () -> LoadOptions.parse(new String[] {"--rps", "5"})).getMessage());
        assertEquals("--max-in-flight between 1 and 65536", assertThrows(IllegalArgumentException.class,
            () -> LoadOptions.parse(new String[] {"--url", "http://127.0.0.1:1/", "--rate", "5", "--max-in-flight", "0"})).getMessage());
        assertEquals("--timeout-ms needs a whole number, was 1s", assertThrows(IllegalArgumentException.class,
            () -> LoadOptions.parse(new String[] {"--url", "http://127.0.0.1:1/", "--rate", "5", "--timeout-ms", "1s"})).getMessage());
    }

    @Test
    void buildsAPostWithLengthTypeAndExtraHeaders() {
        LoadOptions options = LoadOptions.parse(new String[] {"--url", "http://127.0.0.1:9000/v1/messages?beta=true",
            "--rate", "1", "--header", "x-api-key: k"});

        String request = new String(LoadGenerator.buildRequest(options, "{\"a\":1}".getBytes(StandardCharsets.UTF_8)),
            StandardCharsets.ISO_8859_1);

        assertEquals("POST /v1/messages?beta=true HTTP/1.1\r\nHost: 127.0.0.1:9000\r\n"
            + "Content-Type: application/json\r\nContent-Length: 7\r\nx-api-key: k\r\n\r\n{\"a\":1}", request);
    }

    @Test
    void buildsAGetWithoutABody() {
        LoadOptions options = LoadOptions.parse(new String[] {"--url", "http://127.0.0.1:9000", "--rate", "1"});

        assertEquals("GET / HTTP/1.1\r\nHost: 127.0.0.1:9000\r\n\r\n",
            new String(LoadGenerator.buildRequest(options, null), StandardCharsets.ISO_8859_1));
    }
}
