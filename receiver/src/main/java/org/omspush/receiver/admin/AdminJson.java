package org.omspush.receiver.admin;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.omspush.fanout.SubscriberDraft;
import org.omspush.fanout.SubscriberProblem;
import org.omspush.store.fanout.DeliveryRecord;
import org.omspush.store.fanout.Subscriber;
import org.omspush.store.fanout.SubscriberSecret;

/** The admin API's JSON: requests into drafts, records into answers. Times are RFC 3339 UTC. */
final class AdminJson {
  private static final Set<String> SUBSCRIBER_FIELDS = Set.of("url", "description", "eventTypes", "outageTypes",
      "markets", "participants", "enabled", "maxInFlight", "clientCertificate", "validationHandshake", "secret");

  private AdminJson() {}

  /** Refuses a field not in {@code known}: a typo must not pass silently. */
  static JsonObject onlyKnown(JsonObject j, Set<String> known) {
    for (String name : j.fieldNames()) {
      if (!known.contains(name)) {
        throw SubscriberProblem.invalid("unknown field '" + name + "'; known: " + new java.util.TreeSet<>(known));
      }
    }
    return j;
  }

  /** A subscriber to create or the fields to change; unknown fields are refused. */
  static SubscriberDraft draft(JsonObject j) {
    onlyKnown(j, SUBSCRIBER_FIELDS);
    String cert = null;
    String key = null;
    boolean remove = false;
    if (j.containsKey("clientCertificate")) {
      Object c = j.getValue("clientCertificate");
      if (c == null) {
        remove = true;
      } else if (c instanceof JsonObject o) {
        cert = string(o, "certificate");
        key = string(o, "key");
        if (cert == null || key == null) {
          throw SubscriberProblem.invalid("clientCertificate needs certificate and key (PEM), or null to remove it");
        }
      } else {
        throw SubscriberProblem.invalid("clientCertificate must be {\"certificate\": PEM, \"key\": PEM} or null");
      }
    }
    return new SubscriberDraft(string(j, "url"), string(j, "description"), strings(j, "eventTypes"),
        strings(j, "outageTypes"), strings(j, "markets"), strings(j, "participants"),
        bool(j, "enabled"), integer(j, "maxInFlight"), cert, key,
        remove, bool(j, "validationHandshake"), string(j, "secret"));
  }

  static JsonObject subscriber(Subscriber s) {
    JsonArray secrets = new JsonArray();
    for (SubscriberSecret k : s.secrets()) {
      secrets.add(new JsonObject().put("createdAt", time(k.createdAt())).put("expiresAt", time(k.expiresAt())));
    }
    return new JsonObject()
        .put("id", s.id().toString())
        .put("url", s.url())
        .put("description", s.description())
        .put("eventTypes", new JsonArray(new ArrayList<>(s.eventTypes())))
        .put("outageTypes", s.outageTypes() == null ? null : new JsonArray(new ArrayList<>(s.outageTypes())))
        .put("markets", s.markets() == null ? null : new JsonArray(new ArrayList<>(s.markets())))
        .put("participants", s.participants() == null ? null : new JsonArray(new ArrayList<>(s.participants())))
        .put("enabled", s.enabled())
        .put("disabledReason", s.disabledReason())
        .put("maxInFlight", s.maxInFlight())
        .put("validationHandshake", s.validationHandshake())
        .put("clientCertificate", certificate(s.clientCertPem()))
        .put("circuitBreaker", new JsonObject()
            .put("consecutiveFailures", s.consecutiveFailures())
            .put("pausedUntil", time(s.pausedUntil())))
        .put("secrets", secrets)
        .put("createdAt", time(s.createdAt()))
        .put("updatedAt", time(s.updatedAt()));
  }

  /** The subscriber with its current secret: only in the answers to a creation and a rotation. */
  static JsonObject withSecret(Subscriber s) {
    return subscriber(s).put("secret", s.secrets().isEmpty() ? null : s.secrets().get(0).secret());
  }

  static JsonObject delivery(DeliveryRecord d) {
    return new JsonObject()
        .put("id", d.id().toString())
        .put("participant", d.participant())
        .put("eventId", d.eventId().toString())
        .put("eventType", d.eventType())
        .put("subject", d.subject())
        .put("outageMRID", d.outageMRID())
        .put("outageVersion", d.outageVersion())
        .put("state", d.state())
        .put("attempts", d.attempts())
        .put("nextAttemptAt", "PENDING".equals(d.state()) ? time(d.nextAttemptAt()) : null)
        .put("lastStatus", d.lastStatus())
        .put("lastError", d.lastError())
        .put("lastResponse", d.lastResponse())
        .put("createdAt", time(d.createdAt()))
        .put("updatedAt", time(d.updatedAt()))
        .put("deliveredAt", time(d.deliveredAt()));
  }

  static String time(OffsetDateTime t) {
    return t == null ? null : t.toInstant().toString();
  }

  private static JsonObject certificate(String pem) {
    if (pem == null) {
      return null;
    }
    try {
      X509Certificate c = (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
      return new JsonObject().put("subject", c.getSubjectX500Principal().getName())
          .put("notAfter", c.getNotAfter().toInstant().toString());
    } catch (Exception e) {
      return new JsonObject().put("subject", null);
    }
  }

  private static String string(JsonObject j, String name) {
    Object v = j.getValue(name);
    if (v == null || v instanceof String) {
      return (String) v;
    }
    throw SubscriberProblem.invalid(name + " must be a string");
  }

  private static Boolean bool(JsonObject j, String name) {
    Object v = j.getValue(name);
    if (v == null || v instanceof Boolean) {
      return (Boolean) v;
    }
    throw SubscriberProblem.invalid(name + " must be true or false");
  }

  private static Integer integer(JsonObject j, String name) {
    Object v = j.getValue(name);
    if (v == null) {
      return null;
    }
    if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && Math.abs(n.doubleValue()) < 1e9) {
      return n.intValue();
    }
    throw SubscriberProblem.invalid(name + " must be a whole number");
  }

  /** null when absent; an explicit null or [] = an empty list (for filters: every value). */
  private static List<String> strings(JsonObject j, String name) {
    if (!j.containsKey(name)) {
      return null;
    }
    Object v = j.getValue(name);
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof JsonArray a)) {
      throw SubscriberProblem.invalid(name + " must be a list of strings");
    }
    List<String> out = new ArrayList<>();
    for (Object o : a) {
      if (!(o instanceof String s)) {
        throw SubscriberProblem.invalid(name + " must be a list of strings");
      }
      out.add(s);
    }
    return out;
  }
}
