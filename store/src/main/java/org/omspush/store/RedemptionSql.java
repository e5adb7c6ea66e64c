package org.omspush.store;

/**
 * Every SQL statement of redemption and of the AUP gate. Times are the database clock's: a
 * lease or a gate means the same on every replica.
 */
final class RedemptionSql {
  private RedemptionSql() {}

  /**
   * The scheduler's lease: of every lane (participant, identity, service) given, the earliest due
   * claim whose gate is open and not refused, earliest due first across all lanes. $1 participants,
   * $2 identities (gate keys), $3 services: one lane per index; $4 owner, $5 lease seconds, $6 lost
   * fetches that make a claim DEAD. A claim whose lease ran out (its worker died) is due again;
   * when a fetch had started under that lease ({@code lost}), the fetch is counted as lost, and
   * the claim that reaches $6 lost fetches is DEAD (receiver_lost) instead of leased: a document
   * that kills its receiver does not take the next one with it. Each lane's head is found through
   * claim_participant_due_idx, so a long backlog of one participant costs the others nothing. A
   * head another replica is leasing at this moment is skipped, not waited for.
   */
  static final String LEASE_NEXT_ANY = """
      WITH lanes AS (
        SELECT l.participant, l.identity, l.service
          FROM unnest($1::text[], $2::text[], $3::text[]) AS l(participant, identity, service)
          LEFT JOIN aup_gate g ON g.identity = l.identity AND g.service = l.service
         WHERE g.identity IS NULL OR (g.next_allowed_at <= now() AND g.refused_at IS NULL)
      ), heads AS (
        SELECT h.id, h.next_attempt_at, lanes.identity
          FROM lanes
          CROSS JOIN LATERAL (
            SELECT c.id, c.next_attempt_at FROM claim c
             WHERE c.state = 'PENDING' AND c.participant = lanes.participant AND c.service = lanes.service
               AND c.next_attempt_at <= now() AND (c.lease_until IS NULL OR c.lease_until < now())
             ORDER BY c.next_attempt_at, c.id
             LIMIT 1) h
      ), next AS (
        SELECT c.id, heads.identity, c.fetch_started_at IS NOT NULL AS lost,
               c.fetch_started_at IS NOT NULL AND c.lost_fetches + 1 >= $6 AS dead
          FROM heads JOIN claim c ON c.id = heads.id
         WHERE c.state = 'PENDING' AND (c.lease_until IS NULL OR c.lease_until < now())
         ORDER BY heads.next_attempt_at, heads.id
         LIMIT 1
         FOR UPDATE OF c SKIP LOCKED
      )
      UPDATE claim c
         SET lease_owner = CASE WHEN next.dead THEN NULL ELSE $4 END,
             lease_until = CASE WHEN next.dead THEN NULL ELSE now() + make_interval(secs => $5) END,
             updated_at = now(), fetch_started_at = NULL,
             lost_fetches = c.lost_fetches + CASE WHEN next.lost THEN 1 ELSE 0 END,
             state = CASE WHEN next.dead THEN 'DEAD' ELSE c.state END,
             dead_reason = CASE WHEN next.dead THEN 'receiver_lost' ELSE c.dead_reason END,
             last_error = CASE WHEN next.lost THEN 'a fetch ended with its lease lost and no answer (the receiver '
                               || 'died or stopped) ' || (c.lost_fetches + 1) || ' time(s)' ELSE c.last_error END,
             -- a token past its expiry is not worth a call: ask by key
             lookup = CASE WHEN c.expires_at IS NOT NULL AND c.expires_at < now() THEN 'KEY' ELSE c.lookup END
        FROM next
       WHERE c.id = next.id
      RETURNING c.state, c.transient_failures, c.lost_fetches, next.lost, c.participant, next.identity,
                c.id, c.kind, c.outage_mrid, c.outage_type, c.version, c.status, c.previous_status,
                c.last_modified, c.token, c.lookup, c.service, c.attempts, c.market_event_id,
                (c.expires_at IS NOT NULL AND c.expires_at < now()) AS token_expired,
                (SELECT m.event_id FROM market_event m WHERE m.id = c.market_event_id) AS event_id,
                (SELECT max(o.version) FROM claim o
                  WHERE o.outage_mrid = c.outage_mrid AND o.participant = c.participant AND o.id <> c.id)
                  AS other_newest_version
      """;

  /**
   * When the scheduler next has something to do in these lanes ($1, $2, $3 as LEASE_NEXT_ANY):
   * seconds until the earliest moment a lane's first unleased claim is due and its gate open, or
   * a lease held elsewhere runs out (its replica may have died). Null when the lanes hold no
   * pending claim; a refused gate waits for an operator, not for time.
   */
  static final String NEXT_DUE = """
      WITH lanes AS (
        SELECT l.participant, l.service, g.next_allowed_at
          FROM unnest($1::text[], $2::text[], $3::text[]) AS l(participant, identity, service)
          LEFT JOIN aup_gate g ON g.identity = l.identity AND g.service = l.service
         WHERE g.refused_at IS NULL
      ), due AS (
        SELECT GREATEST(h.next_attempt_at, COALESCE(lanes.next_allowed_at, '-infinity'::timestamptz)) AS at
          FROM lanes
          CROSS JOIN LATERAL (
            SELECT c.next_attempt_at FROM claim c
             WHERE c.state = 'PENDING' AND c.participant = lanes.participant AND c.service = lanes.service
               AND (c.lease_until IS NULL OR c.lease_until < now())
             ORDER BY c.next_attempt_at, c.id
             LIMIT 1) h
        UNION ALL
        SELECT min(c.lease_until) FROM claim c
         WHERE c.state = 'PENDING' AND c.lease_until >= now()
           AND (c.participant, c.service) IN (SELECT participant, service FROM lanes)
      )
      SELECT extract(epoch FROM min(at) - now())::float8 AS wait_seconds FROM due
      """;

  /** PENDING claims by participant and the age of each one's oldest (database clock). */
  static final String PENDING_BY_PARTICIPANT = """
      SELECT participant, count(*) AS waiting, extract(epoch FROM now() - min(created_at))::float8 AS oldest_seconds
        FROM claim WHERE state = 'PENDING' GROUP BY participant
      """;

  /** $1 id, $2 owner, $3 lease seconds. Returns a row while the lease is still ours. */
  static final String RENEW_LEASE = """
      UPDATE claim SET lease_until = now() + make_interval(secs => $3)
       WHERE id = $1 AND lease_owner = $2 AND state = 'PENDING'
      RETURNING id
      """;

  /**
   * Gives a claim back for a later attempt. $1 id, $2 owner, $3 delay seconds (null keeps
   * next_attempt_at: the claim keeps its place in the queue), $4 error (null keeps the last),
   * $5 the kind of failure: {@code DEFINITIVE} counts an attempt, and reaching $6 attempts makes
   * the claim DEAD (attempts); {@code TRANSIENT} counts a transient failure, and makes the claim
   * DEAD (gave_up) only once it is older than $7 seconds (from its creation, or from an
   * operator's retry); {@code WAIT} counts nothing. Returns state, attempts and dead_reason.
   */
  static final String RETRY = """
      WITH verdict AS (
        SELECT id, CASE WHEN state <> 'PENDING' THEN NULL
                        WHEN $5 = 'DEFINITIVE' AND attempts + 1 >= $6 THEN 'attempts'
                        WHEN $5 = 'TRANSIENT'
                             AND GREATEST(created_at, retried_at) + make_interval(secs => $7) <= now() THEN 'gave_up'
                   END AS dead_reason
          FROM claim WHERE id = $1 AND lease_owner = $2
      )
      UPDATE claim c
         SET attempts = c.attempts + CASE WHEN $5 = 'DEFINITIVE' THEN 1 ELSE 0 END,
             transient_failures = c.transient_failures + CASE WHEN $5 = 'TRANSIENT' THEN 1 ELSE 0 END,
             state = CASE WHEN v.dead_reason IS NULL THEN c.state ELSE 'DEAD' END,
             dead_reason = COALESCE(v.dead_reason, c.dead_reason),
             next_attempt_at = CASE WHEN $3::float8 IS NULL THEN c.next_attempt_at
                                    ELSE now() + make_interval(secs => $3::float8) END,
             last_error = COALESCE($4, c.last_error),
             lease_owner = NULL, lease_until = NULL, fetch_started_at = NULL, updated_at = now()
        FROM verdict v
       WHERE c.id = v.id AND c.lease_owner = $2
      RETURNING c.state, c.attempts, c.dead_reason
      """;

  /**
   * Gives back every lease of a stopping worker, so another replica takes the claims at once;
   * no attempt is counted and next_attempt_at is kept. $1 owner. Returns the ids.
   */
  static final String RELEASE = """
      UPDATE claim SET lease_owner = NULL, lease_until = NULL, fetch_started_at = NULL, updated_at = now()
       WHERE lease_owner = $1 AND state = 'PENDING'
      RETURNING id
      """;

  /**
   * Gives a claim back without a counted attempt (AUP page, not sent): it keeps its
   * next_attempt_at, so its place at the head of the queue. $1 id, $2 owner.
   */
  static final String GIVE_BACK = """
      UPDATE claim SET lease_owner = NULL, lease_until = NULL, fetch_started_at = NULL, updated_at = now()
       WHERE id = $1 AND lease_owner = $2
      RETURNING state, attempts, dead_reason
      """;

  /**
   * The newest version the inbound store knows of each outage of a participant. $1 outage mRIDs,
   * $2 participant. Catch-up skips a change whose version is not newer.
   */
  static final String NEWEST_VERSIONS = """
      SELECT outage_mrid, newest_version FROM outage WHERE participant = $2 AND outage_mrid = ANY($1::text[])
      """;

  /**
   * The token is expired or unknown: redeem by key from now on, at once. next_attempt_at (already
   * due) is kept, so the claim keeps its place at the head of the queue. $1 id, $2 owner, $3 reason.
   */
  static final String USE_KEY_LOOKUP = """
      UPDATE claim
         SET lookup = 'KEY', last_error = $3,
             lease_owner = NULL, lease_until = NULL, fetch_started_at = NULL, updated_at = now()
       WHERE id = $1 AND lease_owner = $2
      RETURNING id
      """;

  /**
   * Takes the AUP gate: succeeds only when the previous call is at least the interval ago and,
   * for a claim, while the claim is still this worker's to redeem (a worker whose claim was
   * superseded or lost does not take a slot it has nothing to send in). The same statement
   * records that the claim's fetch started, before the request leaves: should this receiver die
   * during the call, the next one to lease the claim knows.
   * $1 identity, $2 service, $3 interval seconds (the AUP's plus the safety margin), $4 claim id
   * or null, $5 owner. Returns a row only when taken.
   */
  static final String TAKE_GATE = """
      WITH taken AS (
        INSERT INTO aup_gate AS g (identity, service, next_allowed_at, calls, last_taken_at)
        SELECT $1::text, $2::text, now() + make_interval(secs => $3), 1, now()
         WHERE $4::bigint IS NULL
            OR EXISTS (SELECT 1 FROM claim c WHERE c.id = $4 AND c.state = 'PENDING' AND c.lease_owner = $5::text)
        ON CONFLICT (identity, service) DO UPDATE
           SET next_allowed_at = now() + make_interval(secs => $3), calls = g.calls + 1, last_taken_at = now()
         WHERE g.next_allowed_at <= now() AND g.refused_at IS NULL
        RETURNING next_allowed_at
      ), started AS (
        UPDATE claim SET fetch_started_at = now()
         WHERE id = $4::bigint AND lease_owner = $5::text AND EXISTS (SELECT 1 FROM taken)
        RETURNING id
      )
      SELECT next_allowed_at, (SELECT count(*) FROM started) AS started FROM taken
      """;

  /**
   * Why the gate was not taken: how long until it opens, that the ISO refused the service, or
   * that the claim is no longer ours. Always one row. $1 identity, $2 service, $3 claim id or null, $4 owner.
   */
  static final String GATE_STATE = """
      SELECT g.wait_seconds, COALESCE(g.refused, false) AS refused, g.refused_reason,
             ($3::bigint IS NULL
              OR EXISTS (SELECT 1 FROM claim c WHERE c.id = $3 AND c.state = 'PENDING' AND c.lease_owner = $4::text))
               AS ours
        FROM (SELECT 1) one
        LEFT JOIN (SELECT GREATEST(0, extract(epoch FROM next_allowed_at - now()))::float8 AS wait_seconds,
                          refused_at IS NOT NULL AS refused, refused_reason
                     FROM aup_gate WHERE identity = $1 AND service = $2) g ON true
      """;

  /**
   * A call's answer (or its failure) came back: the ISO saw the request, if at all, before now,
   * so the next call needs only now plus the AUP interval. $1, $2, $3 the AUP interval seconds, $4
   * the next_allowed_at the call's take set, or null.
   * - An answer arrived ($4 given) and nobody moved the gate since the take: the gate becomes
   *   exactly now + interval. Earlier than the take's spacing when the answer came back within the
   *   margin (the margin is then not needed), later when it came back after it.
   * - Otherwise (no answer, only a failure; or the gate moved, e.g. by an AUP page): never earlier,
   *   GREATEST(next_allowed_at, now + interval).
   */
  static final String CALL_ANSWERED = """
      UPDATE aup_gate
         SET next_allowed_at = CASE WHEN next_allowed_at = $4::timestamptz THEN now() + make_interval(secs => $3)
                                    ELSE GREATEST(next_allowed_at, now() + make_interval(secs => $3)) END
       WHERE identity = $1 AND service = $2
      """;

  /**
   * A take that sent nothing gives its slot back: the gate goes back to the take's own time (the
   * earlier value was no later), unless someone moved it since. $1, $2, $3 the next_allowed_at the
   * take set, $4 the interval seconds it used.
   */
  static final String RELEASE_GATE = """
      UPDATE aup_gate
         SET next_allowed_at = $3::timestamptz - make_interval(secs => $4), calls = calls - 1
       WHERE identity = $1 AND service = $2 AND next_allowed_at = $3::timestamptz
      RETURNING identity
      """;

  /** The ISO answered with its AUP page: no call before the interval from now. $1, $2, $3 as TAKE_GATE. */
  static final String AUP_PAGE_SEEN = """
      UPDATE aup_gate
         SET next_allowed_at = GREATEST(next_allowed_at, now() + make_interval(secs => $3)),
             aup_pages = aup_pages + 1
       WHERE identity = $1 AND service = $2
      """;

  /** What the last call came back with (document, fault, transient …), for operators. $1, $2, $3 outcome. */
  static final String RECORD_OUTCOME = """
      UPDATE aup_gate SET last_outcome = $3, last_outcome_at = now() WHERE identity = $1 AND service = $2
      """;

  /**
   * Claims of a participant this replica serves ($3) whose service its certificate does not
   * serve (no lane ($1 participant, $2 service) for it) are set aside as UNSERVICEABLE instead of
   * waiting for ever; a leased one is left to its worker. A participant with no certificate
   * (removed) is not in $3: its claims stay PENDING and wait for it. Returns id, service.
   */
  static final String SET_UNSERVICEABLE = """
      UPDATE claim SET state = 'UNSERVICEABLE', updated_at = now(),
                       last_error = 'the certificate of participant ' || participant || ' does not serve ' || service
       WHERE state = 'PENDING' AND participant = ANY($3::text[])
         AND (participant, service) NOT IN (SELECT * FROM unnest($1::text[], $2::text[]))
         AND (lease_until IS NULL OR lease_until < now())
      RETURNING id, service
      """;

  /** UNSERVICEABLE claims of a lane now served are PENDING again, in their place. $1, $2 the lanes. */
  static final String REVIVE_SERVICEABLE = """
      UPDATE claim SET state = 'PENDING', updated_at = now(), fetch_started_at = NULL
       WHERE state = 'UNSERVICEABLE' AND (participant, service) IN (SELECT * FROM unnest($1::text[], $2::text[]))
      RETURNING id, service
      """;

  /** The ISO answered 403: this identity has no access to the service; stop until an operator clears it. */
  static final String REFUSE_SERVICE = """
      UPDATE aup_gate SET refused_at = now(), refused_reason = $3 WHERE identity = $1 AND service = $2
      """;

  /** Locks the outage row (the claim's participant's) first, the same order as ingest, and checks the lease is still ours. */
  static final String LOCK_FOR_COMPLETION = """
      WITH locked_outage AS (
        SELECT outage_mrid FROM outage
         WHERE outage_mrid = $3 AND participant = (SELECT participant FROM claim WHERE id = $1) FOR UPDATE
      )
      SELECT c.state, c.lease_owner = $2 AS ours, (SELECT count(*) FROM locked_outage) AS outages
        FROM claim c WHERE c.id = $1 FOR UPDATE OF c
      """;

  /**
   * Stores a retrieved outage document and publishes it. $1 claim id, $2 outage_mrid, $3 document
   * version, $4 outage_type, $5 status, $6 last_modified, $7 payload id (its chunks written), $8 size,
   * $9 sha256: the payload becomes complete here.
   * The event is written only if no event of this outage has this version or a newer one
   * (subscribers never get N after N+1); every pending claim the document covers is REDEEMED.
   * The outage is the claim's participant's: another participant's claims and events of the
   * same mRID are left alone.
   */
  static final String COMPLETE_OUTAGE = """
      WITH claimed AS (
        SELECT c.id, c.participant, c.version, c.previous_status, c.inbound_message_id FROM claim c WHERE c.id = $1
      ), same_version AS (
        SELECT s.previous_status, s.inbound_message_id FROM claim s
         WHERE s.outage_mrid = $2 AND s.participant = (SELECT participant FROM claimed) AND s.version = $3
         ORDER BY s.id LIMIT 1
      ), new_payload AS (
        UPDATE payload SET size_bytes = $8, sha256 = $9 WHERE id = $7 AND size_bytes IS NULL RETURNING id
      ), published AS (
        INSERT INTO event (id, participant, type, subject, time, outage_mrid, outage_version, outage_type, data,
                           payload_id, inbound_message_id, claim_id)
        SELECT gen_random_uuid(), claimed.participant, 'outage.status-changed', $2, $6::timestamptz, $2, $3, $4,
               jsonb_strip_nulls(jsonb_build_object(
                 'outageMRID', $2::text, 'outageType', $4::text, 'version', $3::bigint, 'status', $5::text,
                 'previousStatus', CASE WHEN $3::bigint = 1 THEN NULL
                                        ELSE COALESCE((SELECT previous_status FROM same_version),
                                                      CASE WHEN claimed.version = $3 THEN claimed.previous_status END)
                                   END,
                 'lastModified', to_char($6::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                 'messageId', (SELECT m.message_id FROM inbound_message m
                                WHERE m.id = COALESCE((SELECT inbound_message_id FROM same_version),
                                                      claimed.inbound_message_id)))),
               new_payload.id, COALESCE((SELECT inbound_message_id FROM same_version), claimed.inbound_message_id),
               claimed.id
          FROM claimed, new_payload
         WHERE NOT EXISTS (SELECT 1 FROM event e WHERE e.outage_mrid = $2 AND e.participant = claimed.participant
                                                  AND e.outage_version >= $3)
        RETURNING id
      ), redeemed AS (
        UPDATE claim
           SET state = 'REDEEMED', payload_id = (SELECT id FROM new_payload), redeemed_at = now(),
               lease_owner = NULL, lease_until = NULL, fetch_started_at = NULL, updated_at = now()
         WHERE outage_mrid = $2 AND participant = (SELECT participant FROM claimed) AND state = 'PENDING'
           AND version <= $3
        RETURNING id
      )
      SELECT (SELECT count(*) FROM redeemed) AS redeemed, (SELECT id FROM published) AS event_id
      """;

  /**
   * Stores a retrieved market-event document and publishes the event. $1 claim id, $2 payload id
   * (its chunks written), $3 size, $4 sha256.
   */
  static final String COMPLETE_MARKET_EVENT = """
      WITH claimed AS (
        SELECT c.id, c.market_event_id FROM claim c WHERE c.id = $1
      ), new_payload AS (
        UPDATE payload SET size_bytes = $3, sha256 = $4 WHERE id = $2 AND size_bytes IS NULL RETURNING id
      ), ready AS (
        UPDATE market_event SET fanout_state = 'READY'
         WHERE id = (SELECT market_event_id FROM claimed)
        RETURNING id, participant, inbound_message_id, event_id, event_type, market, trade_date, event_time, description
      ), published AS (
        INSERT INTO event (id, participant, type, subject, time, market, event_type, data, payload_id,
                           inbound_message_id, claim_id)
        SELECT gen_random_uuid(), r.participant, 'market.event', r.market || '/' || r.trade_date::text, r.event_time, r.market,
               r.event_type,
               jsonb_strip_nulls(jsonb_build_object(
                 'eventId', r.event_id, 'eventType', r.event_type, 'market', r.market,
                 'tradeDate', r.trade_date::text,
                 'eventTime', to_char(r.event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                 'description', r.description,
                 'messageId', (SELECT message_id FROM inbound_message WHERE id = r.inbound_message_id))),
               p.id, r.inbound_message_id, $1
          FROM ready r, new_payload p
        RETURNING id
      ), redeemed AS (
        UPDATE claim SET state = 'REDEEMED', payload_id = (SELECT id FROM new_payload), redeemed_at = now(),
                         lease_owner = NULL, lease_until = NULL, fetch_started_at = NULL, updated_at = now()
         WHERE id = $1
        RETURNING id
      )
      SELECT (SELECT count(*) FROM redeemed) AS redeemed, (SELECT id FROM published) AS event_id
      """;

  /** Where catch-up left off. $1 identity, $2 service. */
  static final String READ_CURSOR = "SELECT since, cursor FROM sync_cursor WHERE identity = $1 AND service = $2";

  /** $1 identity, $2 service, $3 since, $4 cursor. */
  static final String WRITE_CURSOR = """
      INSERT INTO sync_cursor (identity, service, since, cursor) VALUES ($1, $2, $3, $4)
      ON CONFLICT (identity, service) DO UPDATE
         SET since = EXCLUDED.since, cursor = EXCLUDED.cursor, updated_at = now()
      """;

  /** The newest lastModified known from a participant's claims: where its catch-up starts without a cursor. $1 participant. */
  static final String NEWEST_KNOWN_CHANGE =
      "SELECT max(last_modified) AS newest FROM claim WHERE kind = 'OUTAGE' AND participant = $1";

  /** When a catch-up cursor was last written (by any replica): null when never. $1 identity, $2 service. */
  static final String CURSOR_WRITTEN = """
      SELECT extract(epoch FROM now() - updated_at)::float8 AS age_seconds FROM sync_cursor
       WHERE identity = $1 AND service = $2
      """;

  /** Claims by state, for metrics and the operators' list. */
  static final String CLAIMS_BY_STATE = "SELECT state, count(*) AS n FROM claim GROUP BY state";
}
