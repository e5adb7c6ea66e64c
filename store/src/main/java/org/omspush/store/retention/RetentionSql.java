package org.omspush.store.retention;

/**
 * Every SQL statement of data retention. Ages are measured on the database clock.
 *
 * <p>Each delete is one statement, so one short transaction: it picks at most $2 rows older than
 * $1 seconds that nothing references any more, locks them (SKIP LOCKED: a row a worker holds right
 * now is left for the next batch), and deletes them. Under READ COMMITTED a picked row that
 * another transaction changed meanwhile is checked again against the conditions before it is
 * locked, so e.g. a dead delivery an operator just replayed is not deleted.
 *
 * <p>The order of {@link #DELETES} follows the foreign keys: delivery → event → claim →
 * market_event, payload → inbound_message, so what one step frees the next can delete in the
 * same run. The outage rows themselves are kept: one small row per outage, the newest version.
 *
 * <p>No index names delivery.updated_at, on purpose: the queue's lease updates set it and must
 * stay HOT (V7). The delivery batches scan the table for their rows instead, once an interval.
 */
final class RetentionSql {
  private RetentionSql() {}

  /**
   * Delivered or skipped deliveries. A delivered version stays while an older version of its
   * outage is still pending for the same subscriber: it is what marks that one superseded.
   */
  static final String DELETE_FINISHED_DELIVERIES = """
      DELETE FROM delivery WHERE id IN (
        SELECT d.id FROM delivery d
         WHERE d.state IN ('DELIVERED', 'SKIPPED') AND d.updated_at < now() - make_interval(secs => $1)
           AND NOT (d.state = 'DELIVERED' AND d.outage_mrid IS NOT NULL AND EXISTS (
                      SELECT 1 FROM delivery p
                       WHERE p.subscriber_id = d.subscriber_id AND p.outage_mrid = d.outage_mrid
                         AND p.participant = d.participant
                         AND p.state = 'PENDING' AND p.outage_version < d.outage_version))
         LIMIT $2
           FOR UPDATE SKIP LOCKED)
      """;

  /** Dead letters, after their own (longer) age: an operator may still replay them until then. */
  static final String DELETE_DEAD_DELIVERIES = """
      DELETE FROM delivery WHERE id IN (
        SELECT d.id FROM delivery d
         WHERE d.state = 'DEAD' AND d.updated_at < now() - make_interval(secs => $1)
         LIMIT $2
           FOR UPDATE SKIP LOCKED)
      """;

  /**
   * Events no delivery refers to. The newest event of an outage stays: publishing a version
   * checks that no event of the outage has this version or a newer one (RedemptionSql
   * COMPLETE_OUTAGE), so subscribers never get an older version after a newer one.
   */
  static final String DELETE_EVENTS = """
      DELETE FROM event WHERE id IN (
        SELECT e.id FROM event e
         WHERE e.created_at < now() - make_interval(secs => $1)
           AND NOT EXISTS (SELECT 1 FROM delivery d WHERE d.event_id = e.id)
           AND (e.outage_mrid IS NULL
                OR EXISTS (SELECT 1 FROM event n
                            WHERE n.outage_mrid = e.outage_mrid AND n.participant = e.participant
                              AND n.outage_version > e.outage_version))
         LIMIT $2
           FOR UPDATE SKIP LOCKED)
      """;

  /**
   * Finished claims (never PENDING: those are still to redeem) that no event refers to. The
   * newest claim of an outage stays (the highest version; of equal versions the last stored): a
   * later push of an older version must still find it and be stored SUPERSEDED (PushSql
   * STORE_OUTAGE_CHANGE).
   */
  static final String DELETE_CLAIMS = """
      DELETE FROM claim WHERE id IN (
        SELECT c.id FROM claim c
         WHERE c.state IN ('SUPERSEDED', 'REDEEMED', 'DEAD') AND c.updated_at < now() - make_interval(secs => $1)
           AND NOT EXISTS (SELECT 1 FROM event e WHERE e.claim_id = c.id)
           AND (c.outage_mrid IS NULL
                OR EXISTS (SELECT 1 FROM claim n
                            WHERE n.outage_mrid = c.outage_mrid AND n.participant = c.participant
                              AND (n.version > c.version OR (n.version = c.version AND n.id > c.id))))
         LIMIT $2
           FOR UPDATE SKIP LOCKED)
      """;

  /** Market events whose claim (if they had one) is gone. */
  static final String DELETE_MARKET_EVENTS = """
      DELETE FROM market_event WHERE id IN (
        SELECT m.id FROM market_event m
         WHERE m.created_at < now() - make_interval(secs => $1)
           AND NOT EXISTS (SELECT 1 FROM claim c WHERE c.market_event_id = m.id)
         LIMIT $2
           FOR UPDATE SKIP LOCKED)
      """;

  /** Retrieved documents no event and no claim refers to. */
  static final String DELETE_PAYLOADS = """
      DELETE FROM payload WHERE id IN (
        SELECT p.id FROM payload p
         WHERE p.created_at < now() - make_interval(secs => $1)
           AND NOT EXISTS (SELECT 1 FROM event e WHERE e.payload_id = p.id)
           AND NOT EXISTS (SELECT 1 FROM claim c WHERE c.payload_id = p.id)
         LIMIT $2
           FOR UPDATE SKIP LOCKED)
      """;

  /**
   * Raw pushes nothing refers to. A MessageID pushed again after its row is gone is stored as a
   * new message (the newest claim of its outage still marks an old version superseded).
   */
  static final String DELETE_INBOUND_MESSAGES = """
      DELETE FROM inbound_message WHERE id IN (
        SELECT m.id FROM inbound_message m
         WHERE m.received_at < now() - make_interval(secs => $1)
           AND NOT EXISTS (SELECT 1 FROM claim c WHERE c.inbound_message_id = m.id)
           AND NOT EXISTS (SELECT 1 FROM market_event e WHERE e.inbound_message_id = m.id)
           AND NOT EXISTS (SELECT 1 FROM event e WHERE e.inbound_message_id = m.id)
         LIMIT $2
           FOR UPDATE SKIP LOCKED)
      """;

  /** Which age of the policy a delete uses. */
  enum Age { DELIVERIES, DEAD, EVENTS, MESSAGES }

  /** One delete of a run: the table it counts for, the age it uses, its statement. */
  record Delete(String table, Age age, String sql) {}

  /** In foreign-key order. */
  static final java.util.List<Delete> DELETES = java.util.List.of(
      new Delete(RetentionRun.DELIVERY, Age.DELIVERIES, DELETE_FINISHED_DELIVERIES),
      new Delete(RetentionRun.DELIVERY, Age.DEAD, DELETE_DEAD_DELIVERIES),
      new Delete(RetentionRun.EVENT, Age.EVENTS, DELETE_EVENTS),
      new Delete(RetentionRun.CLAIM, Age.MESSAGES, DELETE_CLAIMS),
      new Delete(RetentionRun.MARKET_EVENT, Age.MESSAGES, DELETE_MARKET_EVENTS),
      new Delete(RetentionRun.PAYLOAD, Age.EVENTS, DELETE_PAYLOADS),
      new Delete(RetentionRun.INBOUND_MESSAGE, Age.MESSAGES, DELETE_INBOUND_MESSAGES));

  /**
   * Takes the lease named $1 for owner $2 for $3 seconds: when nobody holds it, when it ran out,
   * or when $2 holds it already (so the holder keeps it from one interval to the next). Returns a
   * row only when taken.
   */
  static final String TAKE_LEASE = """
      INSERT INTO maintenance_lease AS l (name, owner, lease_until)
      VALUES ($1, $2, now() + make_interval(secs => $3))
      ON CONFLICT (name) DO UPDATE
         SET owner = EXCLUDED.owner, lease_until = EXCLUDED.lease_until
       WHERE l.lease_until <= now() OR l.owner = EXCLUDED.owner
      RETURNING lease_until
      """;
}
