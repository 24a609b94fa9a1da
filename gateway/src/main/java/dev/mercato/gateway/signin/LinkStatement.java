package dev.mercato.gateway.signin;

import io.micronaut.core.annotation.Nullable;

import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The statement of an EIP-4361 message that links its wallet to an account: {@code Link this wallet to Mercato account 42.} */
final class LinkStatement {

    private static final String PREFIX = "Link this wallet to Mercato account ";
    /** An account id is a positive bigserial; 1 to 18 digits always fit a long. */
    private static final Pattern LINK = Pattern.compile(Pattern.quote(PREFIX) + "([1-9][0-9]{0,17})\\.");

    private LinkStatement() {
    }

    static String forAccount(long accountId) {
        return PREFIX + accountId + ".";
    }

    /** The account the statement links to, or empty when it is not a link statement. */
    static OptionalLong accountOf(@Nullable String statement) {
        if (statement == null) {
            return OptionalLong.empty();
        }
        Matcher link = LINK.matcher(statement);
        return link.matches() ? OptionalLong.of(Long.parseLong(link.group(1))) : OptionalLong.empty();
    }
}
