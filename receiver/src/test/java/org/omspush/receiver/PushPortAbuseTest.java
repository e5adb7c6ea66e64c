package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.OutageStatusChange;
import org.omspush.isosim.push.PushMessage;
import org.omspush.isosim.push.PushResult;
import org.omspush.isosim.push.PushSigner;
import org.omspush.store.testing.TestDatabase;

/**
 * The push port under abuse: senders that hold or flood it leave it answering the ISO, and no
 * acknowledged push is ever lost. Each test has a receiver of its own with the limits it probes.
 */
class PushPortAbuseTest {
  private static final String OUTAGE = PushMessage.OUTAGE_STATUS_CHANGE_ACTION;
  /** Room for one body of {@link #HELD_BODY} bytes at 6 bytes a byte, and not for two. */
  private static final long BUDGET = 600_000;
  private static final int HELD_BODY = 90_000;

  @TempDir static Path dir;
  static DevPki pki;
  static PushSigner iso;
  TestReceiver receiver;
  final List<RawPushConnection> connections = new ArrayList<>();

  @BeforeAll
  static void pki() {
    pki = DevPki.generate(dir);
    iso = PushSigner.of(pki.isoPushClient());
  }

  @AfterEach
  void stop() throws Exception {
    for (RawPushConnection c : connections) {
      c.close();
    }
    if (receiver != null) {
      receiver.close();
    }
  }

  private void start(Map<String, String> settings) {
    receiver = TestReceiver.start(pki, TestDatabase.fresh(), settings);
  }

  private RawPushConnection connect(DevPki.Credential client) throws Exception {
    RawPushConnection c = RawPushConnection.open(pki, client, receiver.app.pushPort());
    connections.add(c);
    return c;
  }

  private static PushMessage outage() {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    return PushMessage.outageStatusChange(new OutageStatusChange("OUT-" + UUID.randomUUID().toString().substring(0, 18),
        "RESOURCE", 1, "RECEIVED", null, now, null)).build();
  }

  private long stored(PushMessage m) {
    return TestDatabase.count(receiver.db, "inbound_message", "message_id = ?", m.messageId());
  }

  /** A push as the ISO sends it, answered within {@code limit} or failing the test. */
  private PushResult pushWithin(PushMessage m, Duration limit) throws Exception {
    try {
      return receiver.iso.push(receiver.url(), OUTAGE, iso.sign(m, PushSigner.Algorithm.RSA_SHA256))
          .toCompletionStage().toCompletableFuture().get(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("a normal push was not answered within " + limit.toSeconds() + " s", e);
    }
  }

  private double gauge(String name) {
    Gauge g = receiver.app.metrics().find(name).gauge();
    return g == null ? -1 : g.value();
  }

  private double counter(String name, String... tags) {
    Counter c = receiver.app.metrics().find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 30 s: " + what);
      }
      Thread.sleep(50);
    }
  }

  /** A push whose headers announce {@link #HELD_BODY} bytes and whose body never comes: it holds the budget. */
  private RawPushConnection holdTheBudget() throws Exception {
    RawPushConnection holder = connect(pki.isoPushClient());
    holder.send(RawPushConnection.pushHeaders(OUTAGE, HELD_BODY));
    await("the held push reserved its budget", () -> gauge("oms.push.inflight.bytes") >= 6.0 * HELD_BODY);
    return holder;
  }

  @Test
  void senders_that_go_away_while_queued_for_the_budget_leave_a_normal_push_answered_within_seconds()
      throws Exception {
    start(Map.of("OMS_INFLIGHT_BODY_BYTES", String.valueOf(BUDGET)));
    for (int round = 1; round <= 3; round++) {
      RawPushConnection holder = holdTheBudget();
      List<RawPushConnection> queued = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        RawPushConnection c = connect(pki.isoPushClient());
        c.send(RawPushConnection.pushHeaders(OUTAGE, HELD_BODY));
        queued.add(c);
      }
      await("four pushes queued for the budget", () -> gauge("oms.push.inflight.waiting") == 4);
      for (RawPushConnection c : queued) {
        c.close();
      }
      holder.close();
      // Large enough that a reservation left behind by a sender that went away would not leave room for it.
      PushMessage m = outage().toBuilder().padTo(20_000).build();
      PushResult r = pushWithin(m, Duration.ofSeconds(20));
      assertThat(r.statusCode()).as("round %d: %s", round, r.body()).isEqualTo(200);
      assertThat(stored(m)).isEqualTo(1);
      await("nothing left reserved or queued", () -> gauge("oms.push.inflight.waiting") == 0
          && gauge("oms.push.inflight.bytes") == 0);
    }
  }

  @Test
  void a_push_queued_past_the_queue_timeout_gets_503_overloaded_with_retry_after_and_is_not_stored()
      throws Exception {
    start(Map.of("OMS_INFLIGHT_BODY_BYTES", String.valueOf(BUDGET), "OMS_PUSH_QUEUE_TIMEOUT", "1s"));
    RawPushConnection holder = holdTheBudget();
    PushMessage m = outage().toBuilder().padTo(HELD_BODY).build();
    RawPushConnection queued = connect(pki.isoPushClient());
    RawPushConnection.Answer answer = queued.push(OUTAGE, iso.sign(m, PushSigner.Algorithm.RSA_SHA256));
    assertThat(answer.status()).as(answer.body()).isEqualTo(503);
    assertThat(answer.body()).contains("<faultcode>soap:Server</faultcode>").contains("<faultstring>overloaded:")
        .contains("<result>Failure</result>");
    assertThat(answer.header("Retry-After")).isEqualTo("1");
    assertThat(stored(m)).isZero();
    assertThat(gauge("oms.push.inflight.waiting")).isZero();
    // The ISO's retry, once the budget is free, is stored.
    holder.close();
    assertThat(pushWithin(m, Duration.ofSeconds(20)).statusCode()).isEqualTo(200);
    assertThat(stored(m)).isEqualTo(1);
  }

  @Test
  void a_body_sent_one_byte_at_a_time_is_cut_at_the_request_deadline() throws Exception {
    start(Map.of("OMS_PUSH_REQUEST_TIMEOUT", "3s"));
    PushMessage m = outage();
    byte[] envelope = iso.sign(m, PushSigner.Algorithm.RSA_SHA256);
    RawPushConnection slow = connect(pki.isoPushClient());
    slow.send(RawPushConnection.pushHeaders(OUTAGE, envelope.length));
    Thread trickle = new Thread(() -> {
      try {
        for (byte b : envelope) {
          slow.send(new byte[] {b});
          Thread.sleep(100);
        }
      } catch (IOException | InterruptedException e) {
        // cut: what the test expects
      }
    }, "one-byte-sender");
    trickle.setDaemon(true);
    trickle.start();
    // At 10 bytes a second the body would take minutes.
    assertThat(slow.closedWithin(Duration.ofSeconds(30))).as("the receiver cut the slow body").isTrue();
    trickle.interrupt();
    assertThat(counter("oms.push.connections.cut", "reason", "request_timeout")).isGreaterThanOrEqualTo(1);
    assertThat(stored(m)).isZero();
    // A push sent at normal speed on a new connection is still taken.
    assertThat(pushWithin(m, Duration.ofSeconds(20)).statusCode()).isEqualTo(200);
  }

  @Test
  void a_refused_senders_slow_16_mb_body_is_answered_and_closed_within_5_seconds() throws Exception {
    start(Map.of());
    // Chains to the ISO CA, as every participant's does, but is not an allowed push identity.
    RawPushConnection refused = connect(pki.otherParticipantClient());
    long length = 16L * 1024 * 1024;
    long started = System.nanoTime();
    refused.send(RawPushConnection.pushHeaders(OUTAGE, length));
    Thread slowBody = new Thread(() -> {
      byte[] chunk = new byte[16 * 1024];
      try {
        for (long sent = 0; sent < length; sent += chunk.length) {
          refused.send(chunk);
          Thread.sleep(50);
        }
      } catch (IOException | InterruptedException e) {
        // closed by the receiver: what the test expects
      }
    }, "slow-refused-body");
    slowBody.setDaemon(true);
    slowBody.start();
    RawPushConnection.Answer answer = refused.readAnswer();
    assertThat(answer.status()).as(answer.body()).isEqualTo(403);
    assertThat(answer.body()).contains("<faultstring>client_not_allowed:");
    assertThat(refused.closedWithin(Duration.ofSeconds(10))).as("the receiver closed the connection").isTrue();
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    slowBody.interrupt();
    // At 320 KB a second the whole body would take 50 s.
    assertThat(tookMs).as("answered and closed within 5 s").isLessThan(5_000);
  }

  @Test
  void connections_beyond_the_cap_are_refused_while_pushes_on_the_open_ones_succeed() throws Exception {
    start(Map.of("OMS_PUSH_MAX_CONNECTIONS", "3"));
    List<PushMessage> messages = List.of(outage(), outage(), outage(), outage());
    List<byte[]> envelopes = messages.stream().map(m -> iso.sign(m, PushSigner.Algorithm.RSA_SHA256)).toList();
    List<RawPushConnection> open = List.of(connect(pki.isoPushClient()), connect(pki.isoPushClient()),
        connect(pki.isoPushClient()));
    // Opened only once the three are counted: a connection is counted after its handshake.
    await("three connections open", () -> gauge("oms.push.connections") == 3);
    boolean answered;
    try {
      RawPushConnection beyond = connect(pki.isoPushClient());
      beyond.push(OUTAGE, envelopes.get(3));
      answered = true;
    } catch (IOException e) {
      answered = false; // closed at once, during or right after the handshake
    }
    assertThat(answered).as("a fourth connection is refused").isFalse();
    assertThat(stored(messages.get(3))).isZero();
    assertThat(counter("oms.push.connections.refused")).isGreaterThanOrEqualTo(1);
    for (int i = 0; i < 3; i++) {
      RawPushConnection.Answer a = open.get(i).push(OUTAGE, envelopes.get(i));
      assertThat(a.status()).as(a.body()).isEqualTo(200);
      assertThat(stored(messages.get(i))).isEqualTo(1);
    }
    // A place that frees up is taken again.
    open.get(0).close();
    PushMessage later = outage();
    await("a new connection is accepted once one closed", () -> {
      try {
        return pushWithin(later, Duration.ofSeconds(20)).statusCode() == 200;
      } catch (Exception | AssertionError e) {
        return false;
      }
    });
    assertThat(stored(later)).isEqualTo(1);
  }
}
