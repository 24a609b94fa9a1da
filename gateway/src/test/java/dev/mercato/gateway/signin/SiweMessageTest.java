package dev.mercato.gateway.signin;

import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.error.ErrorCode;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The EIP-4361 grammar, read strictly: what parses, and the sentence each malformed message gets. */
class SiweMessageTest {

    /** Anvil's first account, in EIP-55 checksum case. */
    private static final String ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

    private static final String FULL = """
        https://example.com:8443 wants you to sign in with your Ethereum account:
        0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266

        Sign in to Mercato. This costs nothing and moves no funds.

        URI: https://example.com:8443/login
        Version: 1
        Chain ID: 31337
        Nonce: a1B2c3D4e5F6g7H8i9J0kL
        Issued At: 2025-01-31T09:30:00Z
        Expiration Time: 2025-01-31T09:40:00.250Z
        Not Before: 2025-01-31T09:29:00Z
        Request ID: req-17@dash
        Resources:
        - ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/
        - https://example.com/terms.json""";

    private static final String MINIMAL = """
        example.com wants you to sign in with your Ethereum account:
        0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266


        URI: https://example.com
        Version: 1
        Chain ID: 1
        Nonce: 32891756
        Issued At: 2021-09-30T16:25:24Z""";

    @Test
    void readsEveryFieldOfAFullMessageAndWritesItBackUnchanged() {
        SiweMessage message = SiweMessage.parse(FULL);

        assertEquals(new SiweMessage("https", "example.com:8443", ADDRESS,
            "Sign in to Mercato. This costs nothing and moves no funds.", "https://example.com:8443/login", "1", 31337,
            "a1B2c3D4e5F6g7H8i9J0kL", Instant.parse("2025-01-31T09:30:00Z"), Instant.parse("2025-01-31T09:40:00.250Z"),
            Instant.parse("2025-01-31T09:29:00Z"), "req-17@dash",
            List.of("ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/", "https://example.com/terms.json")),
            message);
        assertEquals(FULL, message.toText());
    }

    @Test
    void readsAMessageWithoutStatementOrOptionalFields() {
        SiweMessage message = SiweMessage.parse(MINIMAL);

        assertNull(message.scheme());
        assertEquals("example.com", message.domain());
        assertNull(message.statement());
        assertNull(message.expirationTime());
        assertNull(message.notBefore());
        assertNull(message.requestId());
        assertNull(message.resources());
        assertEquals(1, message.chainId());
        assertEquals(MINIMAL, message.toText());
    }

    @Test
    void tellsAnEmptyStatementFromNone() {
        String text = MINIMAL.replace(ADDRESS + "\n\n\n", ADDRESS + "\n\n\n\n");

        SiweMessage message = SiweMessage.parse(text);

        assertEquals("", message.statement());
        assertEquals(text, message.toText());
    }

    @Test
    void readsTimesWithAnOffsetAsInstants() {
        SiweMessage message = SiweMessage.parse(MINIMAL.replace("2021-09-30T16:25:24Z", "2021-09-30T18:25:24.5+02:00"));

        assertEquals(Instant.parse("2021-09-30T16:25:24.500Z"), message.issuedAt());
    }

    @Test
    void refusesAnEmptyOrOverlongMessage() {
        assertRefused("", "The request needs 'message': the EIP-4361 text the wallet signed.");
        assertRefused(null, "The request needs 'message': the EIP-4361 text the wallet signed.");
        String overlong = MINIMAL.replace("URI: https://example.com", "URI: https://example.com/" + "a".repeat(4000));
        assertRefused(overlong, "The sign-in message is " + overlong.length() + " characters long; the limit is 4096.");
    }

    @Test
    void refusesCarriageReturnsAndATrailingLineBreak() {
        assertRefused(MINIMAL.replace("\n", "\r\n"),
            "The sign-in message must separate its lines with LF alone; it contains a carriage return.");
        assertRefused(MINIMAL + "\n", "The sign-in message must end with its last field; it ends with a line break.");
    }

    @Test
    void refusesAWrongHeader() {
        assertRefused(MINIMAL.replace("wants you to sign in", "would like you to sign in"),
            "Line 1 of the sign-in message must be '<domain> wants you to sign in with your Ethereum account:'; found "
                + "'example.com would like you to sign in with your Ethereum account:'.");
        assertRefused(MINIMAL.replace("example.com wants", "exa mple.com wants"),
            "The sign-in message's domain 'exa mple.com' is not an RFC 3986 authority (a host and an optional port).");
        assertRefused(MINIMAL.replace("example.com wants", "1https://example.com wants"),
            "The sign-in message's scheme '1https' is not a URI scheme.");
    }

    @Test
    void refusesAnAddressThatIsNotHexOrNotChecksummed() {
        assertRefused(MINIMAL.replace(ADDRESS, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb9226"),
            "Line 2 of the sign-in message must be the address, 0x and 40 hex digits; found "
                + "'0xf39Fd6e51aad88F6F4ce6aB8827279cffFb9226'.");
        assertRefused(MINIMAL.replace(ADDRESS, "0xg39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
            "Line 2 of the sign-in message must be the address, 0x and 40 hex digits; found "
                + "'0xg39Fd6e51aad88F6F4ce6aB8827279cffFb92266'.");
        assertRefused(MINIMAL.replace(ADDRESS, ADDRESS.toLowerCase()),
            "The address 0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266 is not in EIP-55 checksum case; write it as "
                + ADDRESS + ".");
    }

    @Test
    void refusesMissingBlankLinesAndAStatementWithCharactersTheGrammarLacks() {
        assertRefused(FULL.replace(ADDRESS + "\n\n", ADDRESS + "\n"),
            "Line 3 of the sign-in message must be empty (after the address); found "
                + "'Sign in to Mercato. This costs nothing and moves no funds.'.");
        assertRefused(FULL.replace("funds.\n\nURI", "funds.\nURI"),
            "Line 5 of the sign-in message must be empty (after the statement); found "
                + "'URI: https://example.com:8443/login'.");
        assertRefused(FULL.replace("Sign in to Mercato.", "Sign in to \"Mercato\"."),
            "The statement may hold only letters, digits, spaces and the punctuation of URIs; found "
                + "'Sign in to \"Mercato\". This costs nothing and moves no funds.'.");
    }

    @Test
    void refusesMalformedRequiredFields() {
        assertRefused(MINIMAL.replace("URI: https://example.com", "URL: https://example.com"),
            "Line 5 of the sign-in message must be 'URI: …'; found 'URL: https://example.com'.");
        assertRefused(MINIMAL.replace("URI: https://example.com", "URI: /login"),
            "URI must be an absolute RFC 3986 URI; found '/login'.");
        assertRefused(MINIMAL.replace("URI: https://example.com", "URI: https://example.com/a b"),
            "URI must be an absolute RFC 3986 URI; 'https://example.com/a b' holds a character URIs do not.");
        assertRefused(MINIMAL.replace("Version: 1", "Version: one"), "Version must be a number; found 'one'.");
        assertRefused(MINIMAL.replace("Chain ID: 1", "Chain ID: 0x1"),
            "Chain ID must be a decimal number of 1 to 18 digits; found '0x1'.");
        assertRefused(MINIMAL.replace("Chain ID: 1", "Chain ID: 1234567890123456789"),
            "Chain ID must be a decimal number of 1 to 18 digits; found '1234567890123456789'.");
        assertRefused(MINIMAL.replace("Nonce: 32891756", "Nonce: 3289175"),
            "Nonce must be at least 8 letters and digits; found '3289175'.");
        assertRefused(MINIMAL.replace("Nonce: 32891756", "Nonce: 32891756-x"),
            "Nonce must be at least 8 letters and digits; found '32891756-x'.");
        assertRefused(MINIMAL.replace("2021-09-30T16:25:24Z", "2021-09-30 16:25:24"),
            "Issued At must be an RFC 3339 date-time such as 2025-01-31T09:30:00Z; found '2021-09-30 16:25:24'.");
        assertRefused(MINIMAL.replace("2021-09-30T16:25:24Z", "2021-13-30T16:25:24Z"),
            "Issued At must be an RFC 3339 date-time such as 2025-01-31T09:30:00Z; found '2021-13-30T16:25:24Z'.");
    }

    @Test
    void refusesAMessageCutShort() {
        String cut = MINIMAL.substring(0, MINIMAL.indexOf("\nIssued At"));
        assertRefused(cut, "The sign-in message ends after line 8; the Issued At field should follow.");
    }

    @Test
    void refusesOptionalFieldsOutOfOrderTwiceOrUnknown() {
        assertRefused(FULL.replace("Expiration Time: 2025-01-31T09:40:00.250Z\nNot Before: 2025-01-31T09:29:00Z",
                "Not Before: 2025-01-31T09:29:00Z\nExpiration Time: 2025-01-31T09:40:00.250Z"),
            "Line 12 of the sign-in message is not a field that may come there (after Issued At come Expiration Time, "
                + "Not Before, Request ID and Resources, each at most once and in that order); found "
                + "'Expiration Time: 2025-01-31T09:40:00.250Z'.");
        assertRefused(MINIMAL + "\nIssued At: 2021-09-30T16:25:24Z",
            "Line 10 of the sign-in message is not a field that may come there (after Issued At come Expiration Time, "
                + "Not Before, Request ID and Resources, each at most once and in that order); found "
                + "'Issued At: 2021-09-30T16:25:24Z'.");
        assertRefused(MINIMAL + "\nColour: blue",
            "Line 10 of the sign-in message is not a field that may come there (after Issued At come Expiration Time, "
                + "Not Before, Request ID and Resources, each at most once and in that order); found 'Colour: blue'.");
        assertRefused(MINIMAL + "\nExpiration Time: tomorrow",
            "Expiration Time must be an RFC 3339 date-time such as 2025-01-31T09:30:00Z; found 'tomorrow'.");
    }

    @Test
    void refusesMalformedRequestIdsAndResources() {
        assertRefused(FULL.replace("Request ID: req-17@dash", "Request ID: req/17"),
            "Request ID may hold only the characters of a URI path segment; found 'req/17'.");
        assertRefused(FULL.replace("- https://example.com/terms.json", "* https://example.com/terms.json"),
            "Line 16 of the sign-in message must be a resource, '- ' and a URI; found '* https://example.com/terms.json'.");
        assertRefused(FULL.replace("- https://example.com/terms.json", "- terms.json"),
            "Resource on line 16 must be an absolute RFC 3986 URI; found 'terms.json'.");
    }

    private static void assertRefused(String text, String expectedMessage) {
        ApiError.Exception refusal = assertThrows(ApiError.Exception.class, () -> SiweMessage.parse(text));
        assertEquals(ErrorCode.INVALID_REQUEST, refusal.error().code());
        assertEquals("message", refusal.error().param());
        assertEquals(expectedMessage, refusal.error().message());
    }
}
