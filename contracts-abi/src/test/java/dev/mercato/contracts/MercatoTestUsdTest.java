package dev.mercato.contracts;

import static dev.mercato.contracts.Chains.TRANSFER_TOPIC;
import static dev.mercato.contracts.Chains.topic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.web3j.abi.EventEncoder;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.exceptions.TransactionException;

/** The test token against a real anvil, read back through the plain ERC-20 interface Mercato uses. */
class MercatoTestUsdTest {

    private static final BigInteger ONE_THOUSAND_MUSDC = BigInteger.valueOf(1_000_000_000);
    private static final BigInteger DEPOSIT_UNITS = BigInteger.valueOf(12_345_678);

    private static LocalChain chain;

    @BeforeAll
    static void startChain() {
        chain = LocalChain.start();
    }

    @AfterAll
    static void stopChain() {
        chain.close();
    }

    @Test
    void describesItselfAsSixDecimalTestUsd() throws Exception {
        MercatoTestUsd token = chain.deployTestUsd(chain.account(0));

        assertEquals("Mercato Test USD", token.name().send());
        assertEquals("mUSDC", token.symbol().send());
        assertEquals(BigInteger.valueOf(6), token.decimals().send());
        assertEquals(BigInteger.ZERO, token.totalSupply().send());
        Erc20 erc20 = Erc20.load(token.getContractAddress(), chain.web3j(),
                chain.transactionManager(chain.account(0)), LocalChain.gasProvider());
        assertEquals(BigInteger.valueOf(6), erc20.decimals().send());
    }

    @Test
    void mintedThenTransferredUnitsShowInBalancesAndInTheTransferLog() throws Exception {
        Credentials payer = chain.account(1);
        Credentials gateway = chain.account(2);
        MercatoTestUsd token = chain.deployTestUsd(chain.account(0));
        String address = token.getContractAddress();

        // Minted by the deployer: anyone may mint.
        TransactionReceipt mint = token.mint(payer.getAddress(), ONE_THOUSAND_MUSDC).send();
        assertEquals("0x1", mint.getStatus());
        TransactionReceipt deposit = chain.testUsd(address, payer).transfer(gateway.getAddress(), DEPOSIT_UNITS).send();
        assertEquals("0x1", deposit.getStatus());

        Erc20 erc20 = Erc20.load(address, chain.web3j(), chain.transactionManager(gateway), LocalChain.gasProvider());
        assertEquals(BigInteger.valueOf(987_654_322), erc20.balanceOf(payer.getAddress()).send());
        assertEquals(DEPOSIT_UNITS, erc20.balanceOf(gateway.getAddress()).send());
        assertEquals(ONE_THOUSAND_MUSDC, token.totalSupply().send());

        List<Log> logs = Chains.transfersTo(chain, address, gateway.getAddress());
        assertEquals(1, logs.size());
        Log log = logs.getFirst();
        assertEquals(address, log.getAddress());
        assertEquals(List.of(TRANSFER_TOPIC, topic(payer.getAddress()), topic(gateway.getAddress())), log.getTopics());
        assertEquals("0x0000000000000000000000000000000000000000000000000000000000bc614e", log.getData());
        assertEquals(deposit.getTransactionHash(), log.getTransactionHash());
        assertEquals(deposit.getBlockHash(), log.getBlockHash());
        assertEquals(deposit.getBlockNumber(), log.getBlockNumber());
        // Automine puts each transaction in a block of its own, so its only log is the block's first.
        assertEquals(BigInteger.ZERO, log.getLogIndex());
        assertEquals(BigInteger.ZERO, log.getTransactionIndex());
        assertFalse(log.isRemoved());

        Erc20.TransferEventResponse event = Erc20.getTransferEventFromLog(log);
        assertEquals(payer.getAddress(), event.from);
        assertEquals(gateway.getAddress(), event.to);
        assertEquals(DEPOSIT_UNITS, event.value);
    }

    @Test
    void mintIsATransferFromTheZeroAddress() throws Exception {
        Credentials payer = chain.account(3);
        MercatoTestUsd token = chain.deployTestUsd(chain.account(0));

        TransactionReceipt mint = token.mint(payer.getAddress(), ONE_THOUSAND_MUSDC).send();

        List<MercatoTestUsd.TransferEventResponse> events = MercatoTestUsd.getTransferEvents(mint);
        assertEquals(1, events.size());
        assertEquals("0x0000000000000000000000000000000000000000", events.getFirst().from);
        assertEquals(payer.getAddress(), events.getFirst().to);
        assertEquals(ONE_THOUSAND_MUSDC, events.getFirst().value);
    }

    @Test
    void transferFromSpendsTheAllowance() throws Exception {
        Credentials owner = chain.account(4);
        Credentials spender = chain.account(5);
        Credentials recipient = chain.account(6);
        MercatoTestUsd token = chain.deployTestUsd(chain.account(0));
        token.mint(owner.getAddress(), ONE_THOUSAND_MUSDC).send();

        chain.testUsd(token.getContractAddress(), owner).approve(spender.getAddress(), BigInteger.valueOf(5_000_000)).send();
        chain.testUsd(token.getContractAddress(), spender)
                .transferFrom(owner.getAddress(), recipient.getAddress(), BigInteger.valueOf(2_000_000)).send();

        assertEquals(BigInteger.valueOf(3_000_000), token.allowance(owner.getAddress(), spender.getAddress()).send());
        assertEquals(BigInteger.valueOf(998_000_000), token.balanceOf(owner.getAddress()).send());
        assertEquals(BigInteger.valueOf(2_000_000), token.balanceOf(recipient.getAddress()).send());
    }

    @Test
    void transferBeyondTheBalanceRevertsAndMovesNothing() throws Exception {
        Credentials payer = chain.account(7);
        Credentials gateway = chain.account(8);
        MercatoTestUsd token = chain.deployTestUsd(chain.account(0));
        token.mint(payer.getAddress(), DEPOSIT_UNITS).send();
        MercatoTestUsd asPayer = chain.testUsd(token.getContractAddress(), payer);

        TransactionException failure = assertThrows(TransactionException.class,
                () -> asPayer.transfer(gateway.getAddress(), DEPOSIT_UNITS.add(BigInteger.ONE)).send());

        TransactionReceipt receipt = failure.getTransactionReceipt().orElseThrow();
        assertEquals("0x0", receipt.getStatus());
        assertEquals(List.of(), receipt.getLogs());
        assertEquals(DEPOSIT_UNITS, token.balanceOf(payer.getAddress()).send());
        assertEquals(BigInteger.ZERO, token.balanceOf(gateway.getAddress()).send());
    }

    @Test
    void transferTopicIsTheStandardErc20One() {
        assertEquals(TRANSFER_TOPIC, EventEncoder.encode(MercatoTestUsd.TRANSFER_EVENT));
        assertEquals(TRANSFER_TOPIC, EventEncoder.encode(Erc20.TRANSFER_EVENT));
    }
}
