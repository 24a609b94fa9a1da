package dev.mercato.gateway.node;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;

import java.util.List;
import java.util.Optional;

/** Operators, their nodes and the models nodes have offered, as stored. */
@JdbcRepository(dialect = Dialect.POSTGRES)
public interface NodeDirectory extends GenericRepository<NodeIdentity, Long> {

    @Query("""
        select n.id as node_id, n.name as node_name, o.id as operator_id, o.name as operator_name
        from node n join operator o on o.id = n.operator_id
        where n.token_hash = :tokenHash""")
    Optional<NodeIdentity> findByTokenHash(String tokenHash);

    @Query("insert into operator (name) values (:name) on conflict (name) do nothing")
    void ensureOperator(String name);

    @Query("""
        insert into node (operator_id, name, token_hash)
        select o.id, :nodeName, :tokenHash from operator o where o.name = :operatorName""")
    void insertNode(String operatorName, String nodeName, String tokenHash);

    @Query("""
        select n.id as node_id, n.name as node_name, o.id as operator_id, o.name as operator_name
        from node n join operator o on o.id = n.operator_id
        where o.name = :operatorName and n.name = :nodeName""")
    Optional<NodeIdentity> findByName(String operatorName, String nodeName);

    /** Creates the operator owned by the account; does nothing when the name is taken (by anyone). */
    @Query("insert into operator (name, account_id) values (:name, :accountId) on conflict (name) do nothing")
    void ensureOperatorOwnedBy(String name, long accountId);

    @Query("select id, name, account_id from operator where name = :name")
    Optional<OperatorRow> findOperator(String name);

    @Query("select id, name, account_id from operator where account_id = :accountId order by name")
    List<OperatorRow> operatorsOwnedBy(long accountId);

    @Query("select id, name, created_at, last_seen_at from node where operator_id = :operatorId order by name")
    List<NodeRow> nodesOf(long operatorId);

    @Query("update node set last_seen_at = now() where id = :nodeId")
    void touch(long nodeId);

    @Query("insert into model (id, protocol) values (:modelId, :protocol) on conflict (id) do nothing")
    void rememberModel(String modelId, String protocol);

    @Query("select id, protocol, first_seen_at from model order by id")
    List<KnownModel> knownModels();
}
