package org.omspush.receiver.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The console's signed session cookies: what a replica with the same configuration honours, and what it refuses. */
class SessionsTest {
  static final byte[] KEY = "k".repeat(32).getBytes();
  static final String ADMIN = "admin-token-0123456789";
  static final String VIEW = "view-token-0123456789";
  static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
  final Sessions sessions = new Sessions(KEY, ADMIN, VIEW, Duration.ofHours(8));

  @Test
  void the_admin_and_view_tokens_sign_in_with_their_roles_and_nothing_else_does() {
    assertThat(sessions.signIn(ADMIN)).isEqualTo(Sessions.Role.ADMIN);
    assertThat(sessions.signIn(" " + VIEW + "\n")).isEqualTo(Sessions.Role.VIEW);
    assertThat(sessions.signIn("admin-token-012345678")).isNull();
    assertThat(sessions.signIn("")).isNull();
    assertThat(sessions.signIn(null)).isNull();
    assertThat(new Sessions(KEY, ADMIN, null, Duration.ofHours(1)).signIn("")).as("no view token set").isNull();
  }

  @Test
  void another_replica_with_the_same_configuration_honours_a_cookie_until_it_expires() {
    String cookie = sessions.issue(Sessions.Role.VIEW, NOW);
    Sessions other = new Sessions(KEY.clone(), ADMIN, VIEW, Duration.ofHours(8));
    assertThat(other.verify(cookie, NOW.plusSeconds(60)).role()).isEqualTo(Sessions.Role.VIEW);
    assertThat(other.verify(cookie, NOW.plus(Duration.ofHours(8)).minusSeconds(1))).isNotNull();
    assertThat(other.verify(cookie, NOW.plus(Duration.ofHours(8)))).as("expired").isNull();
  }

  @Test
  void an_altered_cookie_is_refused() {
    String cookie = sessions.issue(Sessions.Role.VIEW, NOW);
    String[] p = cookie.split("\\.");
    assertThat(sessions.verify("admin." + p[1] + "." + p[2] + "." + p[3], NOW)).as("role changed").isNull();
    assertThat(sessions.verify(p[0] + "." + (Long.parseLong(p[1]) + 3600) + "." + p[2] + "." + p[3], NOW))
        .as("expiry moved").isNull();
    assertThat(sessions.verify(p[0] + "." + p[1] + "." + p[2] + ".", NOW)).isNull();
    assertThat(sessions.verify(p[0] + "." + p[1] + "." + p[2] + ".%%%", NOW)).isNull();
    assertThat(sessions.verify("view.x.y", NOW)).isNull();
    assertThat(sessions.verify(null, NOW)).isNull();
    assertThat(sessions.verify("a".repeat(500), NOW)).isNull();
  }

  @Test
  void changing_the_admin_token_the_view_token_or_the_key_signs_everyone_out() {
    String cookie = sessions.issue(Sessions.Role.ADMIN, NOW);
    assertThat(new Sessions(KEY, ADMIN + "x", VIEW, Duration.ofHours(8)).verify(cookie, NOW)).isNull();
    assertThat(new Sessions(KEY, ADMIN, VIEW + "x", Duration.ofHours(8)).verify(cookie, NOW)).isNull();
    assertThat(new Sessions("j".repeat(32).getBytes(), ADMIN, VIEW, Duration.ofHours(8)).verify(cookie, NOW)).isNull();
  }

  @Test
  void a_view_session_is_refused_once_the_view_token_is_removed() {
    Sessions withoutView = new Sessions(KEY, ADMIN, null, Duration.ofHours(8));
    // Signed under the same key material by hand: the role must still be one this configuration allows.
    String cookie = withoutView.issue(Sessions.Role.VIEW, NOW);
    assertThat(withoutView.verify(cookie, NOW)).isNull();
    assertThat(withoutView.verify(withoutView.issue(Sessions.Role.ADMIN, NOW), NOW)).isNotNull();
  }

  @Test
  void the_csrf_token_belongs_to_one_session() {
    Sessions.Session a = sessions.verify(sessions.issue(Sessions.Role.ADMIN, NOW), NOW);
    Sessions.Session b = sessions.verify(sessions.issue(Sessions.Role.ADMIN, NOW), NOW);
    assertThat(sessions.csrfMatches(a, sessions.csrf(a))).isTrue();
    assertThat(sessions.csrfMatches(a, sessions.csrf(b))).isFalse();
    assertThat(sessions.csrfMatches(a, null)).isFalse();
    assertThat(sessions.csrfMatches(a, "")).isFalse();
    assertThat(Base64.getUrlDecoder().decode(sessions.csrf(a))).hasSize(32);
  }
}
