package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.receiver.PushLoad.eventually;
import static org.omspush.receiver.PushLoad.freeLoopbackPort;
import static org.omspush.receiver.PushLoad.readyStatus;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.PushMessage;
import org.omspush.isosim.push.PushSigner;
import org.omspush.isosim.push.PusherOptions;
import org.omspush.receiver.PushLoad.Outcome;
import org.omspush.store.EmbeddedDatabase;
import org.omspush.store.Migrations;
import org.omspush.store.testing.TestDatabase;

/**
 * Invariant 1 across a restart of Postgres under load: while the database is down the receiver
 * answers 503 storage_unavailable (never 200) and reports not ready; when it is back the
 * receiver recovers by itself, without a restart; no push answered 200 is missing; retries of
 * the refused pushes are accepted and stored once.
 */
class PostgresRestartTest {
  private static final int CONCURRENCY = 16;
  /** How many of the refused pushes are retried at the end (all of them, up to this many). */
  private static final int MAX_RETRIES = 300;

  @TempDir Path dir;
  private EmbeddedDatabase db;
  private TestReceiver receiver;
  private PushLoad load;
  private final long started = System.nanoTime();

  @AfterEach
  void cleanUp() throws Exception {
    try {
      if (load != null) {
        load.stop();
      }
    } finally {
      try {
        if (receiver != null) {
          receiver.close();
        }
      } finally {
        if (db != null) {
          db.close();
        }
      }
    }
  }

  private void phase(String what) {
    System.out.printf("[%6.1f s] %s%n", (System.nanoTime() - started) / 1e9, what);
  }

  @Test
  void no_acked_push_lost_when_postgres_restarts_under_load() throws Exception {
    // A durable server (fsync on), as in production; on a fixed port and directory so it can be restarted.
    CompletableFuture<EmbeddedDatabase> database = CompletableFuture.supplyAsync(() -> {
      EmbeddedDatabase s = EmbeddedDatabase.start(dir.resolve("db"), freeLoopbackPort());
      Migrations.migrate(s.url());
      return s;
    });
    DevPki pki;
    try {
      pki = DevPki.generate(dir.resolve("pki"));
    } finally {
      db = database.get(120, TimeUnit.SECONDS);
    }
    int dbPort = db.port();
    receiver = TestReceiver.start(pki, db.url(), Map.of());
    int ops = receiver.app.opsPort();
    assertThat(eventually(Duration.ofSeconds(30), () -> readyStatus(ops) == 200)).as("ready at start").isTrue();
    phase("database, PKI and receiver");

    load = new PushLoad(receiver.pusher(PusherOptions.asIso(pki).poolSize(CONCURRENCY)), receiver.url(),
        PushSigner.of(pki.isoPushClient()), CONCURRENCY).presign(300);
    phase("presigned");
    load.start();
    assertThat(eventually(Duration.ofSeconds(60), () -> load.count(Outcome::acked) >= 20))
        .as("20 acks before Postgres stops; %s", load.summary()).isTrue();
    phase("acks under load: " + load.summary());

    // Postgres goes away (fast shutdown: its connections are closed) while pushes keep coming.
    db.stop();
    long downMark = load.mark();
    long downSince = System.nanoTime();
    phase("postgres stopped");
    boolean readyWentDown = eventually(Duration.ofSeconds(30), () -> readyStatus(ops) == 503);
    boolean refusedWhileDown = eventually(Duration.ofSeconds(30),
        () -> load.count(o -> o.seq() > downMark && o.storageUnavailable()) > 0);
    long remaining = TimeUnit.SECONDS.toMillis(2) - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - downSince);
    if (remaining > 0) {
      Thread.sleep(remaining);
    }
    phase("down: " + load.summary());

    // Back on the same port and directory; the receiver must find it by itself.
    db.start();
    assertThat(db.port()).isEqualTo(dbPort);
    long upMark = load.mark();
    phase("postgres started again");
    boolean recovered = eventually(Duration.ofSeconds(60),
        () -> load.count(o -> o.seq() > upMark && o.acked()) >= CONCURRENCY);
    boolean readyAgain = eventually(Duration.ofSeconds(30), () -> readyStatus(ops) == 200);
    load.stop();
    phase("recovered: " + load.summary());

    List<Outcome> outcomes = load.outcomes();
    Set<String> acked = load.ackedMessageIds();
    Map<String, PushMessage> refused = new LinkedHashMap<>();
    for (Outcome o : outcomes) {
      if (o.storageUnavailable()) {
        refused.put(o.messageId(), o.message());
      }
    }
    List<Outcome> unexpected = load.outcomes(o -> !o.acked() && !o.storageUnavailable());

    // 1. No push answered 200 is missing: not before the stop, not during, not after.
    Map<String, Long> claimsByMessage = claimsPerMessage();
    Set<String> lost = new TreeSet<>(acked);
    lost.removeAll(claimsByMessage.keySet());
    assertThat(acked).isNotEmpty();
    assertThat(lost.size()).as("answered 200 but not in inbound_message: %d of %d, e.g. %s; %s", lost.size(),
        acked.size(), PushLoad.some(lost), load.summary()).isZero();

    // 2. While down: 503 storage_unavailable, not ready. After: accepted again, ready, no restart.
    assertThat(refusedWhileDown).as("a 503 storage_unavailable while Postgres was down; %s", load.summary())
        .isTrue();
    assertThat(readyWentDown).as("/health/ready answered 503 while Postgres was down").isTrue();
    assertThat(recovered).as("%d pushes sent after Postgres was back answered 200 (within 60 s); %s", CONCURRENCY,
        load.summary()).isTrue();
    assertThat(readyAgain).as("/health/ready answered 200 again after Postgres was back").isTrue();
    assertThat(unexpected.size()).as("answers other than 200 or 503 storage_unavailable, or transport failures,"
        + " e.g. %s", PushLoad.some(unexpected)).isZero();

    // 3. Nothing half-written, even for transactions cut by the shutdown.
    Map<String, Long> halfWritten = new TreeMap<>(claimsByMessage);
    halfWritten.values().removeIf(n -> n == 1);
    assertThat(halfWritten.size()).as("outage messages without exactly one claim (MessageID=claims), e.g. %s",
        PushLoad.some(halfWritten.entrySet())).isZero();

    // 4. The ISO retries what was refused (re-signed, same MessageID): accepted, stored once.
    List<PushMessage> retried = new ArrayList<>(refused.values()).subList(0, Math.min(MAX_RETRIES, refused.size()));
    List<Outcome> retries = load.retry(retried);
    phase("retried " + retried.size() + " of " + refused.size() + " refused pushes");
    assertThat(retries).as("retries of pushes refused while Postgres was down").isNotEmpty()
        .allSatisfy(o -> assertThat(o.acked()).as("retry %s", o).isTrue());
    Map<String, Long> after = claimsPerMessage();
    for (PushMessage m : retried) {
      // message_id is unique: present means one row
      assertThat(after.get(m.messageId())).as("claims of retried %s", m.messageId()).isEqualTo(1L);
    }
    assertThat(after).as("rows after the retries").hasSize(claimsByMessage.size() + (int) retried.stream()
        .filter(m -> !claimsByMessage.containsKey(m.messageId())).count());
    System.out.printf("postgres restart test: %d acked, %d refused (503) of which %d retried; %s%n", acked.size(),
        refused.size(), retried.size(), load.summary());
  }

  /** Every message in the database with its number of claim rows (all pushes here are outage changes). */
  private Map<String, Long> claimsPerMessage() {
    Map<String, Long> result = new HashMap<>();
    for (Map<String, Object> row : TestDatabase.rows(db.url(),
        "SELECT m.message_id, (SELECT count(*) FROM claim c WHERE c.inbound_message_id = m.id) AS claims"
            + " FROM inbound_message m")) {
      result.put((String) row.get("message_id"), ((Number) row.get("claims")).longValue());
    }
    return result;
  }
}
