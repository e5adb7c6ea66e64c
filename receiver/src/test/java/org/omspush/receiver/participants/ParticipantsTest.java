package org.omspush.receiver.participants;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.claimcheck.retrieve.IsoIdentity;
import org.omspush.claimcheck.retrieve.RetrieveServices;
import org.omspush.isosim.pki.DevPki;
import org.omspush.receiver.tls.TestCertificates;

/** The registry on a directory laid out as Kubernetes mounts it, with certificates of the test PKI. */
class ParticipantsTest {
  @TempDir static Path pkiDir;
  static DevPki pki;

  @TempDir Path mount;
  ParticipantDirectory dir;
  SimpleMeterRegistry metrics;
  Participants participants;

  @BeforeAll
  static void pki() {
    pki = DevPki.generate(pkiDir);
  }

  @BeforeEach
  void registry() throws Exception {
    dir = new ParticipantDirectory(mount.resolve("participants"));
    metrics = new SimpleMeterRegistry();
    var d = pki.participantClient();
    IsoIdentity configured = new IsoIdentity(d.certificate(), d.chain(), d.privateKey(), d.certificateFile(),
        d.keyFile(), RetrieveServices.ALL);
    participants = new Participants(dir.path(), configured, metrics, Clock.systemUTC());
  }

  static TestCertificates.Leaf client(String cn, Instant notBefore, Instant notAfter) throws Exception {
    return TestCertificates.issue(pki.isoIssuingCa(), new X500Principal("CN=" + cn + ",O=Test SC"), notBefore,
        notAfter, KeyPurposeId.id_kp_clientAuth);
  }

  static TestCertificates.Leaf valid(String cn) throws Exception {
    return client(cn, Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(30)));
  }

  private double refused(String reason) {
    var c = metrics.find("oms_participant_refusals_total").tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void a_participant_directory_added_at_run_time_is_picked_up_and_a_removed_one_stops_being_one() throws Exception {
    participants.refresh();
    assertThat(participants.isParticipant("SC_A")).isFalse();

    var a = valid("SC A");
    dir.put("SC_A", a);
    participants.refresh();
    assertThat(participants.isParticipant("SC_A")).isTrue();
    assertThat(participants.identity("SC_A")).get().extracting(IsoIdentity::certificate).isEqualTo(a.certificate());
    assertThat(metrics.get("oms_participants").gauge().value()).isEqualTo(2);

    dir.remove("SC_A");
    participants.refresh();
    assertThat(participants.isParticipant("SC_A")).isFalse();
    assertThat(participants.identity("SC_A")).isEmpty();
    assertThat(participants.isParticipant("default")).as("default stays").isTrue();
  }

  @Test
  void a_key_that_does_not_match_or_an_expired_certificate_is_refused_and_counted_while_the_others_keep_working()
      throws Exception {
    var good = valid("SC GOOD");
    dir.put("SC_GOOD", good);
    dir.put("SC_MISMATCH", valid("SC MISMATCH"), valid("SC OTHER").keyPair().getPrivate());
    dir.put("SC_EXPIRED", client("SC EXPIRED", Instant.now().minus(Duration.ofDays(30)),
        Instant.now().minus(Duration.ofDays(1))));
    participants.refresh();
    participants.refresh(); // a second look at the same bad files counts nothing more

    assertThat(participants.isParticipant("SC_GOOD")).isTrue();
    assertThat(participants.identity("SC_GOOD")).get().extracting(IsoIdentity::certificate)
        .isEqualTo(good.certificate());
    assertThat(participants.isParticipant("SC_MISMATCH")).isFalse();
    assertThat(participants.isParticipant("SC_EXPIRED")).isFalse();
    assertThat(refused("key_mismatch")).isEqualTo(1);
    assertThat(refused("expired")).isEqualTo(1);
    assertThat(metrics.get("oms_participants_refused").gauge().value()).isEqualTo(2);
  }

  @Test
  void a_directory_that_is_no_key_or_cannot_be_read_is_refused() throws Exception {
    dir.put("has space", valid("X"));
    java.nio.file.Files.createDirectories(dir.path().resolve("SC_EMPTY"));
    participants.refresh();

    assertThat(participants.isParticipant("has space")).isFalse();
    assertThat(participants.isParticipant("SC_EMPTY")).isFalse();
    assertThat(refused("not_a_key")).isEqualTo(1);
    assertThat(refused("unreadable")).isEqualTo(1);
  }

  @Test
  void a_renewed_certificate_is_the_one_the_registry_hands_out_next_and_a_bad_renewal_keeps_the_valid_one()
      throws Exception {
    var first = valid("SC A");
    dir.put("SC_A", first);
    participants.refresh();
    var renewed = valid("SC A");
    dir.put("SC_A", renewed);
    participants.refresh();

    assertThat(participants.identity("SC_A")).get().extracting(IsoIdentity::certificate)
        .isEqualTo(renewed.certificate());

    dir.put("SC_A", valid("SC A"), first.keyPair().getPrivate());
    participants.refresh();

    assertThat(participants.identity("SC_A")).as("the newest valid one").get().extracting(IsoIdentity::certificate)
        .isEqualTo(renewed.certificate());
    assertThat(refused("key_mismatch")).isEqualTo(1);
  }

  @Test
  void default_is_oms_iso_cert_unless_a_default_directory_holds_a_newer_valid_certificate() throws Exception {
    participants.refresh();
    assertThat(participants.identity("default")).get().extracting(IsoIdentity::certificate)
        .isEqualTo(pki.participantClient().certificate());

    var newer = valid("SC DEFAULT RENEWED");
    dir.put("default", newer);
    participants.refresh();

    assertThat(participants.identity("default")).get().extracting(IsoIdentity::certificate)
        .isEqualTo(newer.certificate());
    assertThat(participants.list()).extracting(Participants.Participant::key).containsExactly("default");
    assertThat(Set.copyOf(participants.identity("default").orElseThrow().services())).isEqualTo(RetrieveServices.ALL);
  }
}
