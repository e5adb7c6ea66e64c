package org.omspush.store;

/** The read API's statements on market events and on an event's deliveries: read only, each on an index. */
final class EventsSql {
  private EventsSql() {}

  /**
   * A delivery as operators see it (d: delivery, e: its event, s: its subscriber); last_response
   * is already an excerpt (the fan-out keeps the first 2 KB of an answer).
   */
  static final String DELIVERY_COLUMNS = """
      d.id, d.event_id, e.outage_version, d.subscriber_id, s.url AS subscriber_url, d.state, d.attempts,
      d.last_status, d.last_error, d.last_response AS response_excerpt, d.next_attempt_at, d.created_at,
      d.updated_at, d.delivered_at
      """;

  /** One event. $1 its id. */
  static final String EVENT = """
      SELECT id, participant, type, subject, time, outage_mrid, outage_version, market, event_type, created_at
        FROM event WHERE id = $1
      """;

  /** The deliveries of event $1, one per subscriber, oldest first. */
  static final String EVENT_DELIVERIES = "SELECT " + DELIVERY_COLUMNS + """
        FROM delivery d JOIN event e ON e.id = d.event_id LEFT JOIN subscriber s ON s.id = d.subscriber_id
       WHERE d.event_id = $1
       ORDER BY d.created_at, d.subscriber_id
      """;

  /**
   * The window of market events in index order: $1 arrived since, $2, $3 the cursor's key
   * (created_at, id), $4 the window.
   */
  private static final String WINDOW = """
      SELECT * FROM market_event
       WHERE created_at >= $1 AND (created_at, id) < ($2, $3)
       ORDER BY created_at DESC, id DESC
       LIMIT $4
      """;

  /**
   * Market events newest first, with their message, claim and the event that published them.
   * $5 participant, $6 market (each null = any), $7 the page size + 1.
   */
  static final String MARKET_EVENTS = "SELECT me.id, me.participant, me.event_id, me.event_type, me.market, "
      + "me.trade_date, me.event_time, me.description, me.fanout_state, me.created_at, m.message_id, m.received_at, "
      + "c.id AS claim_id, c.state AS claim_state, "
      + "(SELECT e.id FROM event e WHERE e.inbound_message_id = me.inbound_message_id ORDER BY e.created_at LIMIT 1)"
      + " AS outbox_event_id FROM (" + WINDOW + ") me" + """
        JOIN inbound_message m ON m.id = me.inbound_message_id
        LEFT JOIN LATERAL (
          SELECT id, state FROM claim WHERE market_event_id = me.id ORDER BY id LIMIT 1
        ) c ON true
       WHERE ($5::text IS NULL OR me.participant = $5) AND ($6::text IS NULL OR upper(me.market) = upper($6))
       ORDER BY me.created_at DESC, me.id DESC
       LIMIT $7
      """;

  /** The key of the window's last market event ($1..$4 as above), or no row when it was not full. */
  static final String MARKET_WINDOW_END = "SELECT created_at, id FROM (" + WINDOW
      + ") w ORDER BY created_at DESC, id DESC OFFSET $4 - 1 LIMIT 1";
}
