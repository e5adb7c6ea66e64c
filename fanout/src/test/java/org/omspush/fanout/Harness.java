package org.omspush.fanout;

import org.omspush.store.secrets.SealingKey;
import org.omspush.store.secrets.SecretKeys;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.sqlclient.Pool;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.zip.GZIPOutputStream;
import io.vertx.core.json.JsonObject;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.Pools;
import org.omspush.store.fanout.Breaker;
import org.omspush.store.fanout.Subscriber;
import org.omspush.store.testing.TestDatabase;

/**
 * A fan-out on a fresh database for one test: two delivery workers (two replicas), the payload
 * download route on a loopback server, and helpers that insert events as producers do.
 */
final class Harness implements AutoCloseable {
  static final FanoutSettings TEST_SETTINGS = FanoutSettings.defaults()
      .withGuard(DestinationGuard.of("127.0.0.1/32", true))
      .withRetrySchedule(RetrySchedule.parse("100ms,200ms,300ms"))
      .withBreaker(new Breaker(100, 1_000, 1_000))
      .withDeliveryTimeout(Duration.ofSeconds(2))
      .withPollInterval(Duration.ofMillis(50));

  final Vertx vertx;
  final DatabaseUrl db;
  final Pool pool;
  final Fanout fanout;
  final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
  final SecretKeys keys = SecretKeys.of(SealingKey.generate());
  private final HttpServer payloadServer;
  private final List<String> workers = new ArrayList<>();

  private Harness(Vertx vertx, FanoutSettings settings, int workerCount) {
    this.vertx = vertx;
    this.db = TestDatabase.fresh();
    this.pool = Pools.create(vertx, db, 6);
    this.fanout = await(Fanout.start(vertx, pool, db.connectOptions(), settings, metrics, keys, Clock.systemUTC()));
    Router router = Router.router(vertx);
    router.get("/payloads/:id").handler(fanout.payloadDownloads());
    payloadServer = await(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
    fanout.useDefaultBaseUrl("http://127.0.0.1:" + payloadServer.actualPort());
    startWorkers(workerCount);
  }

  /** Deploys delivery workers, as a replica starting does. */
  void startWorkers(int count) {
    for (int i = 0; i < count; i++) {
      workers.add(await(fanout.deployWorker()));
    }
  }

  static Harness start(Vertx vertx) {
    return new Harness(vertx, TEST_SETTINGS, 2);
  }

  static Harness start(Vertx vertx, FanoutSettings settings) {
    return new Harness(vertx, settings, 2);
  }

  /** Without delivery workers: the test claims and records through the store itself. */
  static Harness withoutWorkers(Vertx vertx) {
    return new Harness(vertx, TEST_SETTINGS, 0);
  }

  Subscriber subscribe(SubscriberDraft draft) {
    return await(fanout.subscribers().create(draft));
  }

  Subscriber subscribe(Hook hook, String... eventTypes) {
    return subscribe(SubscriberDraft.of(hook.url(), List.of(eventTypes)));
  }

  /** An outage event as the redemption worker writes it; {@code xml} null = without payload. */
  UUID outageEvent(String mrid, long version, String outageType, String xml) {
    Long payload = xml == null ? null : payload(xml);
    JsonObject data = new JsonObject()
        .put("outageMRID", mrid).put("outageType", outageType).put("version", version).put("status", "APPROVED");
    if (version > 1) {
      data.put("previousStatus", "RECEIVED");
    }
    OffsetDateTime lastModified = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MILLIS);
    data.put("lastModified", lastModified.toInstant().toString()).put("messageId", "msg-" + mrid + "-" + version);
    return event("outage.status-changed", mrid, lastModified, mrid, version, outageType, null, null, data, payload);
  }

  UUID marketEvent(String market, String eventType) {
    String tradeDate = "2026-11-21";
    OffsetDateTime time = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MILLIS);
    JsonObject data = new JsonObject()
        .put("eventId", "EV-" + UUID.randomUUID()).put("eventType", eventType).put("market", market)
        .put("tradeDate", tradeDate).put("eventTime", time.toInstant().toString())
        .put("description", "a market event").put("messageId", "msg-" + UUID.randomUUID());
    return event("market.event", market + "/" + tradeDate, time, null, null, null, market, eventType, data, null);
  }

  UUID event(String type, String subject, OffsetDateTime time, String mrid, Long version, String outageType,
      String market, String eventType, JsonObject data, Long payloadId) {
    return event(type, subject, time, mrid, version, outageType, market, eventType, data, payloadId, "default");
  }

  /** The event of a participant; the others are the participant {@code default}'s. */
  UUID event(String type, String subject, OffsetDateTime time, String mrid, Long version, String outageType,
      String market, String eventType, JsonObject data, Long payloadId, String participant) {
    UUID id = UUID.randomUUID();
    TestDatabase.execute(db, """
        INSERT INTO event (id, type, subject, time, outage_mrid, outage_version, outage_type, market, event_type, data,
                           payload_id, participant)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?)""",
        id, type, subject, time, mrid, version, outageType, market, eventType, data.encode(), payloadId, participant);
    TestDatabase.execute(db, "NOTIFY oms_event");
    return id;
  }

  /** Stores a payload as the redemption worker does: the gzip in chunks of {@code chunkBytes}, then complete. */
  long chunkedPayload(byte[] document, int chunkBytes) {
    byte[] gz = gzip(document);
    long id = TestDatabase.queryLong(db, "INSERT INTO payload (size_bytes, sha256) VALUES (NULL, NULL) RETURNING id");
    for (int seq = 0; seq * chunkBytes < gz.length; seq++) {
      TestDatabase.execute(db, "INSERT INTO payload_chunk (payload_id, seq, data) VALUES (?, ?, ?)", id, seq,
          java.util.Arrays.copyOfRange(gz, seq * chunkBytes, Math.min(gz.length, (seq + 1) * chunkBytes)));
    }
    TestDatabase.execute(db, "UPDATE payload SET size_bytes = ?, sha256 = ? WHERE id = ?", (long) document.length,
        sha256(document), id);
    return id;
  }

  /** Stores a payload as it was before chunks (V13): one gzipped value; size and sha256 of the bytes. */
  long payload(String xml) {
    byte[] bytes = xml.getBytes(StandardCharsets.UTF_8);
    try (Connection c = TestDatabase.connect(db);
         PreparedStatement ps = c.prepareStatement(
             "INSERT INTO payload (content_gzip, size_bytes, sha256) VALUES (?, ?, ?) RETURNING id")) {
      ps.setBytes(1, gzip(bytes));
      ps.setLong(2, bytes.length);
      ps.setString(3, sha256(bytes));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  long deliveries(UUID subscriber, String state) {
    return TestDatabase.count(db, "delivery", "subscriber_id = ? AND state = ?", subscriber, state);
  }

  double counter(String outcome) {
    var c = metrics.find("oms.fanout.deliveries").tag("outcome", outcome).counter();
    return c == null ? 0 : c.count();
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] gzip(byte[] bytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(bytes);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toByteArray();
  }

  /** Waits until {@code condition} holds (at most {@code timeout}), failing with {@code what}. */
  static void eventually(Duration timeout, String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  static void eventually(String what, BooleanSupplier condition) {
    eventually(Duration.ofSeconds(15), what, condition);
  }

  /** Waits a while and checks that {@code condition} held all along. */
  static void stays(Duration d, String what, BooleanSupplier condition) {
    long end = System.nanoTime() + d.toNanos();
    while (System.nanoTime() < end) {
      assertThat(condition.getAsBoolean()).as(what).isTrue();
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new AssertionError(e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Undeploys the delivery workers, as a replica stopping does. */
  void stopWorkers() {
    for (String id : workers) {
      await(vertx.undeploy(id));
    }
    workers.clear();
  }

  @Override
  public void close() {
    stopWorkers();
    await(payloadServer.close());
    await(fanout.close());
    await(pool.close());
  }

  static Instant now() {
    return Instant.now();
  }
}
