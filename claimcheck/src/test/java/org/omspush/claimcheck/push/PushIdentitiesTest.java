package org.omspush.claimcheck.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.Test;

class PushIdentitiesTest {

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
}
