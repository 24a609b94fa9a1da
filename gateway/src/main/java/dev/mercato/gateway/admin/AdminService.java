package dev.mercato.gateway.admin;

import dev.mercato.gateway.auth.AccountRepository;
import dev.mercato.gateway.auth.AccountRow;
import dev.mercato.gateway.auth.Secrets;
import dev.mercato.gateway.billing.Billing;
import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.keys.KeyService;
import dev.mercato.ledger.AccountFlags;
import dev.mercato.ledger.Ledger;
import dev.mercato.gateway.node.NodeDirectory;
import dev.mercato.gateway.node.NodeIdentity;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.transaction.annotation.Transactional;
import jakarta.inject.Singleton;

import java.util.Map;
import java.util.regex.Pattern;

/** Creates accounts with a first API key (with any limits, ceilings do not apply), and provider nodes with their token; secrets are returned once. */
@Singleton
public class AdminService {

    /** Operator and node names: lower-case, digits, '-', '_' (and '.' for nodes), as the schema checks. */
    private static final Pattern OPERATOR_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
    private static final Pattern NODE_NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,62}");
    static final String DEFAULT_OPERATOR = "mercato";

    private final AccountRepository accounts;
    private final KeyService keys;
    private final NodeDirectory nodes;
    private final Ledger ledger;

    public AdminService(AccountRepository accounts, KeyService keys, NodeDirectory nodes, Ledger ledger) {
        this.ledger = ledger;
        this.accounts = accounts;
        this.keys = keys;
        this.nodes = nodes;
    }

    @Transactional
    public CreatedAccount createAccount(String name, Map<String, Object> keySettings) {
        if (name == null || name.isBlank() || name.length() > 200) {
            throw new ApiError.Exception(ApiError.invalidParam("name", "An account needs a name of 1 to 200 characters."));
        }
        AccountRow account = accounts.save(new AccountRow(null, name.trim(), null));
        KeyService.CreatedKey key = keys.create(account.id(), keySettings, KeyService.Caller.ADMIN);
        // Its money lives in the ledger; creating the ledger account is idempotent, so a retry is harmless.
        ledger.ensureAccount(Billing.userAccount(account.id()), AccountFlags.USER);
        return new CreatedAccount(account.id(), key.key().id(), key.secret());
    }

    @Transactional
    public CreatedNode createNode(String operator, String name) {
        String operatorName = operator == null || operator.isBlank() ? DEFAULT_OPERATOR : operator;
        if (!OPERATOR_NAME.matcher(operatorName).matches()) {
            throw new ApiError.Exception(ApiError.invalidParam("operator",
                "Operator names are 1 to 63 of a-z, 0-9, '-' and '_', starting with a letter or digit; got '" + operatorName + "'."));
        }
        if (name == null || !NODE_NAME.matcher(name).matches()) {
            throw new ApiError.Exception(ApiError.invalidParam("name",
                "Node names are 1 to 63 of a-z, 0-9, '-', '_' and '.', starting with a letter or digit; got '" + name + "'."));
        }
        if (nodes.findByName(operatorName, name).isPresent()) {
            throw new ApiError.Exception(ApiError.invalidParam("name",
                "Operator '" + operatorName + "' already has a node named '" + name + "'."));
        }
        String token = Secrets.newSecret(Secrets.NODE_TOKEN_PREFIX);
        nodes.ensureOperator(operatorName);
        nodes.insertNode(operatorName, name, Secrets.hash(token));
        NodeIdentity node = nodes.findByName(operatorName, name).orElseThrow();
        return new CreatedNode(node.displayName(), token);
    }

    /** The account and its first key; {@code apiKey} is shown this once and never stored. */
    @Serdeable
    public record CreatedAccount(long accountId, long keyId, String apiKey) {
    }

    /** The node and its token; {@code nodeToken} is shown this once and never stored. */
    @Serdeable
    public record CreatedNode(String nodeId, String nodeToken) {
    }
}
