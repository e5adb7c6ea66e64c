package org.omspush.store.fanout;

/**
 * Every SQL statement of the fan-out, in one place: subscribers, the delivery queue and the
 * operators' read of the claim table (payloads by URL: {@code PayloadSql}).
 *
 * <p>The queue works like the redemption queue (invariant 5): a worker claims due deliveries
 * in one short transaction ({@link #LOCK_SUBSCRIBERS}, {@link #ACTIVE_SECRETS}, {@link
 * #SKIP_SUPERSEDED}, {@link #CLAIM}), commits, sends without any transaction open, and records
 * the answer ({@link #DELIVERED}, for many 2xx answers at once, or {@link #FAILED}). The lease is on the
 * database clock; a worker that dies loses it at {@code lease_until} and another replica
 * takes the delivery over.
 *
 * <p>Claims are serialized per subscriber: the claim transaction holds the subscriber row
 * (FOR NO KEY UPDATE, which does not block producers inserting deliveries, since those only
 * take KEY SHARE through the foreign key) and other replicas SKIP LOCKED past it. So the
 * per-subscriber limit on deliveries in flight and the per-outage order hold cluster-wide.
 */
final class FanoutSql {

  private FanoutSql() {}

  static final String SUBSCRIBER_COLUMNS = """
      s.id, s.url, s.description, s.event_types, s.outage_types, s.markets, s.participants, s.enabled,
      s.disabled_reason, s.max_in_flight, s.client_cert_pem, s.client_key_pem, s.client_key_sealed,
      s.sealing_key_id, s.validation_handshake, s.consecutive_failures, s.paused_until, s.created_at, s.updated_at
      """;

  // ---------------------------------------------------------------- subscribers (admin API)

  /**
   * $1 id, $2 url, $3 description, $4 event_types, $5 outage_types, $6 markets, $7 participants,
   * $8 enabled, $9 max_in_flight, $10 client_cert_pem, $11 client_key_sealed, $12 validation_handshake,
   * $13 sealing_key_id (null without a client key).
   */
  static final String INSERT_SUBSCRIBER = """
      INSERT INTO subscriber (id, url, description, event_types, outage_types, markets, participants, enabled,
                              max_in_flight, client_cert_pem, client_key_sealed, validation_handshake,
                              sealing_key_id)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
      """;

  /** $1 subscriber id, $2 the sealed secret, $3 the id of the key that sealed it. */
  static final String INSERT_SECRET = """
      INSERT INTO subscriber_secret (subscriber_id, secret_sealed, sealing_key_id) VALUES ($1, $2, $3)
      """;

  static final String SELECT_SUBSCRIBER = "SELECT " + SUBSCRIBER_COLUMNS + " FROM subscriber s WHERE s.id = $1";

  static final String SELECT_SUBSCRIBERS =
      "SELECT " + SUBSCRIBER_COLUMNS + " FROM subscriber s ORDER BY s.created_at, s.id";

  /**
   * The secrets that sign now, newest first: the current one and those of earlier rotations
   * that have not expired. $1 subscriber ids.
   */
  static final String ACTIVE_SECRETS = """
      SELECT subscriber_id, secret, secret_sealed, sealing_key_id, created_at, expires_at
        FROM subscriber_secret
       WHERE subscriber_id = ANY ($1::uuid[]) AND (expires_at IS NULL OR expires_at > now())
       ORDER BY created_at DESC, id DESC
      """;

  /**
   * Replaces every field an operator can change. Enabling a disabled subscriber clears the
   * reason and the circuit breaker.
   *
   * <p>$1 id, $2 url, $3 description, $4 event_types, $5 outage_types, $6 markets, $7 participants,
   * $8 enabled, $9 max_in_flight, $10 client_cert_pem, $11 client_key_sealed, $12 validation_handshake,
   * $13 disabled_reason (when disabled now), $14 sealing_key_id (null without a client key).
   */
  static final String UPDATE_SUBSCRIBER = """
      UPDATE subscriber
         SET url = $2, description = $3, event_types = $4, outage_types = $5, markets = $6,
             participants = $7, enabled = $8,
             disabled_reason = CASE WHEN $8 THEN NULL
                                    WHEN enabled THEN $13::text
                                    ELSE disabled_reason END,
             max_in_flight = $9, client_cert_pem = $10, client_key_pem = NULL, client_key_sealed = $11,
             sealing_key_id = $14::text, validation_handshake = $12,
             consecutive_failures = CASE WHEN $8 AND NOT enabled THEN 0 ELSE consecutive_failures END,
             paused_until = CASE WHEN $8 AND NOT enabled THEN NULL ELSE paused_until END,
             updated_at = now()
       WHERE id = $1
      """;

  /** $1 id. Its deliveries go with it (ON DELETE CASCADE). */
  static final String DELETE_SUBSCRIBER = "DELETE FROM subscriber WHERE id = $1";

  /**
   * A new current secret; the current one keeps signing until now + the grace period. Returns
   * {@code inserted} (0: no such subscriber) and {@code previous_expires_at}.
   *
   * <p>$1 subscriber id, $2 new secret (sealed), $3 grace period in milliseconds, $4 the id of
   * the key that sealed it.
   */
  static final String ROTATE_SECRET = """
      WITH target AS (
        SELECT id FROM subscriber WHERE id = $1 FOR NO KEY UPDATE
      ), previous AS (
        UPDATE subscriber_secret
           SET expires_at = now() + $3::bigint * interval '1 millisecond'
         WHERE subscriber_id = (SELECT id FROM target) AND expires_at IS NULL
        RETURNING expires_at
      ), fresh AS (
        INSERT INTO subscriber_secret (subscriber_id, secret_sealed, sealing_key_id)
        SELECT id, $2, $4 FROM target
        RETURNING id
      )
      SELECT (SELECT count(*) FROM fresh) AS inserted, (SELECT max(expires_at) FROM previous) AS previous_expires_at
      """;

  // ---------------------------------------------------------------- the delivery queue

  /**
   * Delivery-state changes commit without waiting for the WAL flush: a change lost in a
   * Postgres crash only means a delivery is sent again, which webhooks tolerate (at least
   * once, the webhook-id is stable). Ingest stays synchronous: a push answered 200 is durable.
   * Transaction-local; referenced as a CTE so that it runs once, inside the statement.
   */
  static final String ASYNC_COMMIT = "SELECT set_config('synchronous_commit', 'off', true) AS async_commit";

  /**
   * Step 1 of a claim: takes the rows of up to $1 enabled subscribers that have due, unleased
   * deliveries, skipping those another replica is claiming for right now. Returns the
   * subscriber columns and {@code paused} (the circuit breaker is open). The claim transaction
   * commits asynchronously ({@link #ASYNC_COMMIT}).
   */
  static final String LOCK_SUBSCRIBERS = "WITH cfg AS MATERIALIZED (" + ASYNC_COMMIT + ") SELECT "
      + SUBSCRIBER_COLUMNS + """
      , (s.paused_until IS NOT NULL AND s.paused_until > now()) AS paused
        FROM cfg, subscriber s
             -- LATERAL with LIMIT: one index probe per subscriber (stops at its first due row),
             -- where EXISTS became a semi-join over the whole backlog. The ORDER BY is the pending
             -- index's: without it the plan may scan the table for the first due row instead, past
             -- every delivered row written before the backlog (~100 ms a claim; ClaimPlansTest)
             CROSS JOIN LATERAL (SELECT 1 FROM delivery d
                                  WHERE d.subscriber_id = s.id AND d.state = 'PENDING' AND d.next_attempt_at <= now()
                                    AND (d.lease_until IS NULL OR d.lease_until <= now())
                                  ORDER BY d.next_attempt_at
                                  LIMIT 1) due
       WHERE s.enabled
       ORDER BY random()
       LIMIT $1
       FOR NO KEY UPDATE OF s SKIP LOCKED
      """;

  /**
   * Step 2 of a claim: a pending delivery of an outage version is SKIPPED when the same
   * subscriber has a newer version of that outage pending or delivered (newest version wins;
   * an older one is never sent late). Deliveries in flight are left alone. $1 subscriber ids.
   */
  static final String SKIP_SUPERSEDED = """
      UPDATE delivery d
         SET state = 'SKIPPED', updated_at = now(), lease_owner = NULL, lease_until = NULL,
             last_error = 'superseded by a newer version of the outage'
       WHERE d.subscriber_id = ANY ($1::uuid[]) AND d.state = 'PENDING' AND d.outage_mrid IS NOT NULL
         AND (d.lease_until IS NULL OR d.lease_until <= now())
         AND EXISTS (SELECT 1 FROM delivery n
                      WHERE n.subscriber_id = d.subscriber_id AND n.outage_mrid = d.outage_mrid
                        AND n.participant = d.participant
                        AND n.outage_version > d.outage_version AND n.state IN ('PENDING', 'DELIVERED'))
      RETURNING d.id
      """;

  /**
   * Step 3 of a claim: leases due deliveries of the locked subscribers, oldest due first,
   * within each subscriber's free slots: its {@code max_in_flight} (1 while the circuit breaker
   * is half open: the probe; $4 while it is open, to be failed without a request) less what is
   * in flight. A delivery whose outage has another delivery in flight for the same subscriber
   * waits for it (version N+1 never overtakes N); one superseded in the meantime waits for the
   * next step 2. The attempt counts from here; a lease is this worker's and this attempt's.
   *
   * <p>What is in flight is counted at the head of the subscriber's due order, not through an
   * index on the lease: no index names a lease column, so taking and giving back a lease are HOT
   * updates (V7). Leased rows were due when taken and are taken oldest first, so they sit at the
   * head; before one can only be rows that were leased or waited for an outage in flight at the
   * time (one per outage: older versions are skipped). Twice the limit plus a margin covers both.
   *
   * <p>$1 subscriber ids, $2 lease owner, $3 lease in milliseconds, $4 how many to take from a
   * subscriber whose breaker is open, $5 the breaker's threshold (failures in a row), $6 at most
   * this many in all, $7 payloads of at most this many bytes come with their content.
   */
  static final String CLAIM = """
      WITH subs AS MATERIALIZED (
        SELECT s.id,
               CASE WHEN s.paused_until IS NOT NULL AND s.paused_until > now() THEN $4::int
                    WHEN s.consecutive_failures >= $5::int THEN 1
                    ELSE s.max_in_flight END
               - (SELECT count(*) FROM (SELECT f.lease_until FROM delivery f
                                         WHERE f.subscriber_id = s.id AND f.state = 'PENDING'
                                           AND f.next_attempt_at <= now()
                                         ORDER BY f.next_attempt_at, f.event_created_at, f.outage_version
                                         LIMIT 2 * s.max_in_flight + 16) head
                   WHERE head.lease_until > now()) AS free
          FROM subscriber s
         WHERE s.id = ANY ($1::uuid[])
      ), chosen AS (
        SELECT c.id
          FROM subs CROSS JOIN LATERAL (
                 SELECT d.id, d.next_attempt_at
                   FROM delivery d
                  WHERE d.subscriber_id = subs.id AND d.state = 'PENDING' AND d.next_attempt_at <= now()
                    AND (d.lease_until IS NULL OR d.lease_until <= now())
                    AND NOT EXISTS (SELECT 1 FROM delivery o
                                     WHERE o.subscriber_id = d.subscriber_id AND o.outage_mrid = d.outage_mrid
                                       AND o.participant = d.participant AND o.id <> d.id AND o.state = 'PENDING' AND o.lease_until > now())
                    AND NOT EXISTS (SELECT 1 FROM delivery n
                                     WHERE n.subscriber_id = d.subscriber_id AND n.outage_mrid = d.outage_mrid
                                       AND n.participant = d.participant AND n.outage_version > d.outage_version
                                       AND n.state IN ('PENDING', 'DELIVERED'))
                  ORDER BY d.next_attempt_at, d.event_created_at, d.outage_version
                  LIMIT GREATEST(subs.free, 0)) c
         ORDER BY c.next_attempt_at
         LIMIT $6
      )
      UPDATE delivery d
         SET lease_owner = $2, lease_until = now() + $3::bigint * interval '1 millisecond',
             attempts = d.attempts + 1, updated_at = now()
        FROM event e LEFT JOIN payload p ON p.id = e.payload_id
       WHERE d.id = ANY (ARRAY(SELECT c.id FROM chosen c)) AND e.id = d.event_id
      RETURNING d.id, d.subscriber_id, d.event_id, d.attempts, d.event_created_at,
                e.type, e.subject, e.time, e.outage_version, e.data, e.participant,
                e.payload_id, p.content_type AS payload_content_type, p.size_bytes AS payload_size,
                p.sha256 AS payload_sha256,
                CASE WHEN p.size_bytes <= $7::bigint
                     THEN (SELECT string_agg(pc.data, ''::bytea ORDER BY pc.seq) FROM payload_piece pc
                            WHERE pc.payload_id = p.id) END AS payload_gzip
      """;

  /**
   * 2xx answers, several in one statement: DELIVERED, and the breakers of their subscribers
   * close (locked in id order, so two batches never wait on each other in a cycle). Returns
   * the ids updated; one missing lost its lease meanwhile (another worker owns it now).
   * Commits asynchronously ({@link #ASYNC_COMMIT}).
   *
   * <p>$1 delivery ids, $2 attempts, $3 HTTP statuses (arrays in the same order), $4 lease owner.
   */
  static final String DELIVERED = "WITH cfg AS MATERIALIZED (" + ASYNC_COMMIT + "), " + """
      answer AS (
        SELECT * FROM unnest($1::uuid[], $2::int[], $3::int[]) AS a(id, attempt, status)
      ), done AS (
        UPDATE delivery d
           SET state = 'DELIVERED', delivered_at = now(), updated_at = now(), last_status = a.status,
               last_error = NULL, last_response = NULL, lease_owner = NULL, lease_until = NULL
          FROM answer a
         -- no state test: a lease implies PENDING (V9), and one would let the plan walk the pending queue
         WHERE d.id = a.id AND d.lease_owner = $4 AND d.attempts = a.attempt
        RETURNING d.id, d.subscriber_id
      ), unhealthy AS (
        SELECT s.id FROM subscriber s
         WHERE s.id IN (SELECT subscriber_id FROM done)
           AND (s.consecutive_failures <> 0 OR s.paused_until IS NOT NULL)
         ORDER BY s.id
           FOR NO KEY UPDATE
      ), healthy AS (
        UPDATE subscriber s
           SET consecutive_failures = 0, paused_until = NULL
          FROM unhealthy u
         WHERE s.id = u.id
        RETURNING s.id
      )
      SELECT done.id FROM cfg, done
      """;

  /**
   * A failed attempt: back to PENDING at now + $5 ms, or DEAD. When it counts against the
   * subscriber ($9), its breaker opens after $10 failures in a row, for $11 ms doubling with
   * every further failure up to $12 ms. A reason in $13 disables the subscriber (410 Gone).
   * Returns {@code updated} (0: the lease was lost meanwhile); commits asynchronously ({@link #ASYNC_COMMIT}).
   *
   * <p>$1 delivery id, $2 lease owner, $3 attempt, $4 dead, $5 delay ms, $6 HTTP status (null
   * when there was no answer), $7 error, $8 response excerpt, $9 count against the subscriber,
   * $10 breaker threshold, $11 breaker pause ms, $12 longest pause ms, $13 disable reason.
   */
  static final String FAILED = "WITH cfg AS MATERIALIZED (" + ASYNC_COMMIT + "), " + """
      failed AS (
        UPDATE delivery
           SET state = CASE WHEN $4::boolean THEN 'DEAD' ELSE 'PENDING' END,
               next_attempt_at = CASE WHEN $4::boolean THEN next_attempt_at
                                      ELSE now() + $5::bigint * interval '1 millisecond' END,
               last_status = $6::int, last_error = $7::text, last_response = $8::text,
               lease_owner = NULL, lease_until = NULL, updated_at = now()
         -- no state test: a lease implies PENDING (V9), and one would let the plan walk the pending queue
         WHERE id = $1 AND lease_owner = $2 AND attempts = $3
        RETURNING subscriber_id
      ), breaker AS (
        UPDATE subscriber s
           SET consecutive_failures = s.consecutive_failures + CASE WHEN $9::boolean THEN 1 ELSE 0 END,
               paused_until = CASE
                 WHEN $9::boolean AND s.consecutive_failures + 1 >= $10::int THEN GREATEST(s.paused_until,
                   now() + LEAST($12::bigint::double precision,
                                 $11::bigint * power(2, LEAST(s.consecutive_failures + 1 - $10::int, 30)))
                           * interval '1 millisecond')
                 ELSE s.paused_until END,
               enabled = CASE WHEN $13::text IS NULL THEN s.enabled ELSE false END,
               disabled_reason = COALESCE($13::text, s.disabled_reason),
               updated_at = CASE WHEN $13::text IS NULL THEN s.updated_at ELSE now() END
          FROM failed
         WHERE s.id = failed.subscriber_id AND ($9::boolean OR $13::text IS NOT NULL)
        RETURNING s.id
      )
      SELECT (SELECT count(*) FROM failed) AS updated, (SELECT count(*) FROM breaker) AS breaker FROM cfg
      """;

  /**
   * Gives back the leases of a stopping worker, so another replica (or this one after a
   * restart) sends at once instead of after the lease; the attempt did not happen. $1 owner.
   */
  static final String RELEASE = """
      UPDATE delivery
         SET lease_owner = NULL, lease_until = NULL, attempts = GREATEST(attempts - 1, 0), updated_at = now()
       WHERE lease_owner = $1 AND state = 'PENDING'
      """;

  /**
   * An operator's replay: dead deliveries of a subscriber (all, or the one with id $2) become
   * PENDING and due now with a fresh count of attempts; the breaker closes. Returns the ids.
   * $1 subscriber id, $2 delivery id or null.
   */
  static final String REPLAY = """
      WITH replayed AS (
        UPDATE delivery
           SET state = 'PENDING', attempts = 0, next_attempt_at = now(), lease_owner = NULL,
               lease_until = NULL, updated_at = now()
         WHERE subscriber_id = $1 AND state = 'DEAD' AND ($2::uuid IS NULL OR id = $2::uuid)
        RETURNING id
      ), healthy AS (
        UPDATE subscriber SET consecutive_failures = 0, paused_until = NULL
         WHERE id = $1 AND EXISTS (SELECT 1 FROM replayed)
        RETURNING id
      )
      SELECT id FROM replayed
      """;

  /**
   * A subscriber's deliveries, newest first. $1 subscriber id, $2 state or null, $3 limit,
   * $4 only those created before this time, or null, $5 only this participant's, or null.
   */
  static final String LIST_DELIVERIES = """
      SELECT d.id, d.event_id, d.participant, e.type, e.subject, d.outage_mrid, d.outage_version, d.state, d.attempts,
             d.next_attempt_at, d.last_status, d.last_error, d.last_response, d.created_at,
             d.updated_at, d.delivered_at
        FROM delivery d JOIN event e ON e.id = d.event_id
       WHERE d.subscriber_id = $1 AND ($2::text IS NULL OR d.state = $2::text)
         AND ($4::timestamptz IS NULL OR d.created_at < $4::timestamptz)
         AND ($5::text IS NULL OR d.participant = $5::text)
       ORDER BY d.created_at DESC, d.id
       LIMIT $3
      """;

  /** The queue for metrics: pending deliveries of enabled subscribers and the oldest one's age. */
  static final String QUEUE = """
      SELECT count(*) AS pending,
             COALESCE(EXTRACT(EPOCH FROM now() - min(d.event_created_at)), 0)::double precision AS oldest_seconds
        FROM delivery d JOIN subscriber s ON s.id = d.subscriber_id
       WHERE d.state = 'PENDING' AND s.enabled
      """;

  /**
   * A key shared by every replica: inserted by the first, read by all. Returns no row when a
   * concurrent first insert committed after this statement's snapshot: run it again. The key is
   * stored sealed; a row from before V16 may still hold it in {@code key} until start-up seals it.
   * $1 name, $2 a new random key, sealed, $3 the id of the key that sealed it.
   */
  static final String SHARED_KEY = """
      WITH created AS (
        INSERT INTO fanout_key (name, key_sealed, sealing_key_id) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING
        RETURNING key, key_sealed, sealing_key_id
      )
      SELECT key, key_sealed, sealing_key_id FROM created
      UNION ALL
      SELECT key, key_sealed, sealing_key_id FROM fanout_key WHERE name = $1
      LIMIT 1
      """;
}
