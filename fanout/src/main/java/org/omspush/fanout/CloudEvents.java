package org.omspush.fanout;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.omspush.store.fanout.DueDelivery;

/**
 * The envelope subscribers receive: CloudEvents 1.0 in structured JSON mode, exactly as
 * {@code shared/design/events.md} describes it.
 */
public final class CloudEvents {
  /** The Content-Type of a delivery. */
  public static final String CONTENT_TYPE = "application/cloudevents+json";
  public static final String TYPE_PREFIX = "org.omspush.";
  public static final String OUTAGE = "outage.status-changed";
  public static final String MARKET = "market.event";
  private static final DateTimeFormatter MILLIS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private CloudEvents() {}

  /** {@code urn:omspush:receiver:{OMS_INSTANCE_NAME}}. */
  public static String source(String instanceName) {
    return "urn:omspush:receiver:" + instanceName;
  }

  /**
   * @param payload the {@code payload} member of data ({contentType, size, sha256, xml | url}),
   *                or null when the event has none
   */
  public static JsonObject envelope(String source, DueDelivery d, JsonObject payload) {
    JsonObject data = d.data() == null ? new JsonObject() : d.data().copy();
    if (payload != null) {
      data.put("payload", payload);
    }
    JsonObject e = new JsonObject()
        .put("specversion", "1.0")
        .put("id", d.eventId().toString())
        .put("source", source)
        .put("type", TYPE_PREFIX + d.eventType())
        .put("subject", d.subject())
        .put("time", time(d.time().toInstant()))
        .put("datacontenttype", "application/json")
        .put("participant", d.participant());
    if (OUTAGE.equals(d.eventType()) && d.outageVersion() != null) {
      e.put("outageversion", d.outageVersion());
    }
    return e.put("data", data);
  }

  /** RFC 3339 in UTC with milliseconds, as the data's own times are written (finer only when the time is). */
  static String time(Instant t) {
    return t.getNano() % 1_000_000 == 0 ? MILLIS.format(t) : t.toString();
  }

  /** The payload member with the document inline. */
  public static JsonObject inlinePayload(String contentType, long size, String sha256, String xml) {
    return new JsonObject().put("contentType", contentType).put("size", size).put("sha256", sha256).put("xml", xml);
  }

  /** The payload member with a signed URL instead of the document. */
  public static JsonObject linkedPayload(String contentType, long size, String sha256, String url) {
    return new JsonObject().put("contentType", contentType).put("size", size).put("sha256", sha256).put("url", url);
  }
}
