package org.omspush.store;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.Objects;

/**
 * The ingest path: stores one push, its message and its rows, in one transaction.
 *
 * <p>Every method returns at once and never blocks; the returned Future completes on the
 * pool's context. A Future that succeeds means the rows are committed, so the push may be
 * acknowledged. A Future that fails carries {@link StoreUnavailableException} (the database
 * could not be reached or did not commit: answer 503, the ISO retries) or {@link
 * StoreRejectedException} (the data itself is refused, nothing was written). Both are answered
 * 503 {@code storage_unavailable}: a push that passed the receiver's own checks and that the
 * database still refuses is our defect, and the ISO's retries keep it until it is fixed.
 *
 * <p>Round trips per push: one statement for an outage change (a function call, V23) and for a
 * market event; a repeat of a market event takes one more in the rare case that its first copy
 * committed while the repeat was waiting for it. Pushes that arrive while earlier ones are being
 * written share one transaction ({@link GroupCommit}); each is answered after that commit, and
 * one refused push fails alone. The SQL is in {@link PushSql}.
 */
public final class PushStore {

  /** The retrieve service of an outage claim when the push names none (or has no claim check). */
  public static final String DEFAULT_OUTAGE_SERVICE = "RetrieveOutageByClaimCheck_OMSv1_DocAttach_AP";

  /** The retrieve service of a market-event claim check that names none. */
  public static final String DEFAULT_MARKET_EVENT_SERVICE = "RetrieveMarketEventByClaimCheck_OMSv1_DocAttach_AP";

  private final Pool pool;
  private final GroupCommit commits;

  public PushStore(Pool pool) {
    this(pool, new GroupCommit(pool));
  }

  PushStore(Pool pool, GroupCommit commits) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.commits = commits;
  }

  /** Transactions written so far by group commit, and the most pushes one held. */
  long batches() {
    return commits.batches();
  }

  int largestBatch() {
    return commits.largestBatch();
  }

  private static long rawBytes(InboundMessage m) {
    return m.rawXml() == null ? 0 : m.rawXml().length;
  }

  /**
   * Stores an outage status change and its claim: PENDING when it is the newest version known
   * for the outage (older pending claims become SUPERSEDED), SUPERSEDED when a claim with the
   * same or a newer version exists. A claim is written even without a claim check (token null:
   * the worker retrieves by mRID).
   */
  public Future<StoreOutcome> storeOutageChange(InboundMessage m, OutageChange c) {
    Objects.requireNonNull(m, "message");
    Objects.requireNonNull(c, "outage change");
    ClaimCheck check = c.claimCheck();
    Tuple params = Tuple.tuple()
        .addValue(m.participant())
        .addValue(m.messageId())
        .addValue(m.action())
        .addValue(m.clientDn())
        .addValue(m.documentSha256())
        .addValue(m.rawXml() == null ? null : Buffer.buffer(m.rawXml()))
        .addValue(c.outageMRID())
        .addValue(c.outageType())
        .addValue(c.version())
        .addValue(c.status())
        .addValue(c.previousStatus())
        .addValue(c.lastModified())
        .addValue(check == null ? null : check.token())
        .addValue(check == null || check.service() == null ? DEFAULT_OUTAGE_SERVICE : check.service())
        .addValue(check == null ? null : check.expires());
    // One statement, one function call: atomic on its own (alone, no BEGIN/COMMIT round trips)
    return commits.submit(new GroupCommit.Write("storing outage change", PushSql.STORE_OUTAGE_CHANGE, params,
        "o " + m.participant() + " " + c.outageMRID(), rawBytes(m), (row, client) -> Future.succeededFuture(
            row.getLong("new_message_row") != null ? StoreOutcome.STORED
                : outcome(Boolean.TRUE.equals(row.getBoolean("repeat_conflict"))))));
  }

  /**
   * Stores a market event: READY when it carries no claim check, otherwise AWAITING_PAYLOAD
   * together with a claim (kind MARKET_EVENT) for its claim check.
   */
  public Future<StoreOutcome> storeMarketEvent(InboundMessage m, MarketEvent e) {
    Objects.requireNonNull(m, "message");
    Objects.requireNonNull(e, "market event");
    ClaimCheck check = e.claimCheck();
    Tuple params = messageParams(m)
        .addValue(e.eventId())
        .addValue(e.eventType())
        .addValue(e.market())
        .addValue(e.tradeDate())
        .addValue(e.eventTime())
        .addValue(e.description())
        .addValue(check != null)
        .addValue(check == null ? null : check.token())
        .addValue(check == null ? null : check.service() == null ? DEFAULT_MARKET_EVENT_SERVICE : check.service())
        .addValue(check == null ? null : check.expires())
        .addValue(m.participant());
    // One statement: atomic on its own (alone, no BEGIN/COMMIT round trips)
    return commits.submit(new GroupCommit.Write("storing market event", PushSql.INSERT_MARKET_EVENT, params,
        "m " + m.participant() + " " + m.messageId(), rawBytes(m), (row, client) ->
            row.getLong("new_message_id") != null ? Future.succeededFuture(StoreOutcome.STORED)
                : repeatOutcome(client, m, row.getBoolean("conflict"))));
  }

  /** Succeeds when the database answers a trivial query; for the readiness probe. */
  public Future<Void> ping() {
    return pool.query(PushSql.PING).execute()
        .<Void>mapEmpty()
        .recover(failure -> Future.failedFuture(StoreFailures.translate("ping", failure)));
  }

  /** A repeat was counted by the first statement ({@code conflict} non-null), or is counted now. */
  private static Future<StoreOutcome> repeatOutcome(SqlClient conn, InboundMessage m, Boolean conflict) {
    if (conflict != null) {
      return Future.succeededFuture(outcome(conflict));
    }
    // The first copy committed after the statement's snapshot was taken: count it now.
    return conn.preparedQuery(PushSql.COUNT_REPEAT)
        .execute(Tuple.of(m.messageId(), m.documentSha256(), m.participant()))
        .map(rows -> outcome(single(rows).getBoolean("conflict")));
  }

  private static StoreOutcome outcome(boolean conflict) {
    return conflict ? StoreOutcome.DUPLICATE_CONFLICT : StoreOutcome.DUPLICATE;
  }

  private static Tuple messageParams(InboundMessage m) {
    return Tuple.tuple()
        .addValue(m.messageId())
        .addValue(m.action())
        .addValue(m.clientDn())
        .addValue(m.documentSha256())
        .addValue(m.rawXml() == null ? null : Buffer.buffer(m.rawXml()));
  }

  private static Row single(RowSet<Row> rows) {
    if (rows.size() != 1) {
      throw new IllegalStateException("expected one row, got " + rows.size());
    }
    return rows.iterator().next();
  }
}
