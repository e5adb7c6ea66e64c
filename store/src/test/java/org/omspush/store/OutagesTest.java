package org.omspush.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.store.Pushes.await;
import static org.omspush.store.Pushes.message;
import static org.omspush.store.Pushes.outage;

import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.omspush.store.testing.FreshDatabase;
import org.omspush.store.testing.TestDatabase;

/** Outages as the read API lists them, written by the push path's own statements. */
class OutagesTest {
  @RegisterExtension
  static final FreshDatabase fresh = new FreshDatabase(4);
  private DatabaseUrl db;
  private Pool pool;
  private PushStore store;
  private int messages;

  @BeforeEach
  void freshDatabase() {
    db = fresh.url();
    pool = fresh.pool();
    store = new PushStore(pool);
  }

  private void push(String participant, String mrid, long version) {
    await(store.storeOutageChange(message("m-" + ++messages, "doc-" + messages).forParticipant(participant),
        outage(mrid, version)));
  }

  private static Outages.Query all(int limit, Outages.Key after) {
    return new Outages.Query(null, null, null, null, null, after, limit);
  }

  private static List<String> mrids(Outages.Page page) {
    return page.outages().stream().map(o -> o.participant() + "/" + o.outageMRID() + "@" + o.newestVersion()).toList();
  }

  @Test
  void each_outage_is_listed_once_at_its_newest_version_newest_change_first() {
    push("default", "OUT-A", 1);
    push("default", "OUT-B", 1);
    push("default", "OUT-A", 2);
    push("SC_2", "OUT-A", 5);

    Outages.Page page = await(new Outages(pool).list(all(50, null)));

    assertThat(mrids(page)).containsExactly("SC_2/OUT-A@5", "default/OUT-A@2", "default/OUT-B@1");
    Outages.Summary a = page.outages().get(1);
    assertThat(a.status()).isEqualTo("APPROVED");
    assertThat(a.previousStatus()).isEqualTo("RECEIVED");
    assertThat(a.claimState()).isEqualTo("PENDING");
    assertThat(a.messageId()).isEqualTo("m-3");
    assertThat(page.next()).isNull();
  }

  @Test
  void a_listing_is_narrowed_by_participant_type_status_change_time_and_part_of_the_mrid() {
    push("default", "OUT-Apple", 1);
    push("SC_2", "OUT-apricot", 1);
    push("default", "TX-9", 1);
    TestDatabase.execute(db, "UPDATE outage SET outage_type = 'TRANSMISSION' WHERE outage_mrid = 'TX-9'");
    TestDatabase.execute(db, "UPDATE claim SET status = 'CANCELLED' WHERE outage_mrid = 'OUT-Apple'");
    TestDatabase.execute(db,
        "UPDATE outage SET updated_at = now() - interval '2 days' WHERE outage_mrid = 'OUT-apricot'");
    Outages outages = new Outages(pool);

    assertThat(mrids(await(outages.list(new Outages.Query("SC_2", null, null, null, null, null, 50)))))
        .containsExactly("SC_2/OUT-apricot@1");
    assertThat(mrids(await(outages.list(new Outages.Query(null, null, "transmission", null, null, null, 50)))))
        .containsExactly("default/TX-9@1");
    assertThat(mrids(await(outages.list(new Outages.Query(null, "cancelled", null, null, null, null, 50)))))
        .containsExactly("default/OUT-Apple@1");
    assertThat(mrids(await(outages.list(new Outages.Query(null, null, null,
        java.time.OffsetDateTime.now().minusDays(1), null, null, 50))))).containsExactly("default/TX-9@1",
        "default/OUT-Apple@1");
    assertThat(mrids(await(outages.list(new Outages.Query(null, null, null, null, "AP", null, 50)))))
        .containsExactlyInAnyOrder("default/OUT-Apple@1", "SC_2/OUT-apricot@1");
  }

  @Test
  void a_search_takes_the_text_literally_not_as_a_pattern() {
    push("default", "OUT_1", 1);
    push("default", "OUTX1", 1);
    push("default", "OUT%2", 1);

    Outages outages = new Outages(pool);

    assertThat(mrids(await(outages.list(new Outages.Query(null, null, null, null, "t_1", null, 50)))))
        .containsExactly("default/OUT_1@1");
    assertThat(mrids(await(outages.list(new Outages.Query(null, null, null, null, "%", null, 50)))))
        .containsExactly("default/OUT%2@1");
  }

  @Test
  void pages_continue_after_their_cursor_while_new_outages_arrive() {
    for (int i = 0; i < 5; i++) {
      push("default", "OUT-" + i, 1);
    }
    Outages outages = new Outages(pool);

    Outages.Page first = await(outages.list(all(2, null)));
    push("default", "OUT-new", 1);
    Outages.Page second = await(outages.list(all(2, first.next())));
    Outages.Page third = await(outages.list(all(2, second.next())));

    assertThat(mrids(first)).containsExactly("default/OUT-4@1", "default/OUT-3@1");
    assertThat(mrids(second)).containsExactly("default/OUT-2@1", "default/OUT-1@1");
    assertThat(mrids(third)).containsExactly("default/OUT-0@1");
    assertThat(third.next()).isNull();
  }

  @Test
  void a_page_reads_at_most_its_window_and_says_where_to_go_on_when_the_filter_matched_little() {
    push("default", "WANTED", 1);
    for (int i = 0; i < 6; i++) {
      push("default", "OTHER-" + i, 1);
    }
    Outages outages = new Outages(pool, 3);

    List<String> found = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    Outages.Key after = null;
    do {
      Outages.Page page = await(outages.list(new Outages.Query(null, null, null, null, "want", after, 10)));
      found.addAll(mrids(page));
      sizes.add(page.outages().size());
      after = page.next();
    } while (after != null);

    assertThat(found).containsExactly("default/WANTED@1");
    assertThat(sizes).as("7 outages read 3 at a time: two empty pages, then the match").containsExactly(0, 0, 1);
  }

  @Test
  void an_outages_history_has_every_version_with_its_message_and_claim() {
    push("default", "OUT-H", 1);
    push("default", "OUT-H", 3);
    push("default", "OUT-H", 2);
    push("SC_2", "OUT-H", 9);

    Outages.History h = await(new Outages(pool).history("default", "OUT-H"));

    assertThat(h.newestVersion()).isEqualTo(3);
    assertThat(h.versions()).extracting(Outages.Version::version).containsExactly(3L, 2L, 1L);
    assertThat(h.versions()).extracting(Outages.Version::claimState)
        .containsExactly("PENDING", "SUPERSEDED", "SUPERSEDED");
    assertThat(h.versions()).extracting(Outages.Version::messageId).containsExactly("m-2", "m-3", "m-1");
    assertThat(h.deliveries()).isEmpty();
    assertThat(h.truncated()).isFalse();
    assertThat(await(new Outages(pool).history("SC_3", "OUT-H"))).isNull();
  }
}
