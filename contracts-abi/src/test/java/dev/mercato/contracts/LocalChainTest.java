package dev.mercato.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.web3j.protocol.core.DefaultBlockParameterName;

class LocalChainTest {

    @Test
    void devAccountsAreTheOnesAnvilFunds() throws Exception {
        try (LocalChain chain = LocalChain.start()) {
            List<String> expected = IntStream.range(0, 10).mapToObj(i -> chain.account(i).getAddress()).toList();
            List<String> reported = chain.web3j().ethAccounts().send().getAccounts().stream()
                    .map(String::toLowerCase).toList();
            assertEquals(expected, reported);
            assertEquals("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", chain.account(0).getAddress());
            assertEquals(new BigInteger("10000000000000000000000"), chain.web3j()
                    .ethGetBalance(chain.account(9).getAddress(), DefaultBlockParameterName.LATEST)
                    .send().getBalance());
            assertThrows(IndexOutOfBoundsException.class, () -> chain.account(10));
        }
    }

    @Test
    void twoChainsRunSideBySideWithSeparateState() throws Exception {
        try (LocalChain first = LocalChain.start(); LocalChain second = LocalChain.start()) {
            assertNotEquals(first.rpcUrl(), second.rpcUrl());
            MercatoTestUsd firstToken = first.deployTestUsd(first.account(0));
            MercatoTestUsd secondToken = second.deployTestUsd(second.account(0));
            // Same deployer, same nonce: the same address on both chains, yet two contracts.
            assertEquals(firstToken.getContractAddress(), secondToken.getContractAddress());

            firstToken.mint(first.account(1).getAddress(), BigInteger.valueOf(7)).send();
            first.mine(5);

            assertEquals(BigInteger.valueOf(7), firstToken.balanceOf(first.account(1).getAddress()).send());
            assertEquals(BigInteger.ZERO, secondToken.balanceOf(second.account(1).getAddress()).send());
            assertEquals(7, first.blockNumber());
            assertEquals(1, second.blockNumber());

            first.close();
            assertThrows(IOException.class, () -> first.web3j().ethBlockNumber().send());
            assertEquals(1, second.blockNumber());
        }
    }

    @Test
    void closeEndsTheAnvilProcessAndFreesItsPort() throws Exception {
        LocalChain chain = LocalChain.start();
        int port = Integer.parseInt(chain.rpcUrl().substring(chain.rpcUrl().lastIndexOf(':') + 1));

        chain.close();

        try (ServerSocket rebound = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            assertEquals(port, rebound.getLocalPort());
        }
    }

    @Test
    void aFixedPortIsUsedAsGiven() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        try (LocalChain chain = LocalChain.builder().port(port).start()) {
            assertEquals("http://127.0.0.1:" + port, chain.rpcUrl());
            assertEquals(BigInteger.valueOf(31_337), chain.web3j().ethChainId().send().getChainId());
        }
    }

    @Test
    void aTakenPortFailsTheStartWithAnvilsOwnWords() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            IllegalStateException failure = assertThrows(IllegalStateException.class,
                    () -> LocalChain.builder().port(taken.getLocalPort()).start());
            assertTrue(failure.getMessage().startsWith("anvil exited with code "), failure.getMessage());
            assertTrue(failure.getMessage().contains("Address already in use"), failure.getMessage());
        }
    }

    @Test
    void withABlockTimeBlocksAreMinedWithoutTransactions() throws Exception {
        try (LocalChain chain = LocalChain.builder().blockTime(Duration.ofMillis(200)).start()) {
            long deadlineNanos = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (chain.blockNumber() < 3 && System.nanoTime() < deadlineNanos) {
                Thread.sleep(50);
            }
            assertTrue(chain.blockNumber() >= 3, "head " + chain.blockNumber() + " after 10 s of 200 ms blocks");
        }
    }

    @Test
    void aSnapshotIsUsedUpByRevertingToIt() {
        try (LocalChain chain = LocalChain.start()) {
            BigInteger snapshot = chain.snapshot();
            chain.mine(4);

            chain.revert(snapshot);

            assertEquals(0, chain.blockNumber());
            LocalChain.LocalChainException failure =
                    assertThrows(LocalChain.LocalChainException.class, () -> chain.revert(snapshot));
            assertEquals("anvil has no snapshot " + snapshot, failure.getMessage());
        }
    }

    @Test
    void anvilRefusalsAreReportedWithTheMethod() {
        try (LocalChain chain = LocalChain.start()) {
            chain.mine(2);
            LocalChain.LocalChainException failure =
                    assertThrows(LocalChain.LocalChainException.class, () -> chain.reorg(3));
            assertTrue(failure.getMessage().startsWith("anvil_reorg failed: "), failure.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> chain.reorg(2, List.of(new LocalChain.ReorgTransaction("0x00", 2))));
        }
    }

    @Test
    void defaultToolsDirectoryIsInTheRepositoryRoot() {
        String configured = System.clearProperty(AnvilInstaller.TOOLS_DIR_PROPERTY);
        try {
            // Surefire runs in the module directory, one below the root that holds mvnw.
            assertEquals(Path.of("").toAbsolutePath().getParent().resolve(".mercato").resolve("tools"),
                    AnvilInstaller.defaultToolsDirectory());
        } finally {
            if (configured != null) {
                System.setProperty(AnvilInstaller.TOOLS_DIR_PROPERTY, configured);
            }
        }
    }
}
