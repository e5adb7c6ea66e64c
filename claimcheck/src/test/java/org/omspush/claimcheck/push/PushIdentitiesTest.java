package org.omspush.claimcheck.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;

class PushIdentitiesTest {
  @TempDir static Path dir;
  static DevPki pki;

  @BeforeAll
  static void setUp() {
    pki = DevPki.generate(dir);
  }

  private static String push() {
    return DevPki.ISO_PUSH_CLIENT_DN.getName();
  }

  @Test
  void subjects_are_compared_as_x500_names_not_strings() {
    PushIdentities ids = PushIdentities.parse("CN=oms-push.caiso.com,OU=OMS,O=CAISO,C=US");
    // Another stack's spacing and attribute-name case name the same subject.
    assertThat(ids.subjects()).contains(new X500Principal("cn=oms-push.caiso.com, ou=OMS, o=CAISO, c=US"));
  }

  @Test
  void several_subjects_are_separated_by_semicolons() {
    PushIdentities ids = PushIdentities.parse(" CN=a,O=CAISO,C=US ; CN=b,O=CAISO,C=US ;");
    assertThat(ids.subjects()).hasSize(2);
  }

  @Test
  void an_empty_allow_list_is_refused() {
    assertThatThrownBy(() -> PushIdentities.parse(" ; "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no ISO push identity");
    assertThatThrownBy(() -> PushIdentities.parse(null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void a_value_that_is_not_a_dn_is_named() {
    assertThatThrownBy(() -> PushIdentities.parse("CN=ok,C=US;not a dn"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'not a dn'");
  }

  @Test
  void a_subject_alone_allows_that_subject_from_any_trusted_issuer() {
    PushIdentities ids = PushIdentities.parse(push());
    assertThat(ids.allows(pki.isoPushClient().certificate())).isTrue();
    assertThat(ids.allows(pki.participantClient().certificate())).isFalse();
  }

  @Test
  void a_subject_pinned_to_its_issuer_refuses_the_same_subject_from_another_issuer() {
    String issuing = pki.isoIssuingCa().subject().getName();
    String root = pki.isoRootCa().subject().getName();
    assertThat(PushIdentities.parse(push() + " | issuer=" + issuing).allows(pki.isoPushClient().certificate()))
        .isTrue();
    PushIdentities other = PushIdentities.parse(push() + "|issuer=" + root);
    assertThat(other.allows(pki.isoPushClient().certificate())).isFalse();
    assertThatThrownBy(() -> other.check(pki.isoPushClient().certificate()))
        .isInstanceOf(PushRejectedException.class)
        .hasMessageContaining("issuer " + issuing);
  }

  @Test
  void a_public_key_pin_allows_that_key_and_refuses_another_with_the_same_subject() {
    byte[] spki = PushIdentities.spkiSha256(pki.isoPushClient().certificate());
    String colonHex = HexFormat.ofDelimiter(":").withUpperCase().formatHex(spki);
    for (String pin : new String[] {colonHex, HexFormat.of().formatHex(spki), Base64.getEncoder().encodeToString(spki)}) {
      PushIdentities ids = PushIdentities.parse("sha256:" + pin);
      assertThat(ids.allows(pki.isoPushClient().certificate())).as(pin).isTrue();
      // same subject and issuer, another key
      assertThat(ids.allows(pki.expiredPushClient().certificate())).as(pin).isFalse();
    }
    assertThat(PushIdentities.parse(push() + "|sha256:" + colonHex).allows(pki.isoPushClient().certificate()))
        .isTrue();
    assertThat(PushIdentities.parse("CN=someone else,C=US|sha256:" + colonHex)
        .allows(pki.isoPushClient().certificate())).as("every condition of an entry must hold").isFalse();
  }

  @Test
  void malformed_entries_are_refused_with_what_is_wrong() {
    assertThatThrownBy(() -> PushIdentities.parse("issuer=" + pki.isoIssuingCa().subject().getName()))
        .hasMessageContaining("not only an issuer");
    assertThatThrownBy(() -> PushIdentities.parse("sha256:abcd")).hasMessageContaining("'sha256:abcd' is not a");
    assertThatThrownBy(() -> PushIdentities.parse(push() + "|CN=x,C=US")).hasMessageContaining("two subjects");
    assertThatThrownBy(() -> PushIdentities.parse(push() + "|issuer=not a dn")).hasMessageContaining("'not a dn'");
  }
}
