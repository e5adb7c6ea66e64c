package org.omspush.store;

/**
 * The read API's statements on outages (GET /api/v1/outages…): read only, each on an index. A
 * listing reads at most a window of outages past its cursor in the index's order and filters
 * those, so no query of a page walks the whole table, whatever its filters match.
 */
final class OutagesSql {
  private OutagesSql() {}

  /** The newest claim of an outage: the first of its newest version (later ones are superseded repeats). */
  private static final String NEWEST = """
      LEFT JOIN LATERAL (
        SELECT c.id, c.status, c.previous_status, c.last_modified, c.state, c.payload_id, m.message_id, m.received_at
          FROM claim c JOIN inbound_message m ON m.id = c.inbound_message_id
         WHERE c.outage_mrid = o.outage_mrid AND c.participant = o.participant AND c.version = o.newest_version
         ORDER BY c.id
         LIMIT 1
      ) n ON true
      """;

  private static final String COLUMNS = """
      o.participant, o.outage_mrid, o.outage_type, o.newest_version, o.created_at, o.updated_at,
      n.id AS claim_id, n.status, n.previous_status, n.last_modified, n.state AS claim_state, n.payload_id,
      n.message_id, n.received_at
      """;

  /** The window in index order: every participant; $1 changed since, $2..$4 the cursor's key, $5 the window. */
  private static final String WINDOW_ALL = """
      SELECT * FROM outage
       WHERE updated_at >= $1 AND (updated_at, participant, outage_mrid) < ($2, $3, $4)
       ORDER BY updated_at DESC, participant DESC, outage_mrid DESC
       LIMIT $5
      """;

  /** The same for participant $3 (its key then orders the cursor's participant out). */
  private static final String WINDOW_OF_PARTICIPANT = """
      SELECT * FROM outage
       WHERE participant = $3 AND updated_at >= $1 AND (updated_at, outage_mrid) < ($2, $4)
       ORDER BY updated_at DESC, outage_mrid DESC
       LIMIT $5
      """;

  /** $6 type, $7 lower-case LIKE pattern of the mRID, $8 status (each null = any). */
  private static final String FILTERED = """
       WHERE ($6::text IS NULL OR upper(o.outage_type) = upper($6))
         AND ($7::text IS NULL OR lower(o.outage_mrid) LIKE $7)
         AND ($8::text IS NULL OR upper(n.status) = upper($8))
      """;

  /** Each outage's newest state, newest change first, of every participant. $9 the page size + 1. */
  static final String LIST_ALL = "SELECT " + COLUMNS + " FROM (" + WINDOW_ALL + ") o " + NEWEST + FILTERED
      + " ORDER BY o.updated_at DESC, o.participant DESC, o.outage_mrid DESC LIMIT $9";

  /** The same of one participant (the window's order, so that nothing is sorted again). */
  static final String LIST_OF_PARTICIPANT = "SELECT " + COLUMNS + " FROM (" + WINDOW_OF_PARTICIPANT + ") o "
      + NEWEST + FILTERED + " ORDER BY o.updated_at DESC, o.outage_mrid DESC LIMIT $9";

  /** The key of the window's last outage ($1..$5 as in the listing), or no row when the window was not full. */
  static final String WINDOW_END_ALL = "SELECT updated_at, participant, outage_mrid FROM (" + WINDOW_ALL
      + ") w ORDER BY updated_at DESC, participant DESC, outage_mrid DESC OFFSET $5 - 1 LIMIT 1";

  static final String WINDOW_END_OF_PARTICIPANT = "SELECT updated_at, participant, outage_mrid FROM ("
      + WINDOW_OF_PARTICIPANT + ") w ORDER BY updated_at DESC, outage_mrid DESC OFFSET $5 - 1 LIMIT 1";

  /** One outage. $1 participant, $2 mRID. */
  static final String ONE = """
      SELECT participant, outage_mrid, outage_type, newest_version, created_at, updated_at
        FROM outage WHERE participant = $1 AND outage_mrid = $2
      """;

  /**
   * Every version of an outage pushed or caught up, newest first: its message, its claim and the
   * event that published it. $1 participant, $2 mRID, $3 at most this many.
   */
  static final String VERSIONS = """
      SELECT c.id, c.version, c.status, c.previous_status, c.last_modified, c.outage_type, c.state, c.attempts,
             c.transient_failures, c.lost_fetches, c.dead_reason, c.last_error, c.service, c.lookup, c.payload_id,
             c.next_attempt_at, c.created_at, c.updated_at, c.redeemed_at,
             m.message_id, m.received_at, m.action,
             (SELECT e.id FROM event e WHERE e.claim_id = c.id ORDER BY e.created_at LIMIT 1) AS event_id
        FROM claim c JOIN inbound_message m ON m.id = c.inbound_message_id
       WHERE c.participant = $1 AND c.outage_mrid = $2 AND c.kind = 'OUTAGE'
       ORDER BY c.version DESC, c.id DESC
       LIMIT $3
      """;

  /** The deliveries of every event of an outage, by subscriber, newest version first. $1, $2 as above, $3 limit. */
  static final String DELIVERIES = "SELECT " + EventsSql.DELIVERY_COLUMNS + """
        FROM event e JOIN delivery d ON d.event_id = e.id LEFT JOIN subscriber s ON s.id = d.subscriber_id
       WHERE e.outage_mrid = $2 AND e.participant = $1
       ORDER BY d.subscriber_id, e.outage_version DESC, d.created_at DESC
       LIMIT $3
      """;
}
