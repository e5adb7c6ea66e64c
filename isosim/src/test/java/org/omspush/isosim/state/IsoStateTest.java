package org.omspush.isosim.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.omspush.isosim.push.ClaimCheck;
import org.omspush.isosim.push.OutageStatusChange;

class IsoStateTest {

  static final Instant NOON = Instant.parse("2026-11-21T12:00:00Z");

  IsoState stateAt(Instant now) {
    return new IsoState(Clock.fixed(now, ZoneOffset.UTC), Duration.ofHours(1), 2048);
  }

  @Test
  void change_bumps_the_version_and_remembers_the_previous_status() {
    IsoState state = stateAt(NOON);

    OutageVersion v1 = state.createOutage("OMS-1", "RESOURCE", "RECEIVED");
    OutageVersion v2 = state.change("OMS-1", "APPROVED");
    OutageVersion v3 = state.change("OMS-1", "ACTIVE", 9000);

    assertThat(v1.version()).isEqualTo(1);
    assertThat(v1.previousStatus()).isNull();
    assertThat(v2.version()).isEqualTo(2);
    assertThat(v2.previousStatus()).isEqualTo("RECEIVED");
    assertThat(v2.documentSize()).isEqualTo(2048);
    assertThat(v3.previousStatus()).isEqualTo("APPROVED");
    assertThat(v3.documentSize()).isEqualTo(9000);
    assertThat(state.outage("OMS-1")).contains(v3);
    assertThat(state.outage("OMS-1", 2)).contains(v2);
    assertThat(state.versions("OMS-1")).containsExactly(v1, v2, v3);
  }

  @Test
  void changes_get_strictly_increasing_last_modified_even_on_a_stopped_clock() {
    IsoState state = stateAt(NOON);

    OutageVersion a = state.createOutage("A", "RESOURCE", "RECEIVED");
    OutageVersion b = state.createOutage("B", "RESOURCE", "RECEIVED");
    OutageVersion a2 = state.change("A", "APPROVED");

    assertThat(a.lastModified()).isEqualTo(NOON);
    assertThat(b.lastModified()).isEqualTo(NOON.plusMillis(1));
    assertThat(a2.lastModified()).isEqualTo(NOON.plusMillis(2));
  }

  @Test
  void tokens_serve_their_version_until_they_expire() {
    IsoState state = stateAt(NOON);
    OutageVersion v1 = state.createOutage("OMS-1", "RESOURCE", "RECEIVED");
    ClaimCheck valid = state.claimCheck(v1);
    ClaimCheck expired = state.claimCheck(v1, NOON.minusSeconds(1));
    state.change("OMS-1", "APPROVED");

    assertThat(valid.expires()).isEqualTo(NOON.plus(Duration.ofHours(1)));
    assertThat(valid.service()).isEqualTo(ClaimCheck.OUTAGE_SERVICE);
    assertThat(valid.token()).hasSizeLessThanOrEqualTo(256);
    assertThat(state.redeemOutageToken(valid.token()).outage()).isEqualTo(v1);
    assertThat(state.redeemOutageToken(expired.token()).outcome())
        .isEqualTo(Redemption.Outcome.EXPIRED_TOKEN);
    assertThat(state.redeemOutageToken("nope").outcome())
        .isEqualTo(Redemption.Outcome.UNKNOWN_TOKEN);
    assertThat(state.redeemMarketEventToken(valid.token()).outcome())
        .isEqualTo(Redemption.Outcome.UNKNOWN_TOKEN);
    assertThat(state.redeemOutage("OMS-1").outage().version()).isEqualTo(2);
    state.expireAllTokens();
    assertThat(state.redeemOutageToken(valid.token()).outcome())
        .isEqualTo(Redemption.Outcome.EXPIRED_TOKEN);
  }

  @Test
  void status_change_is_the_push_body_with_a_fresh_claim_check() {
    IsoState state = stateAt(NOON);
    state.createOutage("OMS-1", "TRANSMISSION", "RECEIVED");
    OutageVersion v2 = state.change("OMS-1", "APPROVED");

    OutageStatusChange push = state.statusChange(v2);
    OutageStatusChange again = state.statusChange(v2);

    assertThat(push.outageMRID()).isEqualTo("OMS-1");
    assertThat(push.outageType()).isEqualTo("TRANSMISSION");
    assertThat(push.version()).isEqualTo(2);
    assertThat(push.previousStatus()).isEqualTo("RECEIVED");
    assertThat(push.lastModified()).isEqualTo(v2.lastModified());
    assertThat(push.claimCheck().token()).isNotEqualTo(again.claimCheck().token());
    assertThat(state.redeemOutageToken(push.claimCheck().token()).outage()).isEqualTo(v2);
  }

  @Test
  void changes_after_a_position_are_the_newest_per_outage_oldest_first() {
    IsoState state = stateAt(NOON);
    state.createOutage("A", "RESOURCE", "RECEIVED");
    state.createOutage("B", "RESOURCE", "RECEIVED");
    state.createOutage("C", "RESOURCE", "RECEIVED");
    state.change("A", "APPROVED");

    ChangesPage all = state.changesAfter(ChangePosition.after(NOON.minusSeconds(1)), 10);
    ChangesPage firstTwo = state.changesAfter(ChangePosition.after(NOON.minusSeconds(1)), 2);
    ChangesPage rest = state.changesAfter(
        ChangePosition.fromCursor(firstTwo.next().toCursor()), 2);
    ChangesPage afterB = state.changesAfter(ChangePosition.after(NOON.plusMillis(1)), 10);

    assertThat(all.changes()).extracting(OutageVersion::outageMRID).containsExactly("B", "C", "A");
    assertThat(all.changes().get(2).version()).isEqualTo(2);
    assertThat(all.more()).isFalse();
    assertThat(firstTwo.changes()).extracting(OutageVersion::outageMRID).containsExactly("B", "C");
    assertThat(firstTwo.more()).isTrue();
    assertThat(rest.changes()).extracting(OutageVersion::outageMRID).containsExactly("A");
    assertThat(rest.more()).isFalse();
    assertThat(afterB.changes()).extracting(OutageVersion::outageMRID).containsExactly("C", "A");
  }

  @Test
  void cursor_round_trips_and_garbage_is_refused() {
    ChangePosition position = new ChangePosition(Instant.parse("2026-11-21T17:03:12.345Z"), "X-1");

    assertThat(ChangePosition.fromCursor(position.toCursor())).isEqualTo(position);
    assertThat(ChangePosition.fromCursor(ChangePosition.after(NOON).toCursor()))
        .isEqualTo(ChangePosition.after(NOON));
    assertThatThrownBy(() -> ChangePosition.fromCursor("bm90IGEgY3Vyc29y"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void unknown_or_duplicate_outages_are_refused() {
    IsoState state = stateAt(NOON);
    state.createOutage("A", "RESOURCE", "RECEIVED");

    assertThatThrownBy(() -> state.createOutage("A", "RESOURCE", "RECEIVED"))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> state.change("B", "APPROVED"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> state.createOutage("x".repeat(41), "RESOURCE", "RECEIVED"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
