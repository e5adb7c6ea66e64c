package org.omspush.receiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.server.IsoSim;
import org.omspush.isosim.server.IsoSimOptions;
import org.omspush.receiver.DevEnvironment;
import org.omspush.receiver.tls.Certificates;
import org.omspush.receiver.tls.TestCertificates;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.testing.TestDatabase;

/** doctor against a receiver's environment: real Postgres, the test PKI, the ISO stand-in. */
class DoctorTest {
  @TempDir static Path dir;
  static DevPki pki;
  static DatabaseUrl db;
  static Vertx vertx;
  static IsoSim iso;

  @BeforeAll
  static void start() throws Exception {
    pki = DevPki.generate(dir);
    db = TestDatabase.fresh();
    addSubscriber(db, "http://127.0.0.1:9/hooks/outages?token=secret");
    vertx = Vertx.vertx();
    iso = await(IsoSim.start(vertx, IsoSimOptions.of(pki)));
  }

  @AfterAll
  static void stop() {
    await(iso.close());
    await(vertx.close());
  }

  static void addSubscriber(DatabaseUrl url, String hook) {
    TestDatabase.execute(url, "INSERT INTO subscriber (id, url, event_types) VALUES (?, ?, ARRAY['market.event'])",
        UUID.randomUUID(), hook);
  }

  static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static String urlOf(DatabaseUrl u) {
    return "postgresql://" + u.user() + (u.password() == null ? "" : ":" + u.password()) + "@" + u.host() + ":"
        + u.port() + "/" + u.database();
  }

  /** What serve would get in production, pointing at this machine's stand-ins. */
  static Map<String, String> goodEnvironment() {
    Map<String, String> env = new HashMap<>(DevEnvironment.of(pki));
    env.put("OMS_DATABASE_URL", urlOf(db));
    env.put("OMS_ISO_BASE_URL", iso.baseUrl());
    env.put("OMS_ISO_CA", pki.isoCaBundle().toString());
    env.put("OMS_ISO_CERT", pki.participantClient().certificateFile().toString());
    env.put("OMS_ISO_KEY", pki.participantClient().keyFile().toString());
    env.put("OMS_TLS_SERVER_CA", pki.serverCa().certificateFile().toString());
    env.put("OMS_PUSH_PUBLIC_URL", "https://localhost:8443/iso/v1/push");
    return env;
  }

  record Run(int status, String output) {
    String line(String check) {
      return output.lines().filter(l -> l.length() > 5 && l.substring(5).startsWith(check)).findFirst()
          .orElseThrow(() -> new AssertionError("no line for " + check + " in:\n" + output));
    }
  }

  static Run doctor(Map<String, String> env) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int status = Doctor.run(env, new PrintStream(out, true, StandardCharsets.UTF_8));
    return new Run(status, out.toString(StandardCharsets.UTF_8));
  }

  @Test
  void a_good_configuration_passes_every_check_and_prints_what_to_register() {
    Run r = doctor(goodEnvironment());

    assertThat(r.output()).doesNotContain("FAIL ").doesNotContain("WARN ");
    assertThat(r.status()).as(r.output()).isZero();
    assertThat(r.line("configuration")).startsWith("OK");
    assertThat(r.line("push server key")).startsWith("OK");
    assertThat(r.line("push server certificate")).startsWith("OK");
    assertThat(r.line("push server chain")).startsWith("OK").contains("OMS_TLS_SERVER_CA");
    assertThat(r.line("push endpoint URL")).startsWith("OK");
    assertThat(r.line("push TLS protocols")).startsWith("OK").contains("TLSv1.1 refused");
    assertThat(r.line("ISO client → ISO")).startsWith("OK").contains("mutual TLS");
    assertThat(r.line("database")).startsWith("OK");
    assertThat(r.line("migrations")).startsWith("OK").contains("current");
    assertThat(r.line("subscriber ")).startsWith("OK").contains("127.0.0.1").doesNotContain("secret");
    assertThat(r.output())
        .contains("endpoint URL:        https://localhost:8443/iso/v1/push")
        .contains("SHA-256 fingerprint: " + Certificates.fingerprint(pki.receiverServer().certificate()))
        .contains("server certificate:  " + DevPki.RECEIVER_SERVER_DN.getName());
    // a handshake only: the ISO saw no retrieve call
    assertThat(iso.stats().totalCalls()).isZero();
  }

  @Test
  void every_participant_is_listed_with_its_certificates_subject_and_expiry_and_a_refused_one_fails()
      throws Exception {
    Path participants = java.nio.file.Files.createDirectories(dir.resolve("participants-" + UUID.randomUUID()));
    Path good = java.nio.file.Files.createDirectories(participants.resolve("SC_OTHER"));
    java.nio.file.Files.copy(pki.otherParticipantClient().certificateFile(), good.resolve("tls.crt"));
    java.nio.file.Files.copy(pki.otherParticipantClient().keyFile(), good.resolve("tls.key"));
    Path bad = java.nio.file.Files.createDirectories(participants.resolve("SC_BAD"));
    java.nio.file.Files.copy(pki.otherParticipantClient().certificateFile(), bad.resolve("tls.crt"));
    java.nio.file.Files.copy(pki.isoServer().keyFile(), bad.resolve("tls.key"));
    Map<String, String> env = goodEnvironment();
    env.put("OMS_PARTICIPANTS_DIR", participants.toString());

    Run r = doctor(env);

    assertThat(r.line("participant default")).startsWith("OK")
        .contains(pki.participantClient().subject().getName()).contains("valid until");
    assertThat(r.line("participant SC_OTHER")).startsWith("OK")
        .contains(pki.otherParticipantClient().subject().getName())
        .contains(pki.otherParticipantClient().certificate().getNotAfter().toInstant().toString());
    assertThat(r.line("participant SC_BAD")).startsWith("FAIL").contains("does not belong");
    assertThat(r.status()).isEqualTo(1);
  }

  @Test
  void an_expired_server_certificate_fails() {
    Map<String, String> env = goodEnvironment();
    env.put("OMS_TLS_CERT", pki.expiredPushClient().certificateFile().toString());
    env.put("OMS_TLS_KEY", pki.expiredPushClient().keyFile().toString());
    Run r = doctor(env);
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.line("push server certificate")).startsWith("FAIL").contains("expired on");
    assertThat(r.line("push server key")).startsWith("OK");
  }

  @Test
  void a_key_that_does_not_belong_to_the_certificate_fails() {
    Map<String, String> env = goodEnvironment();
    env.put("OMS_TLS_KEY", pki.isoServer().keyFile().toString());
    Run r = doctor(env);
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.line("push server key")).startsWith("FAIL").contains("does not belong");
  }

  @Test
  void an_unreachable_database_fails_and_skips_the_subscribers() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    Map<String, String> env = goodEnvironment();
    env.put("OMS_DATABASE_URL", "postgresql://oms:pw@127.0.0.1:" + closed + "/oms");
    Run r = doctor(env);
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.line("database")).startsWith("FAIL").contains("unreachable").doesNotContain(":pw@");
    assertThat(r.output()).doesNotContain("subscriber ").doesNotContain("migrations");
  }

  @Test
  void the_secrets_key_is_required_for_an_external_database_and_checked_against_its_rows() throws Exception {
    Map<String, String> env = goodEnvironment();
    env.remove("OMS_SECRETS_KEY_FILE");
    Run none = doctor(env);
    assertThat(none.status()).isEqualTo(1);
    assertThat(none.line("secrets key")).startsWith("FAIL").contains("OMS_SECRETS_KEY_FILE").contains("secrets keygen");
    assertThat(doctor(goodEnvironment()).line("secrets at rest")).startsWith("OK");

    DatabaseUrl other = TestDatabase.fresh();
    UUID id = UUID.randomUUID();
    TestDatabase.execute(other, "INSERT INTO subscriber (id, url, event_types) VALUES (?, 'http://127.0.0.1:9/', "
        + "ARRAY['market.event'])", id);
    TestDatabase.execute(other, "INSERT INTO subscriber_secret (subscriber_id, secret) VALUES (?, "
        + "'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')", id);
    env = goodEnvironment();
    env.put("OMS_DATABASE_URL", urlOf(other));
    assertThat(doctor(env).line("secrets at rest")).startsWith("WARN").contains("1 still in plaintext");

    TestDatabase.execute(other, "UPDATE subscriber_secret SET secret = NULL, secret_sealed = '\\x00', "
        + "sealing_key_id = '0123456789abcdef'");
    Run foreign = doctor(env);
    assertThat(foreign.status()).isEqualTo(1);
    assertThat(foreign.line("secrets at rest")).startsWith("FAIL").contains("0123456789abcdef");
    assertThat(foreign.output()).as("subscribers are not read without their key").doesNotContain("http://127.0.0.1:9/");
  }

  @Test
  void a_subscriber_the_ssrf_guard_refuses_fails() {
    DatabaseUrl other = TestDatabase.fresh();
    addSubscriber(other, "https://169.254.169.254/latest/meta-data");
    Map<String, String> env = goodEnvironment();
    env.put("OMS_DATABASE_URL", urlOf(other));
    Run r = doctor(env);
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.line("subscriber ")).startsWith("FAIL").contains("link-local");
  }

  @Test
  void pending_migrations_warn_without_being_applied() {
    DatabaseUrl empty = TestDatabase.empty();
    Map<String, String> env = goodEnvironment();
    env.put("OMS_DATABASE_URL", urlOf(empty));
    Run r = doctor(env);
    assertThat(r.line("migrations")).startsWith("WARN").contains("pending");
    assertThat(r.line("subscribers")).startsWith("WARN").contains("not checked");
    assertThat(r.status()).as(r.output()).isZero();
    assertThat(TestDatabase.queryLong(empty,
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'flyway_schema_history'")).isZero();
  }

  @Test
  void a_client_certificate_the_iso_does_not_trust_fails_the_iso_check() {
    Map<String, String> env = goodEnvironment();
    env.put("OMS_ISO_CERT", pki.roguePushClient().certificateFile().toString());
    env.put("OMS_ISO_KEY", pki.roguePushClient().keyFile().toString());
    Run r = doctor(env);
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.line("ISO client → ISO")).startsWith("FAIL");
  }

  @Test
  void a_configuration_that_does_not_parse_fails_first() {
    Map<String, String> env = goodEnvironment();
    env.remove("OMS_TLS_CERT");
    Run r = doctor(env);
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.line("configuration")).startsWith("FAIL").contains("OMS_TLS_CERT");
  }

  @Test
  void each_crl_is_reported_with_its_next_update_and_a_stale_one_warns() throws Exception {
    DevPki.Credential ca = pki.isoIssuingCa();
    Instant nextWeek = Instant.now().plus(Duration.ofDays(7));
    Path fresh = Files.write(dir.resolve("fresh.crl.pem"), TestCertificates.crl(ca, ca, nextWeek, 7,
        pki.expiredPushClient().certificate()));
    Path stale = Files.write(dir.resolve("stale.crl.pem"), TestCertificates.crl(ca, ca,
        Instant.now().minusSeconds(60), 6));
    Map<String, String> env = goodEnvironment();
    env.put("OMS_TLS_CRL", fresh.toString());
    Run r = doctor(env);
    assertThat(r.status()).as(r.output()).isZero();
    assertThat(r.line("push client CRL")).startsWith("OK").contains(ca.subject().getName())
        .contains("CRL number 7, 1 revoked").contains("next update " + nextWeek.truncatedTo(ChronoUnit.SECONDS));

    env.put("OMS_TLS_CRL", fresh + "," + stale);
    r = doctor(env);
    assertThat(r.output().lines().filter(l -> l.contains("push client CRL"))).hasSize(2);
    assertThat(r.output()).containsPattern("WARN +push client CRL +.*CRL number 6.* is past its next update");
  }

  @Test
  void a_crl_not_signed_by_a_client_ca_fails_the_configuration() throws Exception {
    Path forged = Files.write(dir.resolve("forged.crl.pem"), TestCertificates.crl(pki.isoIssuingCa(), pki.rogueCa(),
        Instant.now().plus(Duration.ofDays(7)), 1));
    Map<String, String> env = goodEnvironment();
    env.put("OMS_TLS_CRL", forged.toString());
    Run r = doctor(env);
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.line("configuration")).startsWith("FAIL").contains("OMS_TLS_CRL").contains(forged.toString())
        .contains("not signed by any CA of OMS_TLS_CLIENT_CA");
  }
}
