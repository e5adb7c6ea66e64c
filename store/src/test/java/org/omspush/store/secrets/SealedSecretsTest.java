package org.omspush.store.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.store.testing.TestDatabase.execute;
import static org.omspush.store.testing.TestDatabase.queryLong;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.Pools;
import org.omspush.store.fanout.DeliveryStore;
import org.omspush.store.fanout.Subscriber;
import org.omspush.store.fanout.SubscriberStore;
import org.omspush.store.testing.TestDatabase;

/** Secrets written before V16 are sealed at start-up, by several replicas at once, and re-sealed by a rotation. */
class SealedSecretsTest {
  private static final int SUBSCRIBERS = 250; // more than one batch
  private static final int SECRETS = SUBSCRIBERS * 2 + SUBSCRIBERS + 1; // secrets, client keys, the link key

  private Vertx vertx;
  private DatabaseUrl db;
  private Pool one;
  private Pool two;
  private final SecretKeys keys = SecretKeys.of(SealingKey.generate());

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    db = TestDatabase.fresh();
    one = Pools.create(vertx, db, 2);
    two = Pools.create(vertx, db, 2);
    // as the version before V16 left them: plaintext
    execute(db, """
        INSERT INTO subscriber (id, url, event_types, client_cert_pem, client_key_pem)
        SELECT md5(i::text)::uuid, 'https://hooks.example.com/' || i, ARRAY['market.event'],
               'CERT-' || i, '-----BEGIN PRIVATE KEY-----KEY-' || i || '-----END PRIVATE KEY-----'
          FROM generate_series(1, ?) i""", SUBSCRIBERS);
    execute(db, """
        INSERT INTO subscriber_secret (subscriber_id, secret, expires_at)
        SELECT id, 'whsec_' || encode(decode(md5(id::text || n), 'hex'), 'base64'),
               CASE WHEN n = 1 THEN now() + interval '1 hour' END
          FROM subscriber, generate_series(1, 2) n""");
    execute(db, "INSERT INTO fanout_key (name, key) VALUES ('payload-url', decode(repeat('ab', 32), 'hex'))");
  }

  @AfterEach
  void stop() {
    await(vertx.close());
  }

  @Test
  void replicas_starting_together_seal_every_plaintext_secret_once_and_read_the_same_values() {
    Map<UUID, Subscriber> before = byId(await(new SubscriberStore(one, keys).list()));

    List<Integer> sealed = await(Future.all(new SealedSecrets(one).sealPlaintext(keys),
        new SealedSecrets(two).sealPlaintext(keys))).list();

    assertThat(sealed.stream().mapToInt(Integer::intValue).sum()).isEqualTo(SECRETS);
    assertThat(queryLong(db, "SELECT count(*) FROM subscriber_secret WHERE secret IS NOT NULL")).isZero();
    assertThat(queryLong(db, "SELECT count(*) FROM subscriber WHERE client_key_pem IS NOT NULL")).isZero();
    assertThat(queryLong(db, "SELECT count(*) FROM fanout_key WHERE key IS NOT NULL")).isZero();
    SealedSecrets.Census census = await(new SealedSecrets(one).census());
    assertThat(census.plaintext()).isZero();
    assertThat(census.byKey()).containsExactly(Map.entry(keys.currentId(), (long) SECRETS));

    Map<UUID, Subscriber> after = byId(await(new SubscriberStore(two, keys).list()));
    assertThat(after).hasSize(SUBSCRIBERS);
    after.forEach((id, s) -> {
      assertThat(s.clientKeyPem()).isEqualTo(before.get(id).clientKeyPem()).startsWith("-----BEGIN PRIVATE KEY-----");
      assertThat(s.secrets()).extracting(x -> x.secret())
          .containsExactlyElementsOf(before.get(id).secrets().stream().map(x -> x.secret()).toList());
    });
    assertThat(await(new DeliveryStore(one, keys).sharedKey("payload-url"))).containsOnly((byte) 0xab).hasSize(32);

    assertThat(await(new SealedSecrets(two).sealPlaintext(keys))).as("running it again").isZero();
  }

  @Test
  void a_rotation_reseals_every_secret_under_the_new_key_and_the_old_key_is_then_not_needed() {
    await(new SealedSecrets(one).sealPlaintext(keys));
    Map<UUID, Subscriber> before = byId(await(new SubscriberStore(one, keys).list()));
    SealingKey next = SealingKey.generate();

    int resealed = await(new SealedSecrets(one).resealAll(keys.sealingWith(next)));

    assertThat(resealed).isEqualTo(SECRETS);
    assertThat(await(new SealedSecrets(one).census()).byKey()).containsExactly(Map.entry(next.id(), (long) SECRETS));
    SecretKeys onlyNew = SecretKeys.of(next);
    Map<UUID, Subscriber> after = byId(await(new SubscriberStore(two, onlyNew).list()));
    after.forEach((id, s) -> {
      assertThat(s.clientKeyPem()).isEqualTo(before.get(id).clientKeyPem());
      assertThat(s.secrets()).extracting(x -> x.secret())
          .containsExactlyElementsOf(before.get(id).secrets().stream().map(x -> x.secret()).toList());
    });
    assertThat(await(new DeliveryStore(two, onlyNew).sharedKey("payload-url"))).containsOnly((byte) 0xab);
    assertThat(await(new SealedSecrets(two).resealAll(SecretKeys.of(next)))).as("running it again").isZero();
  }

  @Test
  void a_subscriber_whose_secret_was_altered_is_refused_and_the_others_still_read() {
    await(new SealedSecrets(one).sealPlaintext(keys));
    UUID victim = UUID.fromString(TestDatabase.rows(db, "SELECT md5('7')::uuid AS id").get(0).get("id").toString());
    execute(db, "UPDATE subscriber_secret SET secret_sealed = set_byte(secret_sealed, 20, get_byte(secret_sealed, 20) # 1)"
        + " WHERE id = (SELECT min(id) FROM subscriber_secret WHERE subscriber_id = ?)", victim);

    Throwable refused = failure(new SubscriberStore(one, keys).get(victim));
    assertThat(refused).isInstanceOf(SealedSecretException.class).hasMessageContaining("altered");
    assertThat(refused.getMessage()).doesNotContain("whsec_");
    assertThat(await(new SubscriberStore(one, keys).get(UUID.fromString(TestDatabase.rows(db,
        "SELECT md5('8')::uuid AS id").get(0).get("id").toString()))).secrets()).hasSize(2);
  }

  private static Map<UUID, Subscriber> byId(List<Subscriber> list) {
    Map<UUID, Subscriber> m = new HashMap<>();
    list.forEach(s -> m.put(s.id(), s));
    return m;
  }

  private static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new AssertionError(e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static Throwable failure(Future<?> f) {
    try {
      f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("it succeeded");
  }
}
