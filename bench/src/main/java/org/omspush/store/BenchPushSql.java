package org.omspush.store;

/**
 * The receiver's own ingest SQL, for the benchmark's "SQL only" pgbench run. Lives in the store's
 * package (inside the bench module, so no other module changes) because {@link PushSql} is
 * package-private; reading it here keeps that run in step with the statements the receiver really
 * sends.
 */
public final class BenchPushSql {
  private BenchPushSql() {}

  /** An outage change: one statement, the call of store_outage_change (V23). */
  public static String storeOutageChange() {
    return PushSql.STORE_OUTAGE_CHANGE;
  }
}
