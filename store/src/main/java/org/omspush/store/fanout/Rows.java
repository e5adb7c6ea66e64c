package org.omspush.store.fanout;

import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Row ⇄ record mapping of the fan-out tables. */
final class Rows {
  private Rows() {}

  static Subscriber subscriber(Row r, List<SubscriberSecret> secrets) {
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
        r.getString("client_key_pem"),
        r.getBoolean("validation_handshake"),
        r.getInteger("consecutive_failures"),
        r.getOffsetDateTime("paused_until"),
        r.getOffsetDateTime("created_at"),
        r.getOffsetDateTime("updated_at"),
        secrets);
  }

  /** subscriber id → its active secrets, newest first (as the query orders them). */
  static Map<UUID, List<SubscriberSecret>> secrets(RowSet<Row> rows) {
    Map<UUID, List<SubscriberSecret>> out = new LinkedHashMap<>();
    for (Row r : rows) {
      out.computeIfAbsent(r.getUUID("subscriber_id"), k -> new ArrayList<>())
          .add(new SubscriberSecret(r.getString("secret"), r.getOffsetDateTime("created_at"),
              r.getOffsetDateTime("expires_at")));
    }
    return out;
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

  static ClaimRecord claim(Row r) {
    return new ClaimRecord(
        r.getLong("id"),
        r.getString("kind"),
        r.getString("outage_mrid"),
        r.getString("outage_type"),
        r.getLong("version"),
        r.getString("status"),
        r.getString("previous_status"),
        r.getOffsetDateTime("last_modified"),
        r.getLong("market_event_id"),
        r.getString("service"),
        r.getOffsetDateTime("expires_at"),
        r.getString("state"),
        r.getInteger("attempts"),
        r.getOffsetDateTime("next_attempt_at"),
        r.getString("last_error"),
        r.getLong("payload_id"),
        r.getOffsetDateTime("created_at"),
        r.getOffsetDateTime("updated_at"),
        r.getOffsetDateTime("redeemed_at"),
        r.getString("participant"));
  }

  static String[] array(List<String> values) {
    return values == null ? null : values.toArray(String[]::new);
  }

  private static List<String> list(String[] values) {
    return values == null ? null : Arrays.asList(values);
  }
}
