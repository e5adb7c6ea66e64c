package org.omspush.store.testing;

import static org.omspush.store.testing.TestDatabase.execute;
import static org.omspush.store.testing.TestDatabase.queryLong;
import static org.omspush.store.testing.TestDatabase.rows;

import java.util.UUID;
import org.omspush.store.DatabaseUrl;

/**
 * Rows of every table retention deletes from, written directly with SQL so a test controls their
 * states and references, and {@link #makeOld} to move their timestamps back on the database clock
 * (no sleeping). Blocking (JDBC): call it from test code.
 */
public final class RetentionRows {
  private final DatabaseUrl db;
  private int messages;

  public RetentionRows(DatabaseUrl db) {
    this.db = db;
  }

  /** A raw push; returns its id. */
  public long message() {
    return queryLong(db, "INSERT INTO inbound_message (message_id, action, raw_xml) VALUES (?, 'test', ?) RETURNING id",
        "msg-" + UUID.randomUUID() + "-" + (++messages), new byte[] {1});
  }

  /** An outage claim of {@code mrid} version {@code version} in {@code state}, with its own message. */
  public long outageClaim(String mrid, long version, String state) {
    long message = message();
    execute(db, "INSERT INTO outage (outage_mrid, newest_version) VALUES (?, ?) ON CONFLICT (participant, outage_mrid) DO UPDATE"
        + " SET newest_version = GREATEST(outage.newest_version, EXCLUDED.newest_version)", mrid, version);
    return queryLong(db, "INSERT INTO claim (inbound_message_id, kind, outage_mrid, version, status, service, state)"
        + " VALUES (?, 'OUTAGE', ?, ?, 'APPROVED', 'svc', ?) RETURNING id", message, mrid, version, state);
  }

  /** A market event with its own message; returns the market_event id. */
  public long marketEvent() {
    long message = message();
    return queryLong(db, "INSERT INTO market_event (inbound_message_id, event_id, event_type, market, trade_date,"
        + " event_time, fanout_state) VALUES (?, 'ev', 'MARKET_CLOSED', 'DAM', current_date, now(), 'READY')"
        + " RETURNING id", message);
  }

  /** The claim check of a market event, in {@code state}. */
  public long marketClaim(long marketEventId, String state) {
    long message = queryLong(db, "SELECT inbound_message_id FROM market_event WHERE id = ?", marketEventId);
    return queryLong(db, "INSERT INTO claim (inbound_message_id, kind, market_event_id, token, service, state)"
        + " VALUES (?, 'MARKET_EVENT', ?, 'tok', 'svc', ?) RETURNING id", message, marketEventId, state);
  }

  /** A retrieved document. */
  public long payload() {
    return queryLong(db, "INSERT INTO payload (content_gzip, size_bytes, sha256) VALUES (?, 1, ?) RETURNING id",
        new byte[] {1}, "a".repeat(64));
  }

  /** Sets a claim's payload (as redemption does). */
  public void claimPayload(long claimId, long payloadId) {
    execute(db, "UPDATE claim SET payload_id = ? WHERE id = ?", payloadId, claimId);
  }

  /** A market event in the outbox; references may be null. */
  public UUID marketEventOutbox(Long payloadId, Long messageId, Long claimId) {
    return event("market.event", null, null, payloadId, messageId, claimId);
  }

  /** An outage event of {@code mrid} version {@code version}; references may be null. */
  public UUID outageEvent(String mrid, long version, Long payloadId, Long messageId, Long claimId) {
    return event("outage.status-changed", mrid, version, payloadId, messageId, claimId);
  }

  private UUID event(String type, String mrid, Long version, Long payloadId, Long messageId, Long claimId) {
    UUID id = UUID.randomUUID();
    execute(db, "INSERT INTO event (id, type, subject, time, outage_mrid, outage_version, data, payload_id,"
        + " inbound_message_id, claim_id) VALUES (?, ?, 's', now(), ?, ?, '{}'::jsonb, ?, ?, ?)",
        id, type, mrid, version, payloadId, messageId, claimId);
    return id;
  }

  /**
   * A subscriber. Disabled, so the fan-out trigger writes no delivery by itself: tests add the
   * deliveries they want with {@link #delivery}.
   */
  public UUID subscriber() {
    UUID id = UUID.randomUUID();
    execute(db, "INSERT INTO subscriber (id, url, event_types, enabled) VALUES (?, 'https://127.0.0.1/hook',"
        + " ARRAY['outage.status-changed', 'market.event'], false)", id);
    return id;
  }

  /** A delivery of {@code event} to {@code subscriber} in {@code state}. */
  public UUID delivery(UUID event, UUID subscriber, String state) {
    return (UUID) rows(db, "INSERT INTO delivery (event_id, subscriber_id, outage_mrid, outage_version,"
        + " event_created_at, state) SELECT e.id, ?, e.outage_mrid, e.outage_version, e.created_at, ?"
        + " FROM event e WHERE e.id = ? RETURNING id", subscriber, state, event).get(0).get("id");
  }

  /**
   * Moves every timestamp retention looks at back by {@code days} days for the rows of {@code
   * table} matching {@code where} (with {@code ?} parameters), on the database clock.
   */
  public int makeOld(String table, int days, String where, Object... params) {
    String column = switch (table) {
      case "delivery", "claim" -> "updated_at";
      case "inbound_message" -> "received_at";
      case "event", "payload", "market_event" -> "created_at";
      default -> throw new IllegalArgumentException("not a table retention deletes from: " + table);
    };
    return execute(db, "UPDATE " + table + " SET " + column + " = now() - make_interval(days => " + days + ")"
        + (where == null ? "" : " WHERE " + where), params);
  }

  /** Every row of every table retention deletes from, {@code days} old. */
  public void makeAllOld(int days) {
    for (String table : new String[] {"delivery", "claim", "inbound_message", "event", "payload", "market_event"}) {
      makeOld(table, days, null);
    }
  }
}
