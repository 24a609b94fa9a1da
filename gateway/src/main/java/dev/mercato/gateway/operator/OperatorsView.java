package dev.mercato.gateway.operator;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.mercato.gateway.node.NodeHealth;
import dev.mercato.protocol.Schedule;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

import java.time.Instant;
import java.util.List;

/**
 * An account's operators as their owner sees them. Live fields (connection, state, in flight,
 * health) are this gateway instance's view; usage and earnings come from the database and the
 * ledger, and so are the same from every instance. Every field is always present, null or empty
 * included, so a dashboard reads one shape.
 */
@Serdeable
@JsonInclude(JsonInclude.Include.ALWAYS)
public record OperatorsView(List<Operator> operators) {

    /** {@code earnedUsdc}: everything credited to the operator; {@code availableUsdc}: what it holds now. */
    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Earnings(String earnedUsdc, String availableUsdc) {
    }

    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Operator(String name, Earnings earnings, List<Node> nodes) {
    }

    /**
     * One node. {@code state} is {@code online}, {@code draining}, {@code resting} (by its report
     * or by its schedule) or {@code offline} (not connected to this gateway instance);
     * {@code nextChangeAt} is when its schedule next switches between online and rest.
     */
    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Node(String name, boolean connected, String state, int inFlight, @Nullable Integer maxConcurrency,
                       List<String> models, @Nullable Schedule schedule, @Nullable Instant nextChangeAt,
                       @Nullable NodeHealth.Snapshot health, Last24h last24h, @Nullable Instant lastSeenAt) {
    }

    /** Requests the node served in the last 24 hours and what consumers were billed for them. */
    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Last24h(long requests, String billedUsdc) {
    }
}
