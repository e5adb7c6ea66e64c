package org.omspush.fanout;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import org.omspush.store.ParticipantKey;
import org.omspush.store.fanout.DeliveryRecord;
import org.omspush.store.fanout.DeliveryStore;
import org.omspush.store.fanout.Subscriber;
import org.omspush.store.fanout.SubscriberFields;
import org.omspush.store.fanout.SubscriberStore;

/**
 * What operators do with subscribers (the admin API calls this): validation, the SSRF check of
 * the URL, the optional validation handshake, secrets and their rotation, deliveries and
 * replays. A request that cannot be carried out fails with {@link SubscriberProblem}.
 */
public final class Subscribers {
  public static final Set<String> EVENT_TYPES = Set.of(CloudEvents.OUTAGE, CloudEvents.MARKET);
  public static final Set<String> DELIVERY_STATES = Set.of("PENDING", "DELIVERED", "SKIPPED", "DEAD");
  private static final Duration MAX_GRACE = Duration.ofDays(30);

  private final Vertx vertx;
  private final SubscriberStore store;
  private final DeliveryStore deliveries;
  private final SubscriberHttp http;
  private final FanoutSettings settings;
  private final Supplier<String> origin;

  /** @param origin the {@code WebHook-Request-Origin} of the validation handshake (this receiver's host name) */
  public Subscribers(Vertx vertx, SubscriberStore store, DeliveryStore deliveries, SubscriberHttp http,
      FanoutSettings settings, Supplier<String> origin) {
    this.vertx = vertx;
    this.store = store;
    this.deliveries = deliveries;
    this.http = http;
    this.settings = settings;
    this.origin = origin;
  }

  public Future<Subscriber> create(SubscriberDraft d) {
    SubscriberFields fields;
    String secret;
    try {
      if (d.url() == null) {
        throw SubscriberProblem.invalid("url is required");
      }
      if (d.eventTypes() == null) {
        throw SubscriberProblem.invalid("eventTypes is required: a list of " + EVENT_TYPES);
      }
      boolean cert = d.clientCertPem() != null || d.clientKeyPem() != null;
      fields = validate(new SubscriberFields(d.url().strip(), emptyToNull(d.description()), d.eventTypes(),
          emptyToNull(d.outageTypes()), emptyToNull(d.markets()), emptyToNull(d.participants()),
          d.enabled() == null || d.enabled(),
          d.maxInFlight() == null ? settings.subscriberConcurrency() : d.maxInFlight(),
          cert ? d.clientCertPem() : null, cert ? d.clientKeyPem() : null,
          Boolean.TRUE.equals(d.validationHandshake())));
      secret = d.secret() == null ? WebhookSignature.newSecret() : validSecret(d.secret());
    } catch (SubscriberProblem p) {
      return Future.failedFuture(p);
    }
    return checkDestination(fields)
        .compose(v -> fields.validationHandshake() ? handshake(fields) : Future.succeededFuture())
        .compose(v -> store.create(UUID.randomUUID(), fields, secret));
  }

  public Future<Subscriber> update(UUID id, SubscriberDraft d) {
    return get(id).compose(current -> {
      SubscriberFields was = current.fields();
      SubscriberFields next;
      try {
        if (d.secret() != null) {
          throw SubscriberProblem.invalid("the secret is changed by POST /api/v1/subscribers/{id}/secrets/rotate");
        }
        String cert = was.clientCertPem();
        String key = was.clientKeyPem();
        if (d.removeClientCertificate()) {
          cert = null;
          key = null;
        } else if (d.clientCertPem() != null || d.clientKeyPem() != null) {
          cert = d.clientCertPem();
          key = d.clientKeyPem();
        }
        next = validate(new SubscriberFields(
            d.url() == null ? was.url() : d.url().strip(),
            d.description() == null ? was.description() : emptyToNull(d.description()),
            d.eventTypes() == null ? was.eventTypes() : d.eventTypes(),
            d.outageTypes() == null ? was.outageTypes() : emptyToNull(d.outageTypes()),
            d.markets() == null ? was.markets() : emptyToNull(d.markets()),
            d.participants() == null ? was.participants() : emptyToNull(d.participants()),
            d.enabled() == null ? was.enabled() : d.enabled(),
            d.maxInFlight() == null ? was.maxInFlight() : d.maxInFlight(),
            cert, key,
            d.validationHandshake() == null ? was.validationHandshake() : d.validationHandshake()));
      } catch (SubscriberProblem p) {
        return Future.failedFuture(p);
      }
      boolean newUrl = !next.url().equals(was.url());
      boolean newHandshake = next.validationHandshake()
          && (newUrl || !was.validationHandshake() || !Objects.equals(next.clientCertPem(), was.clientCertPem()));
      // a new URL is checked; so is an old one enabled again (the rules may have changed meanwhile)
      boolean recheck = newUrl || (next.enabled() && !was.enabled());
      return (recheck ? checkDestination(next) : Future.<Void>succeededFuture())
          .compose(v -> newHandshake ? handshake(next) : Future.succeededFuture())
          .compose(v -> store.update(id, next, "disabled by an operator"))
          .compose(s -> {
            if (s == null) {
              return Future.failedFuture(SubscriberProblem.notFound("no subscriber " + id));
            }
            http.forget(id);
            return Future.succeededFuture(s);
          });
    });
  }

  /** Fails with 404 when there is none. */
  public Future<Subscriber> get(UUID id) {
    return store.get(id).compose(s -> s == null
        ? Future.failedFuture(SubscriberProblem.notFound("no subscriber " + id))
        : Future.succeededFuture(s));
  }

  public Future<List<Subscriber>> list() {
    return store.list();
  }

  public Future<Void> delete(UUID id) {
    return store.delete(id).compose(found -> {
      if (!found) {
        return Future.failedFuture(SubscriberProblem.notFound("no subscriber " + id));
      }
      http.forget(id);
      return Future.succeededFuture();
    });
  }

  /**
   * A new current secret (the given one or a generated one); the previous one keeps signing
   * for {@code grace} (null = the configured default).
   */
  public Future<Subscriber> rotateSecret(UUID id, String secret, Duration grace) {
    String next;
    Duration g = grace == null ? settings.secretGrace() : grace;
    try {
      next = secret == null ? WebhookSignature.newSecret() : validSecret(secret);
      if (g.isNegative() || g.compareTo(MAX_GRACE) > 0) {
        throw SubscriberProblem.invalid("the old secret may keep signing for 0 to 30 days, not " + g);
      }
    } catch (SubscriberProblem p) {
      return Future.failedFuture(p);
    }
    return store.rotateSecret(id, next, g).compose(s -> s == null
        ? Future.failedFuture(SubscriberProblem.notFound("no subscriber " + id))
        : Future.succeededFuture(s));
  }

  /**
   * A subscriber's deliveries, newest first.
   *
   * @param state null, or one of PENDING, DELIVERED, SKIPPED, DEAD (any case)
   * @param participant null, or only this participant's
   */
  public Future<List<DeliveryRecord>> deliveries(UUID id, String state, int limit, OffsetDateTime before,
      String participant) {
    String s = state == null || state.isBlank() ? null : state.strip().toUpperCase(Locale.ROOT);
    if (s != null && !DELIVERY_STATES.contains(s)) {
      return Future.failedFuture(SubscriberProblem.invalid(
          "state must be one of pending, delivered, skipped, dead; not '" + state + "'"));
    }
    if (limit < 1 || limit > 1000) {
      return Future.failedFuture(SubscriberProblem.invalid("limit must be 1 to 1000"));
    }
    return get(id).compose(x -> deliveries.list(id, s, limit, before, participant));
  }

  /**
   * Dead letters become pending again: all of the subscriber's, or the one named.
   *
   * @return the ids replayed
   */
  public Future<List<UUID>> replay(UUID id, UUID deliveryId) {
    return get(id).compose(x -> deliveries.replay(id, deliveryId)).compose(ids -> {
      if (deliveryId != null && ids.isEmpty()) {
        return Future.failedFuture(SubscriberProblem.notFound(
            "subscriber " + id + " has no dead delivery " + deliveryId));
      }
      return Future.succeededFuture(ids);
    });
  }

  /**
   * A test event ({@code org.omspush.test}, no outage in it) sent now, signed with the subscriber's
   * secrets as a delivery is, but not stored and not retried: the subscriber's answer, or a failed
   * future when it did not answer.
   */
  public Future<SubscriberHttp.Answer> sendTest(UUID id) {
    return get(id).compose(s -> {
      List<String> secrets = s.secrets().stream().map(org.omspush.store.fanout.SubscriberSecret::secret).toList();
      if (secrets.isEmpty()) {
        return Future.failedFuture(SubscriberProblem.invalid("the subscriber has no active secret to sign with"));
      }
      java.time.Instant now = java.time.Instant.now();
      String eventId = UUID.randomUUID().toString();
      io.vertx.core.buffer.Buffer body = new io.vertx.core.json.JsonObject().put("specversion", "1.0")
          .put("id", eventId).put("source", CloudEvents.source(settings.instanceName()))
          .put("type", CloudEvents.TYPE_PREFIX + "test").put("time", CloudEvents.time(now))
          .put("datacontenttype", "application/json")
          .put("data", new io.vertx.core.json.JsonObject().put("message", "a test event sent by an operator; "
              + "it carries no outage and is not retried"))
          .toBuffer();
      String webhookId = "test-" + eventId;
      MultiMap headers = HttpHeaders.headers()
          .add("Content-Type", CloudEvents.CONTENT_TYPE)
          .add("User-Agent", "oms-push-receiver")
          .add("webhook-id", webhookId)
          .add("webhook-timestamp", Long.toString(now.getEpochSecond()))
          .add("webhook-signature", WebhookSignature.sign(webhookId, now.getEpochSecond(), body.getBytes(), secrets));
      return http.send(s, HttpMethod.POST, headers, body, settings.deliveryTimeout());
    });
  }

  private Future<Void> checkDestination(SubscriberFields f) {
    return vertx.executeBlocking(() -> {
      try {
        settings.guard().check(f.url());
        return null;
      } catch (DestinationRefusedException e) {
        throw new SubscriberProblem(ProblemDetails.of(400, "destination-refused", "Subscriber URL refused",
            e.getMessage()));
      }
    }, false);
  }

  /** The CloudEvents webhook validation handshake: OPTIONS with WebHook-Request-Origin, 2xx with WebHook-Allowed-Origin. */
  private Future<Void> handshake(SubscriberFields f) {
    String me = origin.get();
    MultiMap headers = HttpHeaders.headers().add("WebHook-Request-Origin", me);
    return http.sendOnce(f.url(), f.clientCertPem(), f.clientKeyPem(), HttpMethod.OPTIONS, headers,
            settings.deliveryTimeout())
        .recover(e -> Future.failedFuture(handshakeFailed(
            "no answer to OPTIONS " + f.url() + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()))))
        .compose(a -> {
          String allowed = a.headers().get("WebHook-Allowed-Origin");
          if (a.status() < 200 || a.status() >= 300) {
            return Future.failedFuture(handshakeFailed("OPTIONS " + f.url() + " answered " + a.status()));
          }
          if (allowed == null || !(allowed.strip().equals("*") || allowed.strip().equalsIgnoreCase(me))) {
            return Future.failedFuture(handshakeFailed("OPTIONS " + f.url() + " did not answer WebHook-Allowed-Origin: "
                + me + " (nor *)" + (allowed == null ? "" : "; it answered '" + allowed + "'")));
          }
          return Future.succeededFuture();
        });
  }

  private static SubscriberProblem handshakeFailed(String detail) {
    return new SubscriberProblem(ProblemDetails.of(400, "validation-handshake-failed",
        "Webhook validation handshake failed", detail));
  }

  private static SubscriberFields validate(SubscriberFields f) {
    if (f.url().length() > 2048) {
      throw SubscriberProblem.invalid("url is longer than 2048 characters");
    }
    if (f.description() != null && f.description().length() > 1000) {
      throw SubscriberProblem.invalid("description is longer than 1000 characters");
    }
    Set<String> types = new LinkedHashSet<>();
    for (String t : f.eventTypes()) {
      String name = t == null ? "" : t.strip();
      if (name.startsWith(CloudEvents.TYPE_PREFIX)) {
        name = name.substring(CloudEvents.TYPE_PREFIX.length());
      }
      if (!EVENT_TYPES.contains(name)) {
        throw SubscriberProblem.invalid("eventTypes: '" + t + "' is not one of " + EVENT_TYPES);
      }
      types.add(name);
    }
    if (types.isEmpty()) {
      throw SubscriberProblem.invalid("eventTypes must name at least one of " + EVENT_TYPES);
    }
    if (f.maxInFlight() < 1 || f.maxInFlight() > 64) {
      throw SubscriberProblem.invalid("maxInFlight must be 1 to 64");
    }
    if ((f.clientCertPem() == null) != (f.clientKeyPem() == null)) {
      throw SubscriberProblem.invalid("a client certificate needs both certificate and key (PEM)");
    }
    if (f.clientCertPem() != null) {
      checkPem(f.clientCertPem(), f.clientKeyPem());
    }
    return new SubscriberFields(f.url(), f.description(), List.copyOf(types), names("outageTypes", f.outageTypes()),
        names("markets", f.markets()), participants(f.participants()), f.enabled(), f.maxInFlight(), f.clientCertPem(), f.clientKeyPem(),
        f.validationHandshake());
  }

  /** Participant keys as they are (keys are case-sensitive); null or empty: every participant. */
  private static List<String> participants(List<String> keys) {
    if (keys == null) {
      return null;
    }
    Set<String> out = new LinkedHashSet<>();
    for (String k : keys) {
      if (!ParticipantKey.isValid(k)) {
        throw SubscriberProblem.invalid("participants: '" + k + "' is not a participant key ([A-Za-z0-9_-]{1,32})");
      }
      out.add(k);
    }
    return out.isEmpty() ? null : new ArrayList<>(out);
  }

  private static List<String> names(String what, List<String> values) {
    if (values == null) {
      return null;
    }
    Set<String> out = new LinkedHashSet<>();
    for (String v : values) {
      if (v == null || v.isBlank() || v.length() > 64) {
        throw SubscriberProblem.invalid(what + ": every entry must be 1 to 64 characters");
      }
      out.add(v.strip().toUpperCase(Locale.ROOT));
    }
    return out.isEmpty() ? null : new ArrayList<>(out);
  }

  private static void checkPem(String certPem, String keyPem) {
    try {
      var certs = CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(certPem.getBytes(StandardCharsets.US_ASCII)));
      if (certs.isEmpty()) {
        throw SubscriberProblem.invalid("clientCertificate.certificate holds no PEM certificate");
      }
    } catch (CertificateException e) {
      throw SubscriberProblem.invalid("clientCertificate.certificate is not a PEM certificate: " + e.getMessage());
    }
    if (!keyPem.contains("-----BEGIN") || !keyPem.contains("PRIVATE KEY-----")) {
      throw SubscriberProblem.invalid("clientCertificate.key is not a PEM private key");
    }
  }

  private static String validSecret(String secret) {
    try {
      WebhookSignature.key(secret);
      return secret;
    } catch (IllegalArgumentException e) {
      throw SubscriberProblem.invalid("secret: " + e.getMessage());
    }
  }

  private static String emptyToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }

  private static List<String> emptyToNull(List<String> l) {
    return l == null || l.isEmpty() ? null : l;
  }
}
