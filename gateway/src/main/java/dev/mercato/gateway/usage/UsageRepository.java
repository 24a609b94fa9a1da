package dev.mercato.gateway.usage;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.CrudRepository;

import java.time.Instant;
import java.util.List;

/** Usage records of an account in a time range, newest first, paged by an id cursor (ids grow with time). */
@JdbcRepository(dialect = Dialect.POSTGRES)
public interface UsageRepository extends CrudRepository<UsageRecord, Long> {

    @Query("""
        select * from usage_record
        where account_id = :accountId and created_at >= :from and created_at < :to and id < :beforeId
        order by id desc limit :limit""")
    List<UsageRecord> page(long accountId, Instant from, Instant to, long beforeId, int limit);

    /** Requests the operator's nodes served since the time, and what they were billed, per node. */
    @Query("""
        select node, count(*) as requests, coalesce(sum(cost_nano), 0) as billed_nano from usage_record
        where operator_id = :operatorId and created_at >= :since group by node""")
    List<NodeUsage> usageByNodeSince(long operatorId, Instant since);
}
