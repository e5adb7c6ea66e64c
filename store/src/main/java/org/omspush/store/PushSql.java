package org.omspush.store;

/**
 * Every SQL statement of the ingest path, in one place.
 *
 * <p>Parameters carry explicit casts where PostgreSQL cannot infer their type (in SELECT lists).
 * They cast to {@code text}, never to {@code varchar(n)}: an explicit cast to {@code
 * varchar(n)} silently truncates, while the assignment to a {@code varchar(40)} column rejects
 * an over-long mRID, which is what we want.
 *
 * <p>Concurrency (READ COMMITTED): each statement sees what was committed before it started,
 * and all parts of one statement (its CTEs included) share that snapshot. So the outage row
 * lock is taken by one statement, and the claims of the outage are read and changed by the
 * next, which then sees every claim committed by the transaction that held the lock before;
 * both run inside one function call ({@link #STORE_OUTAGE_CHANGE}), whose statements each take
 * their own snapshot.
 */
final class PushSql {

  private PushSql() {}

  /**
   * An outage change in one statement: {@code store_outage_change} (V23) runs, in one call that
   * commits on its own, step 1 (the message; when it is new, the outage row, locked until commit,
   * which serializes the pushes of one outage; when it is a repeat, the count on the first
   * message) and step 2 (the claim: SUPERSEDED when a claim of the same outage with this version
   * or a newer one exists, in any state; otherwise PENDING, and every older PENDING claim of the
   * outage becomes SUPERSEDED). Step 2 is a statement of its own inside the function, so it takes
   * a new snapshot after the lock and sees every claim committed by the push that held it before.
   *
   * <p>$1 participant, $2 message_id, $3 action, $4 client_dn, $5 document_sha256, $6 raw_xml,
   * $7 outage_mrid, $8 outage_type, $9 version, $10 status, $11 previous_status, $12
   * last_modified, $13 token, $14 service, $15 expires_at. Returns one row: {@code
   * new_message_row} (null for a repeat), {@code repeat_conflict} (a repeat whose document
   * differs from the first), {@code new_claim_id}, {@code new_claim_state} and {@code
   * superseded_claims}.
   */
  static final String STORE_OUTAGE_CHANGE = """
      SELECT new_message_row, repeat_conflict, new_claim_id, new_claim_state, superseded_claims
        FROM store_outage_change($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
      """;

  /**
   * A market event in one statement (so it needs no explicit transaction): the message; when it
   * is new, the market_event row (READY, or AWAITING_PAYLOAD with a claim check) and the claim
   * for its claim check; when it is a repeat, the count on the first message.
   *
   * <p>$1 message_id, $2 action, $3 client_dn, $4 document_sha256, $5 raw_xml, $6 event_id,
   * $7 event_type, $8 market, $9 trade_date, $10 event_time, $11 description, $12 has claim
   * check, $13 token, $14 service, $15 expires_at, $16 participant. Returns {@code new_message_id}
   * (null for a repeat), {@code market_event_id}, {@code claim_id} and {@code conflict} (null
   * unless a repeat was counted). Both null: the first message committed while this statement
   * waited for it, after this statement's snapshot; then run {@link #COUNT_REPEAT}, whose
   * snapshot sees it.
   */
  static final String INSERT_MARKET_EVENT = """
      WITH new_message AS (
        INSERT INTO inbound_message (participant, message_id, action, client_dn, document_sha256, raw_xml)
        VALUES ($16, $1, $2, $3, $4, $5)
        ON CONFLICT (participant, message_id) DO NOTHING
        RETURNING id
      ), new_event AS (
        INSERT INTO market_event (participant, inbound_message_id, event_id, event_type, market, trade_date,
                                  event_time, description, fanout_state)
        SELECT $16::text, id, $6::text, $7::text, $8::text, $9::date, $10::timestamptz, $11::text,
               CASE WHEN $12::boolean THEN 'AWAITING_PAYLOAD' ELSE 'READY' END
          FROM new_message
        RETURNING id, inbound_message_id
      ), new_claim AS (
        INSERT INTO claim (participant, inbound_message_id, kind, market_event_id, token, service, expires_at)
        SELECT $16::text, inbound_message_id, 'MARKET_EVENT', id, $13::text, $14::text, $15::timestamptz
          FROM new_event
         WHERE $12::boolean
        RETURNING id
      ), published AS (
        -- Without a claim check the push is the whole event: it goes to the outbox now.
        INSERT INTO event (id, participant, type, subject, time, market, event_type, data, inbound_message_id)
        SELECT gen_random_uuid(), $16::text, 'market.event', $8::text || '/' || $9::date::text, $10::timestamptz,
               $8::text, $7::text,
               jsonb_strip_nulls(jsonb_build_object(
                 'eventId', $6::text, 'eventType', $7::text, 'market', $8::text,
                 'tradeDate', $9::date::text,
                 'eventTime', to_char($10::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                 'description', $11::text, 'messageId', $1::text)),
               inbound_message_id
          FROM new_event
         WHERE NOT $12::boolean
        RETURNING id
      ), repeat AS (
        UPDATE inbound_message
           SET duplicate_count = duplicate_count + 1,
               conflict_count = conflict_count
                 + CASE WHEN document_sha256 IS DISTINCT FROM $4 THEN 1 ELSE 0 END
         WHERE participant = $16 AND message_id = $1 AND NOT EXISTS (SELECT 1 FROM new_message)
        RETURNING document_sha256 IS DISTINCT FROM $4 AS conflict
      )
      SELECT (SELECT id FROM new_message) AS new_message_id,
             (SELECT id FROM new_event) AS market_event_id,
             (SELECT id FROM new_claim) AS claim_id,
             (SELECT id FROM published) AS event_id,
             (SELECT conflict FROM repeat) AS conflict
      """;

  /**
   * Counts a repeat of a message (the first is kept). $1 message_id, $2 document_sha256, $3 participant.
   * Returns {@code conflict}: whether this document differs from the first.
   */
  static final String COUNT_REPEAT = """
      UPDATE inbound_message
         SET duplicate_count = duplicate_count + 1,
             conflict_count = conflict_count
               + CASE WHEN document_sha256 IS DISTINCT FROM $2 THEN 1 ELSE 0 END
       WHERE participant = $3 AND message_id = $1
      RETURNING document_sha256 IS DISTINCT FROM $2 AS conflict
      """;

  /** Readiness: the database answers. */
  static final String PING = "SELECT 1";
}
