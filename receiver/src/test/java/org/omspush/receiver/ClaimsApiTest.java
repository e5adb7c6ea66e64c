package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.receiver.TestReceiver.await;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.scenario.Publisher;
import org.omspush.isosim.server.IsoSim;
import org.omspush.isosim.server.IsoSimOptions;
import org.omspush.isosim.server.RetrieveService;
import org.omspush.isosim.state.IsoState;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.testing.TestDatabase;

/** The operators' claims and AUP gates through the admin API, on real Postgres and real HTTP. */
class ClaimsApiTest {
  static final String TOKEN = "claims-api-test-token-" + UUID.randomUUID();
  static final String OUTAGE_SERVICE = RetrieveService.OUTAGE_BY_CLAIM_CHECK.serviceName();

  @TempDir static Path dir;
  static DevPki pki;
  static Vertx vertx;
  static final HttpClient http = HttpClient.newHttpClient();
  static AdminResponses responses;
  DatabaseUrl db;
  TestReceiver receiver;
  IsoSim iso;

  @BeforeAll
  static void pki() {
    pki = DevPki.generate(dir);
    vertx = Vertx.vertx();
    responses = new AdminResponses();
  }

  @AfterAll
  static void closeVertx() {
    responses.close();
    await(vertx.close());
  }

  @BeforeEach
  void database() {
    db = TestDatabase.fresh();
  }

  @AfterEach
  void stop() throws Exception {
    if (receiver != null) {
      receiver.close();
    }
    if (iso != null) {
      await(iso.close());
    }
  }

  /** A receiver without an ISO (nothing redeems), with these claims ingested: their ids, oldest first. */
  private List<Long> receiverWithClaims(int n) {
    receiver = TestReceiver.start(pki, db, Map.of("OMS_ADMIN_TOKEN", TOKEN));
    IsoState state = new IsoState();
    try (Publisher p = new Publisher(vertx, pki, receiver.url())) {
      for (int i = 0; i < n; i++) {
        var v = state.createOutage("OUT-" + i, "RESOURCE", "RECEIVED");
        assertThat(await(p.publish(state.statusChange(v))).statusCode()).isEqualTo(200);
      }
    }
    List<Long> ids = new ArrayList<>();
    TestDatabase.rows(db, "select id from claim order by id").forEach(r -> ids.add(((Number) r.get("id")).longValue()));
    return ids;
  }

  private HttpResponse<String> call(String method, String path, String body, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + receiver.app.adminPort() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    // Every JSON answer must fit the OpenAPI document's response schema.
    return responses.check(http.send(b.build(), HttpResponse.BodyHandlers.ofString()));
  }

  private HttpResponse<String> get(String path) throws Exception {
    return call("GET", path, null, TOKEN);
  }

  private HttpResponse<String> post(String path, String body) throws Exception {
    return call("POST", path, body, TOKEN);
  }

  private static JsonObject json(HttpResponse<String> r) {
    return new JsonObject(r.body());
  }

  private static void assertProblem(HttpResponse<String> r, int status, String detail) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/problem+json");
    assertThat(json(r).getInteger("status")).isEqualTo(status);
    assertThat(json(r).getString("detail")).contains(detail);
  }

  private String state(long id) {
    return TestDatabase.rows(db, "select state from claim where id = ?", id).get(0).get("state").toString();
  }

  @Test
  void every_claims_and_gates_endpoint_refuses_a_request_without_the_token() throws Exception {
    receiverWithClaims(1);
    for (String[] endpoint : List.of(new String[] {"GET", "/api/v1/claims"},
        new String[] {"POST", "/api/v1/claims/1/retry"},
        new String[] {"POST", "/api/v1/claims/retry"}, new String[] {"GET", "/api/v1/gates"},
        new String[] {"POST", "/api/v1/gates/x/y/clear"})) {
      assertProblem(call(endpoint[0], endpoint[1], "{\"state\": \"DEAD\"}", null), 401, "Bearer");
      assertProblem(call(endpoint[0], endpoint[1], "{\"state\": \"DEAD\"}", "wrong-token-of-some-length"), 401,
          "Bearer");
    }
    assertThat(TestDatabase.count(db, "claim", "state = 'PENDING'")).isEqualTo(1);
  }

  @Test
  void claims_are_listed_newest_first_by_state_and_service_in_pages_that_a_cursor_continues() throws Exception {
    List<Long> ids = receiverWithClaims(5);
    TestDatabase.execute(db, "update claim set state = 'DEAD', dead_reason = 'attempts' where id <> ?", ids.get(2));

    JsonObject first = json(get("/api/v1/claims?state=dead&limit=2"));
    assertThat(ids(first)).containsExactly(ids.get(4), ids.get(3));
    // A claim added meanwhile does not move the next page.
    TestDatabase.execute(db, "update claim set state = 'DEAD' where id = ?", ids.get(2));
    JsonObject second = json(get("/api/v1/claims?state=DEAD&limit=2&cursor=" + first.getString("nextCursor")));
    assertThat(ids(second)).containsExactly(ids.get(2), ids.get(1));
    JsonObject last = json(get("/api/v1/claims?state=DEAD&limit=2&cursor=" + second.getString("nextCursor")));
    assertThat(ids(last)).containsExactly(ids.get(0));
    assertThat(last.containsKey("nextCursor")).isFalse();

    JsonObject item = first.getJsonArray("items").getJsonObject(0);
    assertThat(item.getString("state")).isEqualTo("DEAD");
    assertThat(item.getString("deadReason")).isEqualTo("attempts");
    assertThat(item.getString("outageMRID")).isEqualTo("OUT-4");
    assertThat(item.containsKey("token")).as("the claim-check token is not shown").isFalse();

    assertThat(ids(json(get("/api/v1/claims?service=" + OUTAGE_SERVICE)))).hasSize(5);
    assertThat(ids(json(get("/api/v1/claims?service=OtherService")))).isEmpty();
    assertProblem(get("/api/v1/claims?state=LOST"), 400, "state must be one of");
    assertProblem(get("/api/v1/claims?limit=0"), 400, "limit");
    assertProblem(get("/api/v1/claims?cursor=not-a-cursor"), 400, "cursor");
    assertProblem(get("/api/v1/claims?participant=no%20key"), 400, "participant must be a participant key");
    assertThat(item.getString("participant")).isEqualTo("default");
    assertThat(ids(json(get("/api/v1/claims?participant=default")))).hasSize(5);
    assertThat(ids(json(get("/api/v1/claims?participant=SC_2")))).isEmpty();
  }

  private static List<Long> ids(JsonObject page) {
    JsonArray items = page.getJsonArray("items");
    List<Long> out = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      out.add(items.getJsonObject(i).getLong("id"));
    }
    return out;
  }

  @Test
  void a_dead_or_unserviceable_claim_is_retried_with_its_attempts_reset_and_its_place_kept() throws Exception {
    List<Long> ids = receiverWithClaims(3);
    TestDatabase.execute(db, "update claim set state = 'DEAD', dead_reason = 'receiver_lost', attempts = 8,"
        + " transient_failures = 4, lost_fetches = 3, next_attempt_at = now() + interval '1 hour' where id = ?",
        ids.get(0));
    TestDatabase.execute(db, "update claim set state = 'UNSERVICEABLE' where id = ?", ids.get(1));
    TestDatabase.execute(db, "update claim set state = 'REDEEMED' where id = ?", ids.get(2));

    HttpResponse<String> retried = post("/api/v1/claims/" + ids.get(0) + "/retry", null);
    assertThat(retried.statusCode()).as(retried.body()).isEqualTo(200);
    assertThat(json(retried).getString("previousState")).isEqualTo("DEAD");
    assertThat(TestDatabase.count(db, "claim", "id = ? and state = 'PENDING' and attempts = 0"
        + " and transient_failures = 0 and lost_fetches = 0 and dead_reason is null and next_attempt_at = created_at and retried_at is not null",
        ids.get(0))).as("reset, and back in its place in the queue").isEqualTo(1);
    assertThat(post("/api/v1/claims/" + ids.get(1) + "/retry", null).statusCode()).isEqualTo(200);
    assertThat(state(ids.get(1))).isEqualTo("PENDING");

    assertProblem(post("/api/v1/claims/" + ids.get(2) + "/retry", null), 409, "REDEEMED");
    assertProblem(post("/api/v1/claims/" + ids.get(0) + "/retry", null), 409, "PENDING");
    assertProblem(post("/api/v1/claims/999999/retry", null), 404, "no claim 999999");
    assertProblem(post("/api/v1/claims/abc/retry", null), 404, "no claim abc");
    assertThat(state(ids.get(2))).isEqualTo("REDEEMED");
  }

  @Test
  void dead_claims_are_retried_in_bulk_oldest_first_and_bounded() throws Exception {
    List<Long> ids = receiverWithClaims(5);
    TestDatabase.execute(db, "update claim set state = 'DEAD' where id <> ?", ids.get(4));

    HttpResponse<String> some = post("/api/v1/claims/retry", "{\"state\": \"DEAD\", \"limit\": 3}");
    assertThat(some.statusCode()).as(some.body()).isEqualTo(200);
    assertThat(json(some).getInteger("retried")).isEqualTo(3);
    assertThat(json(some).getBoolean("more")).isTrue();
    assertThat(TestDatabase.count(db, "claim", "state = 'PENDING' and id in (?, ?, ?)", ids.get(0), ids.get(1),
        ids.get(2))).as("the oldest first").isEqualTo(3);
    JsonObject rest = json(post("/api/v1/claims/retry", "{\"state\": \"dead\"}"));
    assertThat(rest.getInteger("retried")).isEqualTo(1);
    assertThat(rest.getBoolean("more")).isFalse();
    assertThat(json(post("/api/v1/claims/retry", "{\"state\": \"DEAD\"}")).getInteger("retried")).isZero();

    assertProblem(post("/api/v1/claims/retry", "{\"state\": \"REDEEMED\"}"), 400, "DEAD or UNSERVICEABLE");
    assertProblem(post("/api/v1/claims/retry", "{}"), 400, "DEAD or UNSERVICEABLE");
    assertProblem(post("/api/v1/claims/retry", "[1]"), 400, "JSON object");
    assertProblem(post("/api/v1/claims/retry", "{\"state\": \"DEAD\", \"limit\": 100000}"), 400, "limit");
    assertThat(TestDatabase.count(db, "claim", "state = 'PENDING'")).isEqualTo(5);
  }

  @Test
  void gates_show_every_identity_and_service_and_a_403_refusal_is_cleared_through_the_api() throws Exception {
    iso = await(IsoSim.start(vertx, IsoSimOptions.of(pki).aupInterval(RedemptionTest.AUP)));
    iso.faults().service(RetrieveService.OUTAGE_BY_CLAIM_CHECK).denyNext(1);
    Map<String, String> env = new HashMap<>(RedemptionTest.isoEnvironment(pki, iso));
    env.put("OMS_ISO_SERVICES", OUTAGE_SERVICE);
    env.put("OMS_ADMIN_TOKEN", TOKEN);
    receiver = TestReceiver.start(pki, db, env);

    JsonObject before = json(get("/api/v1/gates")).getJsonArray("items").getJsonObject(0);
    assertThat(before.getString("subject")).isEqualTo(pki.participantClient().subject().getName());
    assertThat(before.getString("service")).isEqualTo(OUTAGE_SERVICE);
    assertThat(before.getBoolean("configured")).isTrue();
    assertThat(before.getLong("calls")).isZero();

    try (Publisher p = new Publisher(vertx, pki, receiver.url())) {
      var v = iso.state().createOutage("OUT-G", "RESOURCE", "RECEIVED");
      assertThat(await(p.publish(iso.state().statusChange(v))).statusCode()).isEqualTo(200);
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (TestDatabase.count(db, "aup_gate", "refused_at is not null") == 0 && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    JsonArray items = json(get("/api/v1/gates")).getJsonArray("items");
    assertThat(items).hasSize(1);
    JsonObject refused = items.getJsonObject(0);
    assertThat(refused.getBoolean("refused")).isTrue();
    assertThat(refused.getString("refusedReason")).contains("no access");
    assertThat(refused.getString("lastOutcome")).startsWith("forbidden");
    assertThat(refused.getString("lastCallAt")).isNotNull();
    assertThat(refused.getString("nextAllowedAt")).isNotNull();
    assertThat(refused.getLong("calls")).isEqualTo(1);

    String identity = refused.getString("identity");
    assertProblem(post("/api/v1/gates/" + identity + "/OtherService/clear", null), 404, "no AUP gate");
    HttpResponse<String> cleared = post("/api/v1/gates/" + identity + "/" + OUTAGE_SERVICE + "/clear", null);
    assertThat(cleared.statusCode()).as(cleared.body()).isEqualTo(200);
    assertThat(TestDatabase.count(db, "aup_gate", "refused_at is null")).isEqualTo(1);
    assertThat(json(get("/api/v1/gates")).getJsonArray("items").getJsonObject(0).getBoolean("refused")).isFalse();

    // The gate is named by the participant's key as well as by its gate key.
    String participant = before.getString("participant");
    assertThat(participant).isNotEqualTo(identity);
    refuseAgain();
    HttpResponse<String> byParticipant = post("/api/v1/gates/" + participant + "/" + OUTAGE_SERVICE + "/clear", null);
    assertThat(byParticipant.statusCode()).as(byParticipant.body()).isEqualTo(200);
    assertThat(json(byParticipant).getString("identity")).isEqualTo(identity);
    assertThat(json(get("/api/v1/gates")).getJsonArray("items").getJsonObject(0).getBoolean("refused")).isFalse();

    // And by the certificate's subject.
    String subject = before.getString("subject");
    refuseAgain();
    HttpResponse<String> bySubject = post("/api/v1/gates/"
        + java.net.URLEncoder.encode(subject, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20") + "/"
        + OUTAGE_SERVICE + "/clear", null);
    assertThat(bySubject.statusCode()).as(bySubject.body()).isEqualTo(200);
    assertThat(json(bySubject).getString("identity")).isEqualTo(identity);
    assertThat(json(get("/api/v1/gates")).getJsonArray("items").getJsonObject(0).getBoolean("refused")).isFalse();
  }

  /** The gate refused again, as the next 403 would leave it. */
  private void refuseAgain() throws Exception {
    assertThat(TestDatabase.execute(db, "update aup_gate set refused_at = now(), refused_reason = 'no access'"))
        .isEqualTo(1);
    assertThat(json(get("/api/v1/gates")).getJsonArray("items").getJsonObject(0).getBoolean("refused")).isTrue();
  }
}
