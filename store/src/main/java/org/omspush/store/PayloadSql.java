package org.omspush.store;

/**
 * Documents stored in bounded pieces: written chunk by chunk while a retrieve answer streams in,
 * completed in the transaction that redeems the claim ({@link RedemptionSql}), read back piece
 * by piece for payload links. {@code payload_piece} (V13) is the chunks of a payload, or the one
 * {@code content_gzip} of a row written before chunks existed.
 */
final class PayloadSql {
  private PayloadSql() {}

  /** A payload being written: no size and no hash until the claim that fetched it is redeemed. */
  static final String BEGIN = "INSERT INTO payload (size_bytes, sha256) VALUES (NULL, NULL) RETURNING id";

  /** $1 payload id, $2 seq, $3 gzip bytes. Only while the payload is being written. */
  static final String APPEND = """
      INSERT INTO payload_chunk (payload_id, seq, data)
      SELECT $1, $2, $3 FROM payload WHERE id = $1 AND size_bytes IS NULL
      """;

  /** A payload nothing refers to (a fetch that failed, or one whose claim was lost). $1 payload id. */
  static final String DISCARD = """
      DELETE FROM payload p WHERE p.id = $1
         AND NOT EXISTS (SELECT 1 FROM event e WHERE e.payload_id = p.id)
         AND NOT EXISTS (SELECT 1 FROM claim c WHERE c.payload_id = p.id)
      """;

  /** A complete payload: what describes it and how its pieces are cut. $1 payload id. */
  static final String DESCRIBE = """
      SELECT p.id, p.content_type, p.size_bytes, p.sha256,
             (SELECT count(*) FROM payload_piece pc WHERE pc.payload_id = p.id) AS pieces,
             (SELECT COALESCE(sum(octet_length(pc.data)), 0) FROM payload_piece pc WHERE pc.payload_id = p.id)
               AS gzip_bytes
        FROM payload p WHERE p.id = $1 AND p.size_bytes IS NOT NULL
      """;

  /** The pieces of a payload from $2 on, in order, at most $3 of them. $1 payload id. */
  static final String PIECES = """
      SELECT data FROM payload_piece WHERE payload_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3
      """;
}
