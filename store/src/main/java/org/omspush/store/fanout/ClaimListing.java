package org.omspush.store.fanout;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** The claim table, read-only, for operators (the admin API's claims list). */
public final class ClaimListing {
  private final Pool pool;

  public ClaimListing(Pool pool) {
    this.pool = Objects.requireNonNull(pool, "pool");
  }

  /** Newest first. @param state null = every state @param participant null = every participant's */
  public Future<List<ClaimRecord>> list(String state, String participant, int limit) {
    return pool.preparedQuery(FanoutSql.LIST_CLAIMS).execute(Tuple.of(state, limit, participant)).map(rows -> {
      List<ClaimRecord> out = new ArrayList<>();
      rows.forEach(r -> out.add(Rows.claim(r)));
      return out;
    });
  }
}
