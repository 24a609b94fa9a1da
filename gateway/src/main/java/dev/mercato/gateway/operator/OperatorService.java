package dev.mercato.gateway.operator;

import dev.mercato.gateway.auth.Secrets;
import dev.mercato.gateway.billing.Billing;
import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.node.ConnectedNode;
import dev.mercato.gateway.node.NodeDirectory;
import dev.mercato.gateway.node.NodeHealth;
import dev.mercato.gateway.node.NodeHealthRegistry;
import dev.mercato.gateway.node.NodeIdentity;
import dev.mercato.gateway.node.NodeRegistry;
import dev.mercato.gateway.node.NodeRow;
import dev.mercato.gateway.node.OperatorRow;
import dev.mercato.gateway.usage.NodeUsage;
import dev.mercato.gateway.usage.UsageRepository;
import dev.mercato.ledger.AccountBalance;
import dev.mercato.ledger.Ledger;
import dev.mercato.ledger.Usdc;
import dev.mercato.protocol.Schedule;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.transaction.annotation.Transactional;
import jakarta.inject.Singleton;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Provider operators and their nodes: registering a node (its token is returned once and only
 * its hash kept), and what an operator sees of its nodes. An operator registered from a wallet
 * session belongs to that account; one an admin created without an owner is managed by the
 * admin API only.
 */
@Singleton
public class OperatorService {

    /** Operator and node names: lower-case, digits, '-', '_' (and '.' for nodes), as the schema checks. */
    private static final Pattern OPERATOR_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
    private static final Pattern NODE_NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,62}");
    /** The operator of a node an admin registers without naming one. */
    public static final String DEFAULT_OPERATOR = "mercato";
    /** The usage each node's row sums. */
    static final Duration USAGE_PERIOD = Duration.ofHours(24);

    private final NodeDirectory directory;
    private final NodeRegistry registry;
    private final NodeHealthRegistry health;
    private final UsageRepository usage;
    private final Ledger ledger;
    private final Clock clock;

    public OperatorService(NodeDirectory directory, NodeRegistry registry, NodeHealthRegistry health,
                           UsageRepository usage, Ledger ledger, Clock clock) {
        this.directory = directory;
        this.registry = registry;
        this.health = health;
        this.usage = usage;
        this.ledger = ledger;
        this.clock = clock;
    }

    /**
     * Registers a node of the operator. With an owner, the operator is created for that account
     * if the name is free, and refused if another account (or only the admin) holds it; without
     * one (the admin API), any operator may get nodes.
     */
    @Transactional
    public CreatedNode registerNode(@Nullable Long ownerAccountId, @Nullable String operator, @Nullable String name) {
        String operatorName = operator == null || operator.isBlank()
            ? (ownerAccountId == null ? DEFAULT_OPERATOR : null) : operator;
        if (operatorName == null || !OPERATOR_NAME.matcher(operatorName).matches()) {
            throw new ApiError.Exception(ApiError.invalidParam("operator", "Operator names are 1 to 63 of a-z, 0-9, '-' "
                + "and '_', starting with a letter or digit; got '" + operatorName + "'."));
        }
        if (name == null || !NODE_NAME.matcher(name).matches()) {
            throw new ApiError.Exception(ApiError.invalidParam("name", "Node names are 1 to 63 of a-z, 0-9, '-', '_' "
                + "and '.', starting with a letter or digit; got '" + name + "'."));
        }
        if (ownerAccountId == null) {
            directory.ensureOperator(operatorName);
        } else {
            directory.ensureOperatorOwnedBy(operatorName, ownerAccountId);
            OperatorRow row = directory.findOperator(operatorName).orElseThrow();
            if (!ownerAccountId.equals(row.accountId())) {
                throw new ApiError.Exception(ApiError.invalidParam("operator", "The operator name '" + operatorName
                    + "' is taken by another account; choose another."));
            }
        }
        if (directory.findByName(operatorName, name).isPresent()) {
            throw new ApiError.Exception(ApiError.invalidParam("name",
                "Operator '" + operatorName + "' already has a node named '" + name + "'."));
        }
        String token = Secrets.newSecret(Secrets.NODE_TOKEN_PREFIX);
        directory.insertNode(operatorName, name, Secrets.hash(token));
        NodeIdentity node = directory.findByName(operatorName, name).orElseThrow();
        return new CreatedNode(node.displayName(), token);
    }

    /** The account's operators with each node as this gateway instance sees it now. */
    public OperatorsView view(long accountId) {
        Instant now = clock.instant();
        Map<String, ConnectedNode> connected = registry.nodes().stream()
            .collect(Collectors.toMap(ConnectedNode::displayName, Function.identity(), (a, b) -> a));
        List<OperatorsView.Operator> operators = new ArrayList<>();
        for (OperatorRow operator : directory.operatorsOwnedBy(accountId)) {
            Map<String, NodeUsage> usageByNode = usage.usageByNodeSince(operator.id(), now.minus(USAGE_PERIOD)).stream()
                .collect(Collectors.toMap(NodeUsage::node, Function.identity()));
            List<OperatorsView.Node> nodes = new ArrayList<>();
            for (NodeRow row : directory.nodesOf(operator.id())) {
                String displayName = operator.name() + "/" + row.name();
                nodes.add(nodeView(displayName, row, connected.get(displayName), health.find(displayName),
                    usageByNode.get(displayName), now));
            }
            operators.add(new OperatorsView.Operator(operator.name(), earnings(operator.id()), nodes));
        }
        return new OperatorsView(operators);
    }

    private static OperatorsView.Node nodeView(String displayName, NodeRow row, @Nullable ConnectedNode live,
                                               @Nullable NodeHealth nodeHealth, @Nullable NodeUsage served, Instant now) {
        OperatorsView.Last24h last24h = served == null ? new OperatorsView.Last24h(0, Usdc.format(0))
            : new OperatorsView.Last24h(served.requests(), Usdc.format(served.billedNano()));
        NodeHealth.Snapshot snapshot = nodeHealth == null ? null : nodeHealth.snapshot();
        if (live == null) {
            return new OperatorsView.Node(displayName, false, "offline", 0, null, List.of(), null, null, snapshot,
                last24h, row.lastSeenAt());
        }
        Schedule schedule = live.schedule();
        Schedule.Phase phase = schedule.phaseAt(now);
        String state = live.acceptsWorkAt(now) ? "online" : phase.online() ? live.state().wireName() : "resting";
        return new OperatorsView.Node(displayName, true, state, live.inFlight(), live.maxConcurrency(),
            live.models().keySet().stream().sorted().toList(), schedule, phase.nextChangeAt(), snapshot, last24h,
            row.lastSeenAt());
    }

    /** What the operator has earned in all and can still withdraw; zero before it first served anything. */
    private OperatorsView.Earnings earnings(long operatorId) {
        AccountBalance balance;
        try {
            balance = ledger.balance(Billing.providerAccount(operatorId));
        } catch (IllegalArgumentException noAccountYet) {
            return new OperatorsView.Earnings(Usdc.format(0), Usdc.format(0));
        }
        return new OperatorsView.Earnings(Usdc.format(balance.creditsPosted()), Usdc.format(balance.availableNano()));
    }

    /** The node and its token; {@code nodeToken} is shown this once and never stored. */
    @Serdeable
    public record CreatedNode(String nodeId, String nodeToken) {
    }
}
