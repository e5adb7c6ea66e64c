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
 * lock is taken by one statement ({@link #INSERT_MESSAGE_LOCK_OUTAGE}), and the claims of the
 * outage are read and changed by the next ({@link #INSERT_OUTAGE_CLAIM}), which then sees every
 * claim committed by the transaction that held the lock before.
 */
final class PushSql {

  private PushSql() {}

  /**
   * Step 1 of an outage change. Inserts the message; when it is new, upserts the outage row
   * (taking its row lock until commit, which serializes the pushes of one outage); when it is a
   * repeat, counts it on the first message.
   *
   * <p>$1 message_id, $2 action, $3 client_dn, $4 document_sha256, $5 raw_xml, $6 outage_mrid,
   * $7 outage_type, $8 version, $9 participant. Returns one row: {@code new_message_id} (null for a repeat) and
   * {@code conflict} (null unless a repeat was counted). Both null: the first message committed
   * while this statement waited for it, after this statement's snapshot; then run {@link
   * #COUNT_REPEAT}, whose snapshot sees it.
   */
  static final String INSERT_MESSAGE_LOCK_OUTAGE = """
      WITH new_message AS (
        INSERT INTO inbound_message (participant, message_id, action, client_dn, document_sha256, raw_xml)
        VALUES ($9, $1, $2, $3, $4, $5)
        ON CONFLICT (participant, message_id) DO NOTHING
        RETURNING id
      ), locked_outage AS (
        -- ON CONFLICT DO UPDATE waits for and updates the newest committed row, whatever the snapshot
        INSERT INTO outage (participant, outage_mrid, outage_type, newest_version)
        SELECT $9::text, $6::text, $7::text, $8::bigint FROM new_message
        ON CONFLICT (participant, outage_mrid) DO UPDATE
          SET newest_version = GREATEST(outage.newest_version, EXCLUDED.newest_version),
              outage_type = CASE WHEN EXCLUDED.newest_version >= outage.newest_version
                                 THEN EXCLUDED.outage_type ELSE outage.outage_type END,
              updated_at = now()
        RETURNING outage_mrid
      ), repeat AS (
        UPDATE inbound_message
           SET duplicate_count = duplicate_count + 1,
               conflict_count = conflict_count
                 + CASE WHEN document_sha256 IS DISTINCT FROM $4 THEN 1 ELSE 0 END
         WHERE participant = $9 AND message_id = $1 AND NOT EXISTS (SELECT 1 FROM new_message)
        RETURNING document_sha256 IS DISTINCT FROM $4 AS conflict
      )
      SELECT (SELECT id FROM new_message) AS new_message_id,
             (SELECT count(*) FROM locked_outage) AS locked_outages,
             (SELECT conflict FROM repeat) AS conflict
      """;

  /**
   * Step 2 of an outage change, under the outage row lock. The new claim is SUPERSEDED when a
   * claim of the same outage with this version or a newer one exists (in any state); otherwise
   * it is PENDING and every older PENDING claim of the outage becomes SUPERSEDED.
   *
   * <p>$1 inbound_message_id, $2 outage_mrid, $3 outage_type, $4 version, $5 status,
   * $6 previous_status, $7 last_modified, $8 token, $9 service, $10 expires_at, $11 participant
   * (the outage is the participant's: another participant's claims of the same mRID are its own). Returns {@code
   * claim_id}, {@code state}, {@code superseded} (how many older claims it superseded).
   */
  static final String INSERT_OUTAGE_CLAIM = """
      WITH known AS (
        SELECT EXISTS (SELECT 1 FROM claim WHERE outage_mrid = $2::text AND participant = $11::text
                                              AND version >= $4::bigint) AS newer_or_same
      ), new_claim AS (
        INSERT INTO claim (participant, inbound_message_id, kind, outage_mrid, outage_type, version, status,
                           previous_status, last_modified, token, service, expires_at, state)
        SELECT $11::text, $1::bigint, 'OUTAGE', $2::text, $3::text, $4::bigint, $5::text,
               $6::text, $7::timestamptz, $8::text, $9::text, $10::timestamptz,
               CASE WHEN known.newer_or_same THEN 'SUPERSEDED' ELSE 'PENDING' END
          FROM known
        RETURNING id, state
      ), superseded AS (
        UPDATE claim
           SET state = 'SUPERSEDED', updated_at = now()
         WHERE outage_mrid = $2::text AND participant = $11::text AND state = 'PENDING' AND version < $4::bigint
        RETURNING id
      )
      SELECT new_claim.id AS claim_id, new_claim.state, (SELECT count(*) FROM superseded) AS superseded
        FROM new_claim
      """;

  /**
   * A market event in one statement (so it needs no explicit transaction): the message; when it
   * is new, the market_event row (READY, or AWAITING_PAYLOAD with a claim check) and the claim
   * for its claim check; when it is a repeat, the count on the first message.
   *
   * <p>$1 message_id, $2 action, $3 client_dn, $4 document_sha256, $5 raw_xml, $6 event_id,
   * $7 event_type, $8 market, $9 trade_date, $10 event_time, $11 description, $12 has claim
   * check, $13 token, $14 service, $15 expires_at, $16 participant. Returns {@code new_message_id}, {@code
   * market_event_id}, {@code claim_id} and {@code conflict}, read as for {@link
   * #INSERT_MESSAGE_LOCK_OUTAGE}.
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
