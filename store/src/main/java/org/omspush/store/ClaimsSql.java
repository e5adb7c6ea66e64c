package org.omspush.store;

/**
 * The operators' statements on claims and AUP gates (the admin API): each action is one tested
 * statement, never hand-written SQL.
 */
final class ClaimsSql {
  private ClaimsSql() {}

  /** What an operator sees of a claim (the claim-check token is left out). */
  private static final String COLUMNS = """
      c.id, c.participant, c.kind, c.outage_mrid, c.outage_type, c.version, c.status, c.previous_status, c.last_modified,
      c.market_event_id, (SELECT m.event_id FROM market_event m WHERE m.id = c.market_event_id) AS event_id,
      c.service, c.expires_at, c.lookup, c.payload_id, c.state, c.dead_reason, c.attempts, c.transient_failures,
      c.lost_fetches,
      c.last_error, c.next_attempt_at, c.fetch_started_at, c.created_at, c.updated_at, c.redeemed_at, c.retried_at
      """;

  /**
   * Newest first, by id: a keyset page that stays stable while claims are added. $1 state or
   * null, $2 service or null, $3 the last id of the previous page or null, $4 limit, $5 participant or null.
   */
  static final String LIST = "SELECT " + COLUMNS + """
        FROM claim c
       WHERE ($1::text IS NULL OR c.state = $1) AND ($2::text IS NULL OR c.service = $2)
         AND ($3::bigint IS NULL OR c.id < $3) AND ($5::text IS NULL OR c.participant = $5)
       ORDER BY c.id DESC
       LIMIT $4
      """;

  /**
   * A DEAD or UNSERVICEABLE claim back to PENDING: its counts reset, its give-up time counted
   * from now, and its place in the queue kept (next_attempt_at back to its creation). Always one
   * row when the claim exists: its state before, and whether it was retried. $1 id.
   */
  static final String RETRY_ONE = """
      WITH target AS (
        SELECT id, state FROM claim WHERE id = $1 FOR UPDATE
      ), retried AS (
        UPDATE claim c
           SET state = 'PENDING', attempts = 0, transient_failures = 0, lost_fetches = 0, dead_reason = NULL,
               next_attempt_at = c.created_at, retried_at = now(), fetch_started_at = NULL,
               lease_owner = NULL, lease_until = NULL, updated_at = now()
          FROM target t
         WHERE c.id = t.id AND t.state IN ('DEAD', 'UNSERVICEABLE')
        RETURNING c.id
      )
      SELECT t.state AS previous_state, EXISTS (SELECT 1 FROM retried) AS retried FROM target t
      """;

  /**
   * Up to $3 claims in state $1 (DEAD or UNSERVICEABLE), of service $2 or of any, oldest first,
   * back to PENDING as {@link #RETRY_ONE} does. Returns the ids.
   */
  static final String RETRY_MANY = """
      WITH target AS (
        SELECT id FROM claim
         WHERE state = $1 AND state IN ('DEAD', 'UNSERVICEABLE') AND ($2::text IS NULL OR service = $2)
         ORDER BY id
         LIMIT $3
         FOR UPDATE SKIP LOCKED
      )
      UPDATE claim c
         SET state = 'PENDING', attempts = 0, transient_failures = 0, lost_fetches = 0, dead_reason = NULL,
             next_attempt_at = c.created_at, retried_at = now(), fetch_started_at = NULL,
             lease_owner = NULL, lease_until = NULL, updated_at = now()
        FROM target t
       WHERE c.id = t.id
      RETURNING c.id
      """;

  /** Whether more claims of state $1 (and service $2, or any) are left. */
  static final String ANY_LEFT = """
      SELECT EXISTS (SELECT 1 FROM claim WHERE state = $1 AND ($2::text IS NULL OR service = $2)) AS more
      """;

  /** Every AUP gate row, with the seconds until it opens on the database clock. */
  static final String GATES = """
      SELECT identity, service, next_allowed_at,
             GREATEST(0, extract(epoch FROM next_allowed_at - now()))::float8 AS opens_in_seconds,
             last_taken_at, last_outcome, last_outcome_at, calls, aup_pages, refused_at, refused_reason
        FROM aup_gate ORDER BY identity, service
      """;

  /** The ISO granted access again: the gate is no longer refused. $1 identity, $2 service. */
  static final String CLEAR_GATE = """
      UPDATE aup_gate SET refused_at = NULL, refused_reason = NULL
       WHERE identity = $1 AND service = $2
      RETURNING identity
      """;
}
