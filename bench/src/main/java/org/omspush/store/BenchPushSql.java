package org.omspush.store;

/**
 * The receiver's own ingest SQL, for the benchmark's "SQL only" pgbench run. Lives in the store's
 * package (inside the bench module, so no other module changes) because {@link PushSql} is
 * package-private; reading it here keeps that run in step with the statements the receiver really
 * sends.
 */
public final class BenchPushSql {
  private BenchPushSql() {}

  /** Step 1 of an outage change: message row and outage row lock. */
  public static String insertMessageLockOutage() {
    return PushSql.INSERT_MESSAGE_LOCK_OUTAGE;
  }

  /** Step 2 of an outage change: the claim, superseding older pending ones. */
  public static String insertOutageClaim() {
    return PushSql.INSERT_OUTAGE_CLAIM;
  }
}
