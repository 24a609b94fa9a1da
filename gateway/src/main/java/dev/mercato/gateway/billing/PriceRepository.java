package dev.mercato.gateway.billing;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;

import java.util.List;

/** Model prices, append-only: the newest row per model is the price in force. */
@JdbcRepository(dialect = Dialect.POSTGRES)
public interface PriceRepository extends GenericRepository<ModelPrice, Long> {

    @Query("""
        select distinct on (model_id) model_id, input_per_million_micros, output_per_million_micros,
               cache_write_per_million_micros, cache_read_per_million_micros, provider_share_bps,
               max_output_tokens, effective_from
        from model_price order by model_id, effective_from desc, id desc""")
    List<ModelPrice> current();

    @Query("""
        select model_id, input_per_million_micros, output_per_million_micros, cache_write_per_million_micros,
               cache_read_per_million_micros, provider_share_bps, max_output_tokens, effective_from
        from model_price where model_id = :modelId order by effective_from desc, id desc""")
    List<ModelPrice> history(String modelId);

    @Query("""
        insert into model_price (model_id, input_per_million_micros, output_per_million_micros,
            cache_write_per_million_micros, cache_read_per_million_micros, provider_share_bps,
            max_output_tokens, changed_by)
        values (:modelId, :input, :output, :cacheWrite, :cacheRead, :shareBps, :maxOutputTokens, :changedBy)""")
    void insert(String modelId, long input, long output, long cacheWrite, long cacheRead, int shareBps,
                int maxOutputTokens, String changedBy);
}
