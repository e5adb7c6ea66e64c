package org.omspush.store.secrets;

/**
 * The statements that seal secrets at rest and re-seal them under a new key, one set per
 * {@link SealedColumn} (the same shape for each: the column names come from there).
 */
final class SecretsSql {
  private SecretsSql() {}

  /** Rows per transaction when sealing or re-sealing. */
  static final int BATCH = 200;

  /**
   * A batch of rows to (re-)seal, locked; rows another replica holds are skipped (it is sealing
   * them). Plaintext rows always; sealed rows under another key than $1 unless $2 (plaintext only).
   */
  static String batch(SealedColumn c) {
    return "SELECT " + c.rowKey + " AS row_key, " + c.owner + "::text AS owner, " + c.plain + " AS plain, "
        + c.sealed + " AS sealed, sealing_key_id\n"
        + "  FROM " + c.table + "\n"
        + " WHERE " + c.plain + " IS NOT NULL\n"
        + "    OR (NOT $2::boolean AND " + c.sealed + " IS NOT NULL AND sealing_key_id <> $1::text)\n"
        + " ORDER BY " + c.rowKey + "\n"
        + " LIMIT " + BATCH + "\n"
        + "   FOR UPDATE SKIP LOCKED";
  }

  /** $1 row key, $2 the sealed value, $3 the id of the key that sealed it; the plaintext goes. */
  static String store(SealedColumn c) {
    return "UPDATE " + c.table + " SET " + c.plain + " = NULL, " + c.sealed + " = $2, sealing_key_id = $3 WHERE "
        + c.rowKey + " = $1";
  }

  /** Rows holding a secret, by the key that sealed them ({@code key_id} null: still plaintext). */
  static final String CENSUS = """
      SELECT sealing_key_id AS key_id, count(*) AS secrets
        FROM (SELECT sealing_key_id FROM subscriber_secret
              UNION ALL
              SELECT sealing_key_id FROM subscriber WHERE client_key_pem IS NOT NULL OR client_key_sealed IS NOT NULL
              UNION ALL
              SELECT sealing_key_id FROM fanout_key) s
       GROUP BY sealing_key_id
      """;
}
