package dev.mercato.gateway.signin;

import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.error.ErrorCode;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SignatureException;
import java.util.Arrays;
import java.util.HexFormat;

/** EIP-191 {@code personal_sign}: which Ethereum address signed a text, as wallets sign sign-in messages. */
final class PersonalSignature {

    /** 0x and 65 bytes in hex: r (32), s (32), v (1). */
    static final int SIGNATURE_HEX_CHARS = 2 + 65 * 2;

    private PersonalSignature() {
    }

    /**
     * The lower-case address whose key made {@code signatureHex} over the text's UTF-8 bytes.
     *
     * @throws ApiError.Exception {@code invalid_request} when the signature is not 65 bytes of hex with v of
     *                            27, 28, 0 or 1; {@code sign_in_failed} when no key could have made it
     */
    static String recoverAddress(String text, String signatureHex) {
        if (signatureHex == null || signatureHex.isEmpty()) {
            throw malformed("The request needs 'signature': the wallet's personal_sign signature, 0x and 130 hex digits.");
        }
        if (signatureHex.length() != SIGNATURE_HEX_CHARS) {
            throw malformed("The signature must be 0x and 130 hex digits (65 bytes: r, s, v); it has "
                + signatureHex.length() + " characters.");
        }
        if (!signatureHex.startsWith("0x") || !isHex(signatureHex.substring(2))) {
            throw malformed("The signature must be 0x and 130 hex digits (65 bytes: r, s, v); it holds other characters.");
        }
        byte[] bytes = HexFormat.of().parseHex(signatureHex, 2, SIGNATURE_HEX_CHARS);
        int v = bytes[64] & 0xFF;
        if (v == 0 || v == 1) {
            // Some signers (hardware wallets, raw secp256k1 libraries) write the recovery id itself.
            v += 27;
        }
        if (v != 27 && v != 28) {
            throw malformed("The signature's v must be 27 or 28 (or 0 or 1); it is " + (bytes[64] & 0xFF) + ".");
        }
        byte[] r = Arrays.copyOfRange(bytes, 0, 32);
        byte[] s = Arrays.copyOfRange(bytes, 32, 64);
        if (!inCurveOrder(r) || !inCurveOrder(s)) {
            throw malformed("The signature's r and s must each be between 1 and the secp256k1 group order.");
        }
        Sign.SignatureData signature = new Sign.SignatureData((byte) v, r, s);
        try {
            BigInteger publicKey = Sign.signedPrefixedMessageToKey(text.getBytes(StandardCharsets.UTF_8), signature);
            return "0x" + Keys.getAddress(publicKey);
        } catch (SignatureException | IllegalArgumentException e) {
            // web3j says "no key" with SignatureException, and Bouncy Castle with IllegalArgumentException when
            // r is not the x of a curve point; both mean a signature no wallet made.
            throw new ApiError.Exception(ApiError.of(ErrorCode.SIGN_IN_FAILED,
                "The signature does not belong to any Ethereum key; sign the message again with your wallet."));
        }
    }

    private static boolean isHex(String text) {
        return text.chars().allMatch(HexFormat::isHexDigit);
    }

    private static boolean inCurveOrder(byte[] unsigned) {
        BigInteger value = new BigInteger(1, unsigned);
        return value.signum() > 0 && value.compareTo(Sign.CURVE_PARAMS.getN()) < 0;
    }

    private static ApiError.Exception malformed(String message) {
        return new ApiError.Exception(ApiError.invalidParam("signature", message));
    }
}
