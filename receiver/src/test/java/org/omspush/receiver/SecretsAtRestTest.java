package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.receiver.TestReceiver.await;

import com.standardwebhooks.Webhook;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.MarketEvent;
import org.omspush.isosim.push.PushMessage;
import org.omspush.isosim.push.PushSigner;
import org.omspush.isosim.push.PushSigner.Algorithm;
import org.omspush.receiver.cli.SecretsCommand;
import org.omspush.receiver.config.ConfigException;
import org.omspush.receiver.config.ReceiverConfig;
import org.omspush.receiver.config.SecretsConfig;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.secrets.SealingKey;
import org.omspush.store.testing.TestDatabase;

/**
 * Subscriber secrets, client keys and the payload-link key sealed at rest: nothing readable in
 * the database, a key rotation that subscribers never notice, and a wrong key or an altered value
 * refused. The database is read through JDBC, every column of every table, as text: the embedded
 * Postgres ships without pg_dump, and the machine's pg_dump is older than its server.
 */
class SecretsAtRestTest {
  private static final String TOKEN = "test-admin-token-" + UUID.randomUUID();

  @TempDir static Path dir;
  static DevPki pki;
  static Vertx vertx;
  static WebClient web;
  static final List<Hook> hooks = new ArrayList<>();

  /** A subscriber's endpoint: what it received, as the Standard Webhooks library verifies it. */
  record Received(Map<String, List<String>> headers, String body) {}

  static final class Hook {
    final List<Received> received = new CopyOnWriteArrayList<>();
    HttpServer server;

    String url() {
      return "http://127.0.0.1:" + server.actualPort() + "/hook";
    }

    Received awaitEvent(String eventId) {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline) {
        for (Received r : received) {
          if (r.body().contains(eventId)) {
            return r;
          }
        }
        sleep(50);
      }
      throw new AssertionError("event " + eventId + " never reached " + url());
    }
  }

  record Registered(String id, List<String> secrets) {}

  @BeforeAll
  static void start() {
    pki = DevPki.generate(dir.resolve("pki"));
    vertx = Vertx.vertx();
    web = WebClient.create(vertx);
    for (int i = 0; i < 2; i++) {
      Hook h = new Hook();
      h.server = await(vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
        Map<String, List<String>> headers = new HashMap<>();
        req.headers().forEach(e -> headers.computeIfAbsent(e.getKey().toLowerCase(), k -> new ArrayList<>())
            .add(e.getValue()));
        h.received.add(new Received(headers, b.toString()));
        req.response().end();
      })).listen(0, "127.0.0.1"));
      hooks.add(h);
    }
  }

  @AfterAll
  static void stop() {
    await(vertx.close());
  }

  @Test
  void the_database_holds_no_secret_in_any_column_of_any_table() throws Exception {
    DatabaseUrl db = TestDatabase.fresh();
    Path key = newKey("dump.key");
    String keyPem = Files.readString(pki.participantClient().keyFile());
    List<String> secrets = new ArrayList<>();
    try (TestReceiver r = start(db, key, null)) {
      Registered a = register(r, hooks.get(0), true, null);
      secrets.addAll(a.secrets());
      secrets.add(rotate(r, a.id()));
      secrets.addAll(register(r, hooks.get(1), false, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").secrets());
      assertThat(get(r, "/api/v1/subscribers/" + a.id()).bodyAsJsonObject().getJsonObject("clientCertificate"))
          .as("the client certificate is stored").isNotNull();
    }

    String everything = everyColumnOfEveryTable(db);
    assertThat(everything).as("the dump is not empty").contains("http://127.0.0.1").contains("flyway_schema_history");
    for (String secret : secrets) {
      byte[] decoded = Base64.getDecoder().decode(secret.substring("whsec_".length()));
      assertThat(everything).doesNotContain(secret).doesNotContain(secret.substring("whsec_".length()))
          .doesNotContain(HexFormat.of().formatHex(decoded));
    }
    String keyBody = keyPem.lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();
    assertThat(everything).doesNotContain("PRIVATE KEY").doesNotContain(keyBody);
    assertThat(TestDatabase.queryLong(db, "SELECT count(*) FROM fanout_key WHERE key IS NULL AND key_sealed IS NOT NULL"))
        .as("the payload-link key is sealed").isEqualTo(1);
    assertThat(TestDatabase.queryLong(db, "SELECT count(DISTINCT sealing_key_id) FROM subscriber_secret")).isEqualTo(1);
  }

  @Test
  void a_rotation_keeps_every_subscribers_signatures_valid() throws Exception {
    DatabaseUrl db = TestDatabase.fresh();
    Path oldKey = newKey("old.key");
    Path newKey = newKey("new.key");
    List<Registered> subscribers = new ArrayList<>();
    try (TestReceiver r = start(db, oldKey, null)) {
      // two signing secrets and a client key, and one secret: 4 sealed rows, and the payload-link key
      Registered a = register(r, hooks.get(0), true, null);
      subscribers.add(new Registered(a.id(), List.of(a.secrets().get(0), rotate(r, a.id()))));
      subscribers.add(register(r, hooks.get(1), false, null));
      assertSignedForEveryone(r, subscribers);
    }

    // the receivers seal with the new key and still open with the old one while the rows are re-sealed
    try (TestReceiver r = start(db, newKey, oldKey)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int status = SecretsCommand.run(new String[] {"rotate", "--new-key", newKey.toString()},
          Map.of("OMS_DATABASE_URL", ReceiverProcesses.connectionString(db), "OMS_SECRETS_KEY_FILE", newKey.toString(),
              "OMS_SECRETS_OLD_KEY_FILES", oldKey.toString()),
          new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
      assertThat(status).as(out + "" + err).isZero();
      assertThat(out.toString(StandardCharsets.UTF_8)).contains("re-sealed 5 secrets under key " + keyId(newKey));
      assertThat(keyIdsInDatabase(db)).containsExactly(keyId(newKey));
      assertSignedForEveryone(r, subscribers);
    }

    // the old key is gone from the configuration
    try (TestReceiver r = start(db, newKey, null)) {
      assertSignedForEveryone(r, subscribers);
    }
  }

  @Test
  void a_wrong_key_stops_start_up_with_one_line_that_names_the_setting() throws Exception {
    DatabaseUrl db = TestDatabase.fresh();
    Path right = newKey("right.key");
    try (TestReceiver r = start(db, right, null)) {
      register(r, hooks.get(0), false, null);
    }
    Map<String, String> env = env(newKey("wrong.key"), null);
    Throwable refused = startFailure(ReceiverConfig.from(env).withDatabaseUrl(db));
    assertThat(refused).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("OMS_SECRETS_KEY_FILE: the database's secrets are sealed under key " + keyId(right))
        .hasMessageNotContaining("\n");
  }

  @Test
  void serve_with_a_wrong_key_exits_2_with_one_line_naming_the_setting() throws Exception {
    DatabaseUrl db = TestDatabase.fresh();
    Path right = newKey("serve-right.key");
    try (TestReceiver r = start(db, right, null)) {
      register(r, hooks.get(0), false, null);
    }
    Map<String, String> env = env(newKey("serve-wrong.key"), null);
    env.put("OMS_DATABASE_URL", ReceiverProcesses.connectionString(db));
    var serve = ReceiverProcesses.ReceiverProcess.start("wrong-key", env, dir.resolve("serve-wrong.log"), 0, 0);
    try {
      assertThat(serve.process.waitFor(90, TimeUnit.SECONDS)).as("exited; log:%n%s", serve.log()).isTrue();
      assertThat(serve.process.exitValue()).as(serve.log()).isEqualTo(2);
      assertThat(serve.log().lines().filter(l -> l.startsWith("configuration error: ")))
          .containsExactly("configuration error: OMS_SECRETS_KEY_FILE: the database's secrets are sealed under key "
              + keyId(right) + ", but the keys configured are [" + keyId(Path.of(env.get("OMS_SECRETS_KEY_FILE")))
              + "]: set it to the key they were sealed with (during a rotation, the old one in "
              + "OMS_SECRETS_OLD_KEY_FILES)");
    } finally {
      serve.kill();
    }
  }

  @Test
  void an_external_database_without_a_key_stops_start_up_saying_how_to_make_one() {
    Map<String, String> env = env(null, null);
    env.remove("OMS_SECRETS_KEY_FILE");
    Throwable refused = startFailure(ReceiverConfig.from(env).withDatabaseUrl(TestDatabase.fresh()));
    assertThat(refused).isInstanceOf(ConfigException.class).hasMessageStartingWith("OMS_SECRETS_KEY_FILE: not set")
        .hasMessageContaining("secrets keygen").hasMessageContaining("head -c 32 /dev/urandom | base64")
        .hasMessageNotContaining("\n");
  }

  @Test
  void an_altered_secret_is_refused_and_never_signs_while_other_subscribers_go_on() throws Exception {
    DatabaseUrl db = TestDatabase.fresh();
    Path key = newKey("tamper.key");
    try (TestReceiver r = start(db, key, null)) {
      Registered victim = register(r, hooks.get(0), false, null);
      Registered other = register(r, hooks.get(1), false, null);
      TestDatabase.execute(db, "UPDATE subscriber_secret SET secret_sealed = set_byte(secret_sealed, 20, "
          + "get_byte(secret_sealed, 20) # 1) WHERE subscriber_id = ?::uuid", victim.id());
      int before = hooks.get(0).received.size();

      String eventId = pushMarketEvent(r);
      Received delivered = hooks.get(1).awaitEvent(eventId);
      new Webhook(other.secrets().get(0)).verify(delivered.body(), delivered.headers());
      long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
      while (System.nanoTime() < deadline) {
        assertThat(hooks.get(0).received.subList(before, hooks.get(0).received.size()))
            .as("nothing is sent to the subscriber whose secret was altered")
            .noneMatch(x -> x.body().contains(eventId));
        sleep(100);
      }
      assertThat(TestDatabase.rows(db, "SELECT state, attempts FROM delivery WHERE subscriber_id = ?::uuid",
          victim.id())).singleElement().isEqualTo(Map.of("state", "PENDING", "attempts", 0));
      HttpResponse<Buffer> shown = get(r, "/api/v1/subscribers/" + victim.id());
      assertThat(shown.statusCode()).isGreaterThanOrEqualTo(500);
      assertThat(shown.bodyAsString()).doesNotContain("whsec_");
    }

    TestDatabase.execute(db, "UPDATE fanout_key SET key_sealed = set_byte(key_sealed, 20, get_byte(key_sealed, 20) # 1)");
    Throwable refused = startFailure(ReceiverConfig.from(env(key, null)).withDatabaseUrl(db));
    assertThat(refused).hasMessageContaining("does not open").hasMessageContaining("altered");
  }

  @Test
  void the_embedded_trial_database_keeps_a_generated_key_in_its_data_directory() throws Exception {
    Path data = dir.resolve("trial-data");
    Map<String, String> env = env(null, null);
    env.remove("OMS_SECRETS_KEY_FILE");
    env.put("OMS_DATA_DIR", data.toString());
    ReceiverApp app = await(ReceiverApp.start(ReceiverConfig.from(env)));
    Path key = data.resolve(SecretsConfig.GENERATED_KEY);
    String first;
    try {
      first = Files.readString(key);
      assertThat(SealingKey.parse(first).id()).hasSize(16);
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
    } finally {
      app.stopAndWait();
    }
    app = await(ReceiverApp.start(ReceiverConfig.from(env)));
    try {
      assertThat(Files.readString(key)).as("the same key on the next start").isEqualTo(first);
    } finally {
      app.stopAndWait();
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static void assertSignedForEveryone(TestReceiver r, List<Registered> subscribers) throws Exception {
    String eventId = pushMarketEvent(r);
    for (int i = 0; i < subscribers.size(); i++) {
      Received got = hooks.get(i).awaitEvent(eventId);
      for (String secret : subscribers.get(i).secrets()) {
        new Webhook(secret).verify(got.body(), got.headers());
      }
    }
  }

  private static String pushMarketEvent(TestReceiver r) {
    MarketEvent event = new MarketEvent("EV-" + UUID.randomUUID(), "MARKET_CLOSED", "DAM", LocalDate.of(2026, 12, 7),
        Instant.now(), "DAM closed", null);
    PushMessage m = PushMessage.marketEvent(event).build();
    assertThat(r.push(PushMessage.MARKET_EVENT_ACTION, PushSigner.of(pki.isoPushClient())
        .sign(m, Algorithm.RSA_SHA256)).statusCode()).isEqualTo(200);
    return event.eventId();
  }

  private static Registered register(TestReceiver r, Hook hook, boolean clientCertificate, String secret)
      throws Exception {
    JsonObject body = new JsonObject().put("url", hook.url()).put("eventTypes", new JsonArray().add("market.event"));
    if (clientCertificate) {
      body.put("clientCertificate", new JsonObject()
          .put("certificate", Files.readString(pki.participantClient().certificateFile()))
          .put("key", Files.readString(pki.participantClient().keyFile())));
    }
    if (secret != null) {
      body.put("secret", secret);
    }
    HttpResponse<Buffer> created = await(web.post(r.app.adminPort(), "127.0.0.1", "/api/v1/subscribers")
        .bearerTokenAuthentication(TOKEN).sendJsonObject(body));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    JsonObject s = created.bodyAsJsonObject();
    return new Registered(s.getString("id"), List.of(s.getString("secret")));
  }

  /** A new current secret; the previous one keeps signing for the grace period. */
  private static String rotate(TestReceiver r, String id) {
    HttpResponse<Buffer> rotated = await(web.post(r.app.adminPort(), "127.0.0.1",
        "/api/v1/subscribers/" + id + "/secrets/rotate").bearerTokenAuthentication(TOKEN)
        .sendJsonObject(new JsonObject().put("previousSecretExpiresIn", "1h")));
    assertThat(rotated.statusCode()).as(rotated.bodyAsString()).isEqualTo(200);
    return rotated.bodyAsJsonObject().getString("secret");
  }

  private static HttpResponse<Buffer> get(TestReceiver r, String path) {
    return await(web.get(r.app.adminPort(), "127.0.0.1", path).bearerTokenAuthentication(TOKEN).send());
  }

  private static TestReceiver start(DatabaseUrl db, Path key, Path oldKey) {
    Map<String, String> env = new HashMap<>(Map.of("OMS_ADMIN_TOKEN", TOKEN, "OMS_SECRETS_KEY_FILE", key.toString()));
    if (oldKey != null) {
      env.put("OMS_SECRETS_OLD_KEY_FILES", oldKey.toString());
    }
    return TestReceiver.start(pki, db, env);
  }

  private static Map<String, String> env(Path key, Path oldKey) {
    Map<String, String> env = DevEnvironment.of(pki);
    env.put("OMS_ADMIN_TOKEN", TOKEN);
    if (key != null) {
      env.put("OMS_SECRETS_KEY_FILE", key.toString());
    }
    if (oldKey != null) {
      env.put("OMS_SECRETS_OLD_KEY_FILES", oldKey.toString());
    }
    return env;
  }

  private static Throwable startFailure(ReceiverConfig config) {
    try {
      ReceiverApp app = ReceiverApp.start(config).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      app.stopAndWait();
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("the receiver started");
  }

  private static Path newKey(String name) throws Exception {
    Path file = dir.resolve("keys").resolve(name);
    SecretsConfig.write(file, SealingKey.generate());
    return file;
  }

  private static String keyId(Path file) throws Exception {
    return SealingKey.parse(Files.readString(file)).id();
  }

  private static Set<Object> keyIdsInDatabase(DatabaseUrl db) {
    List<Map<String, Object>> rows = TestDatabase.rows(db, "SELECT sealing_key_id FROM subscriber_secret UNION "
        + "SELECT sealing_key_id FROM subscriber WHERE client_key_sealed IS NOT NULL UNION SELECT sealing_key_id FROM fanout_key");
    return Set.copyOf(rows.stream().map(row -> row.get("sealing_key_id")).toList());
  }

  /** What a dump would hold: every row of every table, as Postgres prints it (bytea as hex). */
  private static String everyColumnOfEveryTable(DatabaseUrl db) {
    StringBuilder all = new StringBuilder();
    for (Map<String, Object> t : TestDatabase.rows(db, "SELECT table_name FROM information_schema.tables "
        + "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name")) {
      String table = (String) t.get("table_name");
      for (Map<String, Object> row : TestDatabase.rows(db, "SELECT t::text AS row FROM \"" + table + "\" t")) {
        all.append(table).append(' ').append(row.get("row")).append('\n');
      }
    }
    return all.toString();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
