package dev.mercato.contracts;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.List;
import org.web3j.abi.EventEncoder;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthBlock;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.utils.Numeric;

/** Reads a chain the way the deposit scanner will: plain eth_getLogs and eth_getBlockByNumber. */
final class Chains {

    static final String TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";

    private Chains() {
    }

    /** An address as an indexed event parameter: left-padded to 32 bytes. */
    static String topic(String address) {
        return Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(address), 64);
    }

    /** Every Transfer of {@code token} to {@code to}, from genesis to the head. */
    static List<Log> transfersTo(LocalChain chain, String token, String to) {
        EthFilter filter = new EthFilter(DefaultBlockParameterName.EARLIEST, DefaultBlockParameterName.LATEST, token);
        filter.addSingleTopic(EventEncoder.encode(Erc20.TRANSFER_EVENT));
        filter.addNullTopic();
        filter.addSingleTopic(topic(to));
        try {
            EthLog response = chain.web3j().ethGetLogs(filter).send();
            if (response.hasError()) {
                throw new IllegalStateException("eth_getLogs failed: " + response.getError().getMessage());
            }
            return response.getLogs().stream().map(result -> (Log) result.get()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static EthBlock.Block block(LocalChain chain, long number) {
        try {
            return chain.web3j()
                    .ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(number)), false)
                    .send()
                    .getBlock();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
