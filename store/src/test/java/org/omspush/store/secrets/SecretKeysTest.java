package org.omspush.store.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class SecretKeysTest {
  private static final String PLACE = SealedColumn.SUBSCRIBER_SECRET.place("0d7c5f8e-0000-4000-8000-000000000001");
  private final SealingKey key = SealingKey.generate();
  private final SecretKeys keys = SecretKeys.of(key);

  @Test
  void a_sealed_secret_opens_to_what_was_sealed_and_does_not_contain_it() {
    String secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    SealedValue v = keys.seal(secret, PLACE);
    assertThat(v.keyId()).isEqualTo(key.id());
    assertThat(new String(v.box(), StandardCharsets.ISO_8859_1)).doesNotContain("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    assertThat(keys.openText(v, PLACE)).isEqualTo(secret);
    assertThat(keys.seal(secret, PLACE).box()).as("a fresh nonce each time").isNotEqualTo(v.box());
  }

  @Test
  void a_value_opened_once_is_not_decrypted_again_and_callers_get_their_own_copy() {
    SealedValue v = keys.seal("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", PLACE);
    byte[] first = keys.open(v, PLACE);
    first[0] = 'X';
    for (int i = 0; i < 100; i++) {
      assertThat(keys.openText(new SealedValue(v.keyId(), v.box().clone()), PLACE))
          .isEqualTo("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    }
    assertThat(keys.decryptions()).isEqualTo(1);
  }

  @Test
  void a_value_opened_once_still_refuses_its_tampered_copies_and_other_places() {
    SealedValue v = keys.seal("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", PLACE);
    keys.open(v, PLACE);
    byte[] box = v.box().clone();
    box[box.length - 1] ^= 0x01;
    assertThatThrownBy(() -> keys.open(new SealedValue(v.keyId(), box), PLACE))
        .isInstanceOf(SealedSecretException.class).hasMessageContaining("altered");
    String other = SealedColumn.SUBSCRIBER_SECRET.place("0d7c5f8e-0000-4000-8000-000000000002");
    assertThatThrownBy(() -> keys.open(v, other)).isInstanceOf(SealedSecretException.class);
    assertThat(keys.sealingWith(SealingKey.generate()).openText(v, PLACE))
        .as("another SecretKeys, e.g. during a rotation, opens it itself")
        .isEqualTo("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  }

  @Test
  void a_key_id_is_the_first_8_bytes_of_its_sha256_in_hex() throws Exception {
    byte[] raw = Base64.getDecoder().decode(key.toBase64().strip());
    byte[] digest = MessageDigest.getInstance("SHA-256").digest(raw);
    assertThat(key.id()).isEqualTo(HexFormat.of().formatHex(Arrays.copyOf(digest, 8))).hasSize(16);
    assertThat(SealingKey.parse(key.toBase64()).id()).isEqualTo(key.id());
  }

  @Test
  void a_tampered_sealed_secret_is_refused() {
    SealedValue v = keys.seal("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", PLACE);
    for (int i = 0; i < v.box().length; i += 7) {
      byte[] box = v.box().clone();
      box[i] ^= 0x01;
      assertThatThrownBy(() -> keys.open(new SealedValue(v.keyId(), box), PLACE))
          .isInstanceOf(SealedSecretException.class).hasMessageContaining("altered");
    }
    assertThatThrownBy(() -> keys.open(new SealedValue(v.keyId(), Arrays.copyOf(v.box(), 20)), PLACE))
        .isInstanceOf(SealedSecretException.class);
  }

  @Test
  void a_sealed_secret_copied_to_another_row_is_refused() {
    SealedValue v = keys.seal("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", PLACE);
    String other = SealedColumn.SUBSCRIBER_SECRET.place("0d7c5f8e-0000-4000-8000-000000000002");
    assertThatThrownBy(() -> keys.open(v, other)).isInstanceOf(SealedSecretException.class);
  }

  @Test
  void a_secret_under_a_key_not_configured_is_refused_naming_that_key() {
    SealedValue v = SecretKeys.of(SealingKey.generate()).seal("x", PLACE);
    assertThatThrownBy(() -> keys.open(v, PLACE)).isInstanceOf(SealedSecretException.class)
        .hasMessageContaining(v.keyId()).hasMessageContaining("OMS_SECRETS_KEY_FILE");
  }

  @Test
  void during_a_rotation_the_new_key_seals_and_both_open() {
    SealedValue old = keys.seal("old", PLACE);
    SealingKey next = SealingKey.generate();
    SecretKeys rotating = keys.sealingWith(next);
    assertThat(rotating.currentId()).isEqualTo(next.id());
    assertThat(rotating.ids()).containsExactly(next.id(), key.id());
    assertThat(rotating.openText(old, PLACE)).isEqualTo("old");
    assertThat(rotating.seal("new", PLACE).keyId()).isEqualTo(next.id());
    assertThat(new SecretKeys(next, List.of(key)).openText(old, PLACE)).isEqualTo("old");
  }

  @Test
  void a_key_file_that_is_not_32_bytes_of_base64_is_refused() {
    assertThatThrownBy(() -> SealingKey.parse("not base64!")).hasMessageContaining("base64");
    assertThatThrownBy(() -> SealingKey.parse(Base64.getEncoder().encodeToString(new byte[16])))
        .hasMessageContaining("16 bytes, not 32");
  }
}
