package dev.mercato.gateway.signin;

import dev.mercato.gateway.error.ApiError;
import io.micronaut.core.annotation.Nullable;
import org.web3j.crypto.Keys;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An EIP-4361 (Sign-In with Ethereum) message, parsed strictly by the specification's ABNF:
 * every line in its place, the address in EIP-55 checksum case, nothing before or after.
 * Whether the message is acceptable here (domain, chain, nonce, times) is for the sign-in to
 * decide; this only says what the message states.
 *
 * @param scheme    the origin's scheme when the message names one ({@code https://example.com wants you ...})
 * @param statement null when the message has none; may be empty, which the ABNF tells apart from none
 * @param resources null when the message has no {@code Resources:} line; empty when it has the line alone
 */
public record SiweMessage(@Nullable String scheme, String domain, String address, @Nullable String statement,
                          String uri, String version, long chainId, String nonce, Instant issuedAt,
                          @Nullable Instant expirationTime, @Nullable Instant notBefore, @Nullable String requestId,
                          @Nullable List<String> resources) {

    /** The longest message accepted: a real one is a few hundred characters, and parsing is linear in it. */
    public static final int MAX_MESSAGE_CHARS = 4096;

    static final String HEADER_SUFFIX = " wants you to sign in with your Ethereum account:";

    private static final Pattern SCHEME = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*");
    /** RFC 3986 authority: userinfo, host (names, IPv4, bracketed IPv6) and port, all in these characters. */
    private static final Pattern AUTHORITY = Pattern.compile("[A-Za-z0-9._~%!$&'()*+,;=:@\\[\\]-]+");
    private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");
    /** The ABNF's statement: RFC 3986 reserved and unreserved characters and spaces; no line breaks. */
    private static final Pattern STATEMENT = Pattern.compile("[A-Za-z0-9\\-._~:/?#\\[\\]@!$&'()*+,;= ]*");
    private static final Pattern VERSION = Pattern.compile("[0-9]{1,9}");
    /** At most 18 digits, so every chain ID accepted fits a long. */
    private static final Pattern CHAIN_ID = Pattern.compile("[0-9]{1,18}");
    private static final Pattern NONCE = Pattern.compile("[A-Za-z0-9]{8,}");
    /** RFC 3339 date-time, upper-case T and Z as EIP-4361's examples and wallets write them. */
    private static final Pattern DATE_TIME = Pattern.compile(
        "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})");
    /** RFC 3986 pchar: unreserved, percent-encoded, sub-delims, ':' and '@'. */
    private static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9\\-._~%!$&'()*+,;=:@]*");
    /** How much of an offending line a refusal quotes. */
    private static final int QUOTED_CHARS = 80;

    public SiweMessage {
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(nonce, "nonce");
        Objects.requireNonNull(issuedAt, "issuedAt");
        resources = resources == null ? null : List.copyOf(resources);
    }

    /**
     * Parses the text exactly as signed.
     *
     * @throws ApiError.Exception an {@code invalid_request} on {@code message} naming the first thing wrong
     */
    public static SiweMessage parse(String text) {
        if (text == null || text.isEmpty()) {
            throw malformed("The request needs 'message': the EIP-4361 text the wallet signed.");
        }
        if (text.length() > MAX_MESSAGE_CHARS) {
            throw malformed("The sign-in message is " + text.length() + " characters long; the limit is "
                + MAX_MESSAGE_CHARS + ".");
        }
        if (text.endsWith("\n")) {
            throw malformed("The sign-in message must end with its last field; it ends with a line break.");
        }
        if (text.indexOf('\r') >= 0) {
            throw malformed("The sign-in message must separate its lines with LF alone; it contains a carriage return.");
        }
        Lines lines = new Lines(text.split("\n", -1));

        String header = lines.next("the line '<domain>" + HEADER_SUFFIX + "'");
        if (!header.endsWith(HEADER_SUFFIX)) {
            throw malformed("Line 1 of the sign-in message must be '<domain>" + HEADER_SUFFIX + "'; found "
                + quote(header) + ".");
        }
        String origin = header.substring(0, header.length() - HEADER_SUFFIX.length());
        String scheme = null;
        String domain = origin;
        int schemeEnd = origin.indexOf("://");
        if (schemeEnd >= 0) {
            scheme = origin.substring(0, schemeEnd);
            domain = origin.substring(schemeEnd + 3);
            if (!SCHEME.matcher(scheme).matches()) {
                throw malformed("The sign-in message's scheme " + quote(scheme) + " is not a URI scheme.");
            }
        }
        if (!AUTHORITY.matcher(domain).matches()) {
            throw malformed("The sign-in message's domain " + quote(domain)
                + " is not an RFC 3986 authority (a host and an optional port).");
        }

        String address = lines.next("the address");
        if (!ADDRESS.matcher(address).matches()) {
            throw malformed("Line 2 of the sign-in message must be the address, 0x and 40 hex digits; found "
                + quote(address) + ".");
        }
        String checksummed = Keys.toChecksumAddress(address);
        if (!checksummed.equals(address)) {
            throw malformed("The address " + address + " is not in EIP-55 checksum case; write it as " + checksummed + ".");
        }

        lines.expectEmpty("after the address");
        String statement = null;
        String afterBlank = lines.next("the URI field");
        if (afterBlank.isEmpty()) {
            // Either no statement (the blank line before URI) or an empty statement followed by that blank line.
            if (lines.peekIsEmpty()) {
                lines.next("the URI field");
                statement = "";
            }
        } else {
            if (!STATEMENT.matcher(afterBlank).matches()) {
                throw malformed("The statement may hold only letters, digits, spaces and the punctuation of URIs; "
                    + "found " + quote(afterBlank) + ".");
            }
            statement = afterBlank;
            lines.expectEmpty("after the statement");
        }

        String uri = lines.field("URI");
        requireUri(uri, "URI");
        String version = lines.field("Version");
        if (!VERSION.matcher(version).matches()) {
            throw malformed("Version must be a number; found " + quote(version) + ".");
        }
        String chainId = lines.field("Chain ID");
        if (!CHAIN_ID.matcher(chainId).matches()) {
            throw malformed("Chain ID must be a decimal number of 1 to 18 digits; found " + quote(chainId) + ".");
        }
        String nonce = lines.field("Nonce");
        if (!NONCE.matcher(nonce).matches()) {
            throw malformed("Nonce must be at least 8 letters and digits; found " + quote(nonce) + ".");
        }
        Instant issuedAt = dateTime("Issued At", lines.field("Issued At"));

        String expiration = lines.optionalField("Expiration Time");
        String notBefore = lines.optionalField("Not Before");
        String requestId = lines.optionalField("Request ID");
        if (requestId != null && !REQUEST_ID.matcher(requestId).matches()) {
            throw malformed("Request ID may hold only the characters of a URI path segment; found " + quote(requestId) + ".");
        }
        List<String> resources = null;
        if (lines.hasNext() && lines.peek().equals("Resources:")) {
            lines.next("Resources:");
            resources = new ArrayList<>();
            while (lines.hasNext()) {
                String line = lines.next("a resource");
                if (!line.startsWith("- ")) {
                    throw malformed("Line " + lines.number() + " of the sign-in message must be a resource, '- ' and "
                        + "a URI; found " + quote(line) + ".");
                }
                String resource = line.substring(2);
                requireUri(resource, "Resource on line " + lines.number());
                resources.add(resource);
            }
        }
        if (lines.hasNext()) {
            String line = lines.next("nothing");
            throw malformed("Line " + lines.number() + " of the sign-in message is not a field that may come there "
                + "(after Issued At come Expiration Time, Not Before, Request ID and Resources, each at most once "
                + "and in that order); found " + quote(line) + ".");
        }
        return new SiweMessage(scheme, domain, address, statement, uri, version, Long.parseLong(chainId), nonce,
            issuedAt, expiration == null ? null : dateTime("Expiration Time", expiration),
            notBefore == null ? null : dateTime("Not Before", notBefore), requestId, resources);
    }

    /** The message as EIP-4361 text; times are written as RFC 3339 instants in UTC. */
    public String toText() {
        StringBuilder text = new StringBuilder(512);
        if (scheme != null) {
            text.append(scheme).append("://");
        }
        text.append(domain).append(HEADER_SUFFIX).append('\n')
            .append(address).append('\n')
            .append('\n');
        if (statement != null) {
            text.append(statement).append('\n');
        }
        text.append('\n')
            .append("URI: ").append(uri).append('\n')
            .append("Version: ").append(version).append('\n')
            .append("Chain ID: ").append(chainId).append('\n')
            .append("Nonce: ").append(nonce).append('\n')
            .append("Issued At: ").append(DateTimeFormatter.ISO_INSTANT.format(issuedAt));
        if (expirationTime != null) {
            text.append("\nExpiration Time: ").append(DateTimeFormatter.ISO_INSTANT.format(expirationTime));
        }
        if (notBefore != null) {
            text.append("\nNot Before: ").append(DateTimeFormatter.ISO_INSTANT.format(notBefore));
        }
        if (requestId != null) {
            text.append("\nRequest ID: ").append(requestId);
        }
        if (resources != null) {
            text.append("\nResources:");
            for (String resource : resources) {
                text.append("\n- ").append(resource);
            }
        }
        return text.toString();
    }

    private static void requireUri(String value, String field) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c <= ' ' || c > '~') {
                throw malformed(field + " must be an absolute RFC 3986 URI; " + quote(value)
                    + " holds a character URIs do not.");
            }
        }
        try {
            if (new URI(value).isAbsolute()) {
                return;
            }
        } catch (URISyntaxException e) {
            // refused below, with the same message as a relative URI
        }
        throw malformed(field + " must be an absolute RFC 3986 URI; found " + quote(value) + ".");
    }

    private static Instant dateTime(String field, String value) {
        if (DATE_TIME.matcher(value).matches()) {
            try {
                return OffsetDateTime.parse(value, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
            } catch (DateTimeParseException e) {
                // a well-shaped but impossible date (month 13, 25 o'clock): refused below
            }
        }
        throw malformed(field + " must be an RFC 3339 date-time such as 2025-01-31T09:30:00Z; found " + quote(value) + ".");
    }

    private static String quote(String value) {
        return "'" + (value.length() > QUOTED_CHARS ? value.substring(0, QUOTED_CHARS) + "…" : value) + "'";
    }

    private static ApiError.Exception malformed(String message) {
        return new ApiError.Exception(ApiError.invalidParam("message", message));
    }

    /** The message's lines, read front to back; refusals name lines from 1. */
    private static final class Lines {
        private final String[] lines;
        private int next;

        Lines(String[] lines) {
            this.lines = lines;
        }

        boolean hasNext() {
            return next < lines.length;
        }

        String peek() {
            return lines[next];
        }

        boolean peekIsEmpty() {
            return hasNext() && lines[next].isEmpty();
        }

        /** The number of the line last read. */
        int number() {
            return next;
        }

        String next(String expected) {
            if (!hasNext()) {
                throw malformed("The sign-in message ends after line " + lines.length + "; " + expected
                    + " should follow.");
            }
            return lines[next++];
        }

        void expectEmpty(String where) {
            String line = next("an empty line");
            if (!line.isEmpty()) {
                throw malformed("Line " + next + " of the sign-in message must be empty (" + where + "); found "
                    + quote(line) + ".");
            }
        }

        String field(String name) {
            String line = next("the " + name + " field");
            String prefix = name + ": ";
            if (!line.startsWith(prefix)) {
                throw malformed("Line " + next + " of the sign-in message must be '" + prefix + "…'; found "
                    + quote(line) + ".");
            }
            return line.substring(prefix.length());
        }

        @Nullable
        String optionalField(String name) {
            String prefix = name + ": ";
            return hasNext() && lines[next].startsWith(prefix) ? lines[next++].substring(prefix.length()) : null;
        }
    }
}
