package org.omspush.store.secrets;

/**
 * Every column that holds a secret, sealed: where it is, the plaintext column it replaces (kept
 * for rows written before V16 until start-up seals them), and how its associated data names the
 * row ({@link #place}).
 */
public enum SealedColumn {
  /** Standard Webhooks signing secrets ({@code whsec_…}), bound to their subscriber. */
  SUBSCRIBER_SECRET("subscriber_secret", "id", "subscriber_id", "secret", "secret_sealed", true),
  /** Subscribers' client private keys (PEM), bound to their subscriber. */
  SUBSCRIBER_CLIENT_KEY("subscriber", "id", "id", "client_key_pem", "client_key_sealed", true),
  /** Shared server-side keys (the payload-link HMAC key), bound to their name. */
  SHARED_KEY("fanout_key", "name", "name", "key", "key_sealed", false);

  final String table;
  final String rowKey;
  final String owner;
  final String plain;
  final String sealed;
  final boolean text;

  SealedColumn(String table, String rowKey, String owner, String plain, String sealed, boolean text) {
    this.table = table;
    this.rowKey = rowKey;
    this.owner = owner;
    this.plain = plain;
    this.sealed = sealed;
    this.text = text;
  }

  /** The associated data of a value: table, column and the row's owner, e.g. {@code subscriber_secret:<uuid>}. */
  public String place(Object owner) {
    return table + "." + sealed + ":" + owner;
  }
}
