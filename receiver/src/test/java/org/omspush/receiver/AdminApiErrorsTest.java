package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.receiver.TestReceiver.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.receiver.admin.AdminVerticle;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.testing.TestDatabase;
import org.slf4j.LoggerFactory;

/**
 * The admin API tells a client's mistake (4xx) from a database that cannot serve (503) and from
 * its own failure (500 with an incident id, logged at ERROR); here on its optional TLS.
 */
class AdminApiErrorsTest {
  private static final String TOKEN = "test-admin-token-" + UUID.randomUUID();

  @TempDir static Path dir;
  static DevPki pki;
  static DatabaseUrl db;
  static TestReceiver receiver;
  static Vertx vertx;
  static HttpClient https;

  record Answer(int status, String contentType, String retryAfter, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  @BeforeAll
  static void start() {
    pki = DevPki.generate(dir);
    db = TestDatabase.fresh();
    receiver = TestReceiver.start(pki, db, Map.of("OMS_ADMIN_TOKEN", TOKEN,
        "OMS_ADMIN_TLS_CERT", pki.receiverServer().certificateFile().toString(),
        "OMS_ADMIN_TLS_KEY", pki.receiverServer().keyFile().toString()));
    vertx = Vertx.vertx();
    https = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setVerifyHost(true)
        .setTrustOptions(new PemTrustOptions().addCertPath(pki.serverCa().certificateFile().toString())));
  }

  @AfterAll
  static void stop() throws Exception {
    await(vertx.close());
    receiver.close();
  }

  private static Answer call(HttpMethod method, String path, String body) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("localhost").setPort(receiver.app.adminPort())
        .setURI(path).putHeader("Authorization", "Bearer " + TOKEN);
    return await(https.request(o).compose(req -> {
      if (body != null) {
        req.putHeader("Content-Type", "application/json");
      }
      return (body == null ? req.send() : req.send(Buffer.buffer(body))).compose(resp -> resp.body()
          .map(b -> new Answer(resp.statusCode(), resp.getHeader("Content-Type"), resp.getHeader("Retry-After"),
              b.toString())));
    }));
  }

  private static void assertProblem(Answer a, int status, String type) {
    assertThat(a.status()).as(a.body()).isEqualTo(status);
    assertThat(a.contentType()).isEqualTo("application/problem+json");
    assertThat(a.json().getInteger("status")).isEqualTo(status);
    assertThat(a.json().getString("type")).isEqualTo("urn:omspush:problem:" + type);
  }

  private static String subscriber() {
    Answer created = call(HttpMethod.POST, "/api/v1/subscribers", new JsonObject()
        .put("url", "https://93.184.216.34/oms").put("eventTypes", new JsonArray().add("market.event")).encode());
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    return created.json().getString("id");
  }

  @Test
  void the_admin_api_answers_on_tls_when_configured() {
    Answer list = call(HttpMethod.GET, "/api/v1/subscribers", null);
    assertThat(list.status()).as(list.body()).isEqualTo(200);
    assertThat(list.json().getJsonArray("items")).isNotNull();
  }

  @Test
  void malformed_json_and_a_body_that_is_not_an_object_are_400() {
    assertProblem(call(HttpMethod.POST, "/api/v1/subscribers", "{\"url\": "), 400, "invalid-json");
    assertProblem(call(HttpMethod.POST, "/api/v1/subscribers", "[1, 2]"), 400, "invalid-json");
    assertProblem(call(HttpMethod.POST, "/api/v1/subscribers", "null"), 400, "invalid-json");
  }

  @Test
  void wrong_types_are_400_naming_the_field() {
    Answer a = call(HttpMethod.POST, "/api/v1/subscribers", new JsonObject().put("url", "https://93.184.216.34/x")
        .put("eventTypes", new JsonArray().add("market.event")).put("enabled", "yes").encode());
    assertProblem(a, 400, "invalid-subscriber");
    assertThat(a.json().getString("detail")).contains("enabled");
    String id = subscriber();
    Answer rotate = call(HttpMethod.POST, "/api/v1/subscribers/" + id + "/secrets/rotate",
        new JsonObject().put("previousSecretExpiresIn", true).encode());
    assertProblem(rotate, 400, "invalid-subscriber");
  }

  @Test
  void unknown_fields_of_a_rotation_or_a_replay_are_400_not_ignored() {
    String id = subscriber();
    Answer rotate = call(HttpMethod.POST, "/api/v1/subscribers/" + id + "/secrets/rotate",
        new JsonObject().put("previousSecretExpiresAfter", "1h").encode());
    assertProblem(rotate, 400, "invalid-subscriber");
    assertThat(rotate.json().getString("detail")).contains("previousSecretExpiresAfter");
    Answer replay = call(HttpMethod.POST, "/api/v1/subscribers/" + id + "/replay",
        new JsonObject().put("delivery", UUID.randomUUID().toString()).encode());
    assertProblem(replay, 400, "invalid-subscriber");
  }

  @Test
  void a_value_the_database_refuses_is_the_clients_mistake_not_a_503() {
    // JSON allows \u0000 in a string; Postgres text does not.
    Answer a = call(HttpMethod.POST, "/api/v1/subscribers", new JsonObject().put("url", "https://93.184.216.34/y")
        .put("eventTypes", new JsonArray().add("market.event")).put("description", "desk\u0000one").encode());
    assertProblem(a, 400, "invalid-value");
    assertThat(a.body()).doesNotContainIgnoringCase("sqlstate");
  }

  @Test
  void a_failure_of_ours_is_a_500_with_an_incident_id_that_the_error_log_carries() {
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    Logger logger = (Logger) LoggerFactory.getLogger(AdminVerticle.class);
    logs.start();
    logger.addAppender(logs);
    // The database answers, but our query no longer fits its schema: not the client's doing, and
    // not an unavailable database either.
    TestDatabase.execute(db, "alter table subscriber rename column description to description_gone");
    try {
      Answer a = call(HttpMethod.GET, "/api/v1/subscribers", null);
      assertProblem(a, 500, "internal");
      String incident = a.json().getString("incident");
      assertThat(incident).matches("[0-9a-f]{16}");
      assertThat(a.json().getString("detail")).contains(incident).doesNotContain("description_gone");
      assertThat(logs.list).filteredOn(e -> e.getLevel() == Level.ERROR)
          .filteredOn(e -> e.getFormattedMessage().contains(incident)).hasSize(1);
    } finally {
      TestDatabase.execute(db, "alter table subscriber rename column description_gone to description");
      logger.detachAppender(logs);
    }
  }

  @Test
  void a_database_that_is_really_unavailable_is_a_503_with_retry_after() {
    TestDatabase.execute(TestDatabase.server().withDatabase("postgres"),
        "alter database \"" + db.database() + "\" with allow_connections false");
    TestDatabase.execute(TestDatabase.server().withDatabase("postgres"),
        "select pg_terminate_backend(pid) from pg_stat_activity where datname = ?", db.database());
    try {
      Answer a = call(HttpMethod.GET, "/api/v1/subscribers", null);
      assertProblem(a, 503, "unavailable");
      assertThat(a.retryAfter()).isEqualTo("5");
    } finally {
      TestDatabase.execute(TestDatabase.server().withDatabase("postgres"),
          "alter database \"" + db.database() + "\" with allow_connections true");
    }
    // And it serves again by itself.
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (call(HttpMethod.GET, "/api/v1/subscribers", null).status() != 200) {
      assertThat(System.nanoTime()).as("the admin API serves again once the database is back").isLessThan(deadline);
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }
}
