package dev.mercato.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.RawTransaction;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.response.EthSendTransaction;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.tx.gas.StaticEIP1559GasProvider;
import org.web3j.tx.response.PollingTransactionReceiptProcessor;

/** What {@code anvil_reorg} does to a deposit the scanner has already seen. */
class LocalChainReorgTest {

    private static final BigInteger DEPOSIT_UNITS = BigInteger.valueOf(12_345_678);

    private LocalChain chain;
    private Credentials payer;
    private Credentials gateway;
    private String token;

    @BeforeEach
    void deployAndFund() throws Exception {
        chain = LocalChain.start();
        payer = chain.account(1);
        gateway = chain.account(2);
        MercatoTestUsd testUsd = chain.deployTestUsd(chain.account(0));
        testUsd.mint(payer.getAddress(), BigInteger.valueOf(1_000_000_000)).send();
        token = testUsd.getContractAddress();
    }

    @AfterEach
    void stopChain() {
        chain.close();
    }

    @Test
    void aReorgWithoutTransactionsDropsTheDepositAndRehashesItsHeight() throws Exception {
        TransactionReceipt deposit = chain.testUsd(token, payer).transfer(gateway.getAddress(), DEPOSIT_UNITS).send();
        long depositBlock = deposit.getBlockNumber().longValueExact();
        chain.mine(2);
        String parentHash = Chains.block(chain, depositBlock - 1).getHash();
        assertEquals(1, Chains.transfersTo(chain, token, gateway.getAddress()).size());

        chain.reorg(3);

        assertEquals(depositBlock + 2, chain.blockNumber());
        assertNotEquals(deposit.getBlockHash(), Chains.block(chain, depositBlock).getHash());
        assertEquals(parentHash, Chains.block(chain, depositBlock).getParentHash());
        assertEquals(List.of(), Chains.block(chain, depositBlock).getTransactions());
        assertEquals(List.of(), Chains.transfersTo(chain, token, gateway.getAddress()));
        assertTrue(chain.web3j().ethGetTransactionReceipt(deposit.getTransactionHash()).send()
                .getTransactionReceipt().isEmpty());
        assertEquals(BigInteger.ZERO, chain.testUsd(token, gateway).balanceOf(gateway.getAddress()).send());
        // Not back in the pool either: mining more blocks does not bring it back, and the payer's
        // nonce is as if it had never sent it.
        chain.mine(1);
        assertEquals(List.of(), Chains.transfersTo(chain, token, gateway.getAddress()));
        assertEquals(BigInteger.ZERO, chain.web3j()
                .ethGetTransactionCount(payer.getAddress(), DefaultBlockParameterName.LATEST).send().getTransactionCount());
    }

    @Test
    void aReorgReplayingTheSignedDepositMovesItsLogToANewBlock() throws Exception {
        String signed = chain.transactionManager(payer).sign(depositTransaction());
        EthSendTransaction sent = chain.web3j().ethSendRawTransaction(signed).send();
        // Automine answers the send before the receipt can be read: wait for it as senders do.
        TransactionReceipt deposit = new PollingTransactionReceiptProcessor(chain.web3j(),
                LocalChain.RECEIPT_POLL_INTERVAL_MILLIS, 200).waitForTransactionReceipt(sent.getTransactionHash());
        long depositBlock = deposit.getBlockNumber().longValueExact();
        chain.mine(2);

        chain.reorg(3, List.of(new LocalChain.ReorgTransaction(signed, 1)));

        List<Log> logs = Chains.transfersTo(chain, token, gateway.getAddress());
        assertEquals(1, logs.size());
        Log log = logs.getFirst();
        assertEquals(deposit.getTransactionHash(), log.getTransactionHash());
        assertEquals(BigInteger.valueOf(depositBlock + 1), log.getBlockNumber());
        assertEquals(Chains.block(chain, depositBlock + 1).getHash(), log.getBlockHash());
        assertEquals(List.of(), Chains.block(chain, depositBlock).getTransactions());
        assertNotEquals(deposit.getBlockHash(), Chains.block(chain, depositBlock).getHash());
        assertEquals(depositBlock + 2, chain.blockNumber());
        assertEquals(DEPOSIT_UNITS, chain.testUsd(token, gateway).balanceOf(gateway.getAddress()).send());
    }

    @Test
    void snapshotAndRevertUndoADeposit() throws Exception {
        long head = chain.blockNumber();
        BigInteger snapshot = chain.snapshot();
        chain.testUsd(token, payer).transfer(gateway.getAddress(), DEPOSIT_UNITS).send();
        chain.mine(3);

        chain.revert(snapshot);

        assertEquals(head, chain.blockNumber());
        assertEquals(List.of(), Chains.transfersTo(chain, token, gateway.getAddress()));
        assertEquals(BigInteger.ZERO, chain.testUsd(token, gateway).balanceOf(gateway.getAddress()).send());
    }

    // The payer's first transaction: it was funded by a mint it did not send.
    private RawTransaction depositTransaction() {
        String data = FunctionEncoder.encode(new Function("transfer",
                List.of(new Address(gateway.getAddress()), new Uint256(DEPOSIT_UNITS)), List.of()));
        StaticEIP1559GasProvider gas = LocalChain.gasProvider();
        return RawTransaction.createTransaction(chain.chainId(), BigInteger.ZERO, gas.getGasLimit(), token,
                BigInteger.ZERO, data, gas.getMaxPriorityFeePerGas(), gas.getMaxFeePerGas());
    }
}
