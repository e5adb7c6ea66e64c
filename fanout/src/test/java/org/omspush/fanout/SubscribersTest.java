package org.omspush.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.omspush.fanout.Harness.await;

import io.vertx.core.Vertx;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.omspush.fanout.Hook.Reply;
import org.omspush.store.fanout.Subscriber;

/** Creating and changing subscribers: validation, the SSRF check at creation, the validation handshake. */
class SubscribersTest {
  static Vertx vertx;
  static Harness fanout;
  static Hook hook;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    fanout = Harness.start(vertx);
    hook = Hook.start(vertx);
  }

  @AfterAll
  static void stop() {
    hook.close();
    fanout.close();
    await(vertx.close());
  }

  private static Subscribers subscribers() {
    return fanout.fanout.subscribers();
  }

  private static SubscriberProblem problem(io.vertx.core.Future<?> f) {
    try {
      await(f);
    } catch (SubscriberProblem p) {
      return p;
    }
    throw new AssertionError("expected a problem");
  }

  @Test
  void a_subscriber_without_a_secret_gets_a_generated_one_and_its_filters_upper_case() {
    Subscriber s = await(subscribers().create(SubscriberDraft.of(hook.url(), List.of("market.event", "market.event"))
        .withFilters(List.of(), List.of("dam", "RTM"))));
    assertThat(s.secrets()).hasSize(1);
    assertThat(s.secrets().get(0).secret()).startsWith("whsec_");
    assertThat(s.eventTypes()).containsExactly("market.event");
    assertThat(s.outageTypes()).isNull();
    assertThat(s.markets()).containsExactly("DAM", "RTM");
    assertThat(s.enabled()).isTrue();
    assertThat(s.maxInFlight()).isEqualTo(4);
  }

  @Test
  void participants_are_kept_as_keys_empty_means_all_and_a_bad_key_is_a_problem() {
    Subscriber some = await(subscribers().create(SubscriberDraft.of(hook.url(), List.of("market.event"))
        .withParticipants(List.of("SC_A", "default", "SC_A"))));
    Subscriber all = await(subscribers().create(SubscriberDraft.of(hook.url(), List.of("market.event"))
        .withParticipants(List.of())));
    SubscriberProblem bad = problem(subscribers().create(SubscriberDraft.of(hook.url(), List.of("market.event"))
        .withParticipants(List.of("SC A"))));
    Subscriber changed = await(subscribers().update(all.id(), new SubscriberDraft(null, null, null, null, null,
        List.of("SC_B"), null, null, null, null, false, null, null)));

    assertThat(some.participants()).containsExactly("SC_A", "default");
    assertThat(all.participants()).isNull();
    assertThat(bad.problem().status()).isEqualTo(400);
    assertThat(bad.problem().detail()).contains("participants").contains("'SC A'");
    assertThat(changed.participants()).containsExactly("SC_B");
  }

  @Test
  void internal_urls_are_refused_at_creation_with_a_problem() {
    Subscribers strict = new Subscribers(vertx, new org.omspush.store.fanout.SubscriberStore(fanout.pool, fanout.keys),
        fanout.fanout.deliveries(), new SubscriberHttp(vertx, DestinationGuard.of("", false), null),
        Harness.TEST_SETTINGS.withGuard(DestinationGuard.of("", false)), () -> "localhost");
    for (String url : List.of("https://127.0.0.1/hook", "https://169.254.169.254/latest", "https://[fd00:ec2::254]/",
        "https://10.0.0.7/", "http://93.184.216.34/")) {
      SubscriberProblem p = problem(strict.create(SubscriberDraft.of(url, List.of("market.event"))));
      assertThat(p.problem().status()).as(url).isEqualTo(400);
      assertThat(p.problem().type()).isEqualTo("urn:omspush:problem:destination-refused");
    }
  }

  @Test
  void invalid_requests_are_refused_with_what_to_fix() {
    assertThat(problem(subscribers().create(SubscriberDraft.of(hook.url(), List.of("outage.created"))))
        .problem().detail()).contains("outage.created");
    assertThat(problem(subscribers().create(SubscriberDraft.of(null, List.of("market.event"))))
        .problem().detail()).contains("url is required");
    assertThat(problem(subscribers().create(SubscriberDraft.of(hook.url(), List.of("market.event"))
        .withSecret("not-a-secret"))).problem().detail()).contains("whsec_");
    assertThat(problem(subscribers().create(SubscriberDraft.of(hook.url(), List.of("market.event"))
        .withMaxInFlight(0))).problem().detail()).contains("maxInFlight");
    assertThat(problem(subscribers().create(SubscriberDraft.of(hook.url(), List.of("market.event"))
        .withClientCertificate("-----BEGIN CERTIFICATE-----\nxx\n-----END CERTIFICATE-----\n", "k")))
        .problem().detail()).contains("clientCertificate");
  }

  @Test
  void the_validation_handshake_must_allow_our_origin() {
    Hook allowing = Hook.start(vertx).answering(r -> r.method().equals("OPTIONS")
        ? new Reply(200, Map.of("WebHook-Allowed-Origin", r.headers().get("WebHook-Request-Origin")), java.time.Duration.ZERO, "")
        : Reply.ok());
    Hook refusing = Hook.start(vertx).answering(r -> Reply.status(200));
    try {
      Subscriber s = await(subscribers().create(SubscriberDraft.of(allowing.url(), List.of("market.event"))
          .withValidationHandshake(true)));
      assertThat(s.validationHandshake()).isTrue();
      assertThat(allowing.received.get(0).method()).isEqualTo("OPTIONS");
      assertThat(allowing.received.get(0).headers().get("WebHook-Request-Origin")).isEqualTo("127.0.0.1");

      SubscriberProblem p = problem(subscribers().create(SubscriberDraft.of(refusing.url(), List.of("market.event"))
          .withValidationHandshake(true)));
      assertThat(p.problem().type()).isEqualTo("urn:omspush:problem:validation-handshake-failed");
      assertThat(p.problem().detail()).contains("WebHook-Allowed-Origin");
    } finally {
      allowing.close();
      refusing.close();
    }
  }

  @Test
  void an_update_changes_only_what_it_names_and_enabling_again_clears_the_reason() {
    Subscriber s = await(subscribers().create(SubscriberDraft.of(hook.url(), List.of("market.event"))
        .withFilters(null, List.of("DAM"))));
    SubscriberDraft off = new SubscriberDraft(null, "trading desk", null, null, null, null, false, null, null, null, false,
        null, null);
    Subscriber disabled = await(subscribers().update(s.id(), off));
    assertThat(disabled.enabled()).isFalse();
    assertThat(disabled.disabledReason()).contains("operator");
    assertThat(disabled.markets()).containsExactly("DAM");
    assertThat(disabled.description()).isEqualTo("trading desk");
    Subscriber on = await(subscribers().update(s.id(), SubscriberDraft.of(null, null).withEnabled(true)
        .withFilters(null, List.of())));
    assertThat(on.enabled()).isTrue();
    assertThat(on.disabledReason()).isNull();
    assertThat(on.markets()).as("an empty list = every market").isNull();
    assertThat(problem(subscribers().update(java.util.UUID.randomUUID(), off)).problem().status()).isEqualTo(404);
    await(subscribers().delete(s.id()));
    assertThat(problem(subscribers().get(s.id())).problem().status()).isEqualTo(404);
  }
}
