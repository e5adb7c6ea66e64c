package org.omspush.store.fanout;

import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.omspush.store.secrets.SealedColumn;
import org.omspush.store.secrets.SealedSecretException;
import org.omspush.store.secrets.SealedValue;
import org.omspush.store.secrets.SecretKeys;

/** Row ⇄ record mapping of the fan-out tables. */
final class Rows {
  private Rows() {}

  /** @throws SealedSecretException when its client key is sealed and does not open */
  static Subscriber subscriber(Row r, List<SubscriberSecret> secrets, SecretKeys keys) {
    return new Subscriber(
        r.getUUID("id"),
        r.getString("url"),
        r.getString("description"),
        list(r.getArrayOfStrings("event_types")),
        list(r.getArrayOfStrings("outage_types")),
        list(r.getArrayOfStrings("markets")),
        list(r.getArrayOfStrings("participants")),
        r.getBoolean("enabled"),
        r.getString("disabled_reason"),
        r.getInteger("max_in_flight"),
        r.getString("client_cert_pem"),
        opened(r, SealedColumn.SUBSCRIBER_CLIENT_KEY, "client_key_pem", "client_key_sealed", r.getUUID("id"), keys),
        r.getBoolean("validation_handshake"),
        r.getInteger("consecutive_failures"),
        r.getOffsetDateTime("paused_until"),
        r.getOffsetDateTime("created_at"),
        r.getOffsetDateTime("updated_at"),
        secrets);
  }

  /**
   * subscriber id → its active secrets, newest first (as the query orders them). A subscriber with
   * a secret that does not open is left out and put in {@code unreadable}.
   */
  static Map<UUID, List<SubscriberSecret>> secrets(RowSet<Row> rows, SecretKeys keys,
      Map<UUID, SealedSecretException> unreadable) {
    Map<UUID, List<SubscriberSecret>> out = new LinkedHashMap<>();
    for (Row r : rows) {
      UUID subscriber = r.getUUID("subscriber_id");
      if (unreadable.containsKey(subscriber)) {
        continue;
      }
      try {
        String secret = opened(r, SealedColumn.SUBSCRIBER_SECRET, "secret", "secret_sealed", subscriber, keys);
        out.computeIfAbsent(subscriber, k -> new ArrayList<>())
            .add(new SubscriberSecret(secret, r.getOffsetDateTime("created_at"), r.getOffsetDateTime("expires_at")));
      } catch (SealedSecretException e) {
        unreadable.put(subscriber, e);
        out.remove(subscriber);
      }
    }
    return out;
  }

  /** A secret column's value: opened when sealed, as is when the row still has plaintext (written before V16). */
  static String opened(Row r, SealedColumn column, String plain, String sealed, Object owner, SecretKeys keys) {
    String text = r.getString(plain);
    if (text != null) {
      return text;
    }
    Buffer box = r.getBuffer(sealed);
    return box == null ? null
        : keys.openText(new SealedValue(r.getString("sealing_key_id"), box.getBytes()), column.place(owner));
  }

  static DueDelivery due(Row r) {
    return new DueDelivery(
        r.getUUID("id"),
        r.getUUID("subscriber_id"),
        r.getUUID("event_id"),
        r.getInteger("attempts"),
        r.getOffsetDateTime("event_created_at"),
        r.getString("type"),
        r.getString("subject"),
        r.getOffsetDateTime("time"),
        r.getLong("outage_version"),
        r.getJsonObject("data"),
        r.getLong("payload_id"),
        r.getString("payload_content_type"),
        r.getLong("payload_size"),
        r.getString("payload_sha256"),
        r.getBuffer("payload_gzip"),
        r.getString("participant"));
  }

  static DeliveryRecord delivery(Row r) {
    return new DeliveryRecord(
        r.getUUID("id"),
        r.getUUID("event_id"),
        r.getString("type"),
        r.getString("subject"),
        r.getString("outage_mrid"),
        r.getLong("outage_version"),
        r.getString("state"),
        r.getInteger("attempts"),
        r.getOffsetDateTime("next_attempt_at"),
        r.getInteger("last_status"),
        r.getString("last_error"),
        r.getString("last_response"),
        r.getOffsetDateTime("created_at"),
        r.getOffsetDateTime("updated_at"),
        r.getOffsetDateTime("delivered_at"),
        r.getString("participant"));
  }

  static String[] array(List<String> values) {
    return values == null ? null : values.toArray(String[]::new);
  }

  private static List<String> list(String[] values) {
    return values == null ? null : Arrays.asList(values);
  }
}
