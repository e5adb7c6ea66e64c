package org.omspush.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.standardwebhooks.Webhook;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebhookSignatureTest {
  private static final String SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

  @Test
  void the_spec_test_vector_signs_as_the_reference_libraries_do() {
    String signature = WebhookSignature.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
        "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8), List.of(SPEC_SECRET));
    assertThat(signature).isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  }

  @Test
  void the_official_library_verifies_a_signature_with_each_active_secret() throws Exception {
    String other = WebhookSignature.newSecret();
    String body = "{\"specversion\":\"1.0\",\"data\":{\"x\":\"Ünïcödé\"}}";
    long now = System.currentTimeMillis() / 1000;
    String signature = WebhookSignature.sign("d-1", now, body.getBytes(StandardCharsets.UTF_8), List.of(other, SPEC_SECRET));
    assertThat(signature.split(" ")).hasSize(2).allMatch(s -> s.startsWith("v1,"));
    Map<String, List<String>> headers = Map.of("webhook-id", List.of("d-1"),
        "webhook-timestamp", List.of(Long.toString(now)), "webhook-signature", List.of(signature));
    new Webhook(other).verify(body, headers);
    new Webhook(SPEC_SECRET).verify(body, headers);
    assertThatThrownBy(() -> new Webhook(WebhookSignature.newSecret()).verify(body, headers))
        .as("a secret that did not sign").isInstanceOf(Exception.class);
    assertThatThrownBy(() -> new Webhook(other).verify(body + " ", headers))
        .as("a changed body").isInstanceOf(Exception.class);
  }

  @Test
  void generated_secrets_are_whsec_and_24_random_bytes() {
    String a = WebhookSignature.newSecret();
    assertThat(a).startsWith("whsec_").isNotEqualTo(WebhookSignature.newSecret());
    assertThat(WebhookSignature.key(a)).hasSize(24);
  }

  @Test
  void malformed_secrets_are_refused() {
    assertThatThrownBy(() -> WebhookSignature.key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).hasMessageContaining("whsec_");
    assertThatThrownBy(() -> WebhookSignature.key("whsec_not base64!")).hasMessageContaining("base64");
    assertThatThrownBy(() -> WebhookSignature.key("whsec_c2hvcnQ=")).hasMessageContaining("16 to 64 bytes");
  }
}
