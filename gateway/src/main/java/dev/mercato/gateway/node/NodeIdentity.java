package dev.mercato.gateway.node;

import io.micronaut.core.annotation.Introspected;

/** Who a node token belongs to. */
@Introspected
public record NodeIdentity(long nodeId, String nodeName, long operatorId, String operatorName) {

    /** How the node is named to consumers ({@code x-mercato-node}) and in logs: operator/node. */
    public String displayName() {
        return operatorName + "/" + nodeName;
    }
}
