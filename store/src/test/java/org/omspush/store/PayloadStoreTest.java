package org.omspush.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.omspush.store.Pushes.await;
import static org.omspush.store.testing.TestDatabase.count;
import static org.omspush.store.testing.TestDatabase.execute;
import static org.omspush.store.testing.TestDatabase.queryLong;

import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.omspush.store.testing.FreshDatabase;

class PayloadStoreTest {
  @RegisterExtension
  static final FreshDatabase fresh = new FreshDatabase(4);
  private DatabaseUrl db;
  private Pool pool;
  private PayloadStore payloads;

  @BeforeEach
  void freshDatabase() {
    db = fresh.url();
    pool = fresh.pool();
    payloads = new PayloadStore(pool);
  }

  private static Buffer bytes(int n, int value) {
    Buffer b = Buffer.buffer(n);
    for (int i = 0; i < n; i++) {
      b.appendByte((byte) value);
    }
    return b;
  }

  @Test
  void chunks_are_read_back_in_order_once_the_payload_is_complete_and_not_before() {
    long id = await(payloads.begin());
    await(payloads.append(id, 0, bytes(1000, 1)));
    await(payloads.append(id, 1, bytes(500, 2)));
    await(payloads.append(id, 2, bytes(10, 3)));
    assertThat(await(payloads.describe(id))).as("still being written").isNull();

    execute(db, "UPDATE payload SET size_bytes = 9999, sha256 = ? WHERE id = ?", "c".repeat(64), id);

    var described = await(payloads.describe(id));
    assertThat(described).isEqualTo(new PayloadStore.Described(id, "application/xml", 9999, "c".repeat(64), 3, 1510));
    List<Buffer> firstTwo = await(payloads.pieces(id, 0, 2));
    assertThat(firstTwo).containsExactly(bytes(1000, 1), bytes(500, 2));
    assertThat(await(payloads.pieces(id, 2, 2))).containsExactly(bytes(10, 3));
    assertThatThrownBy(() -> await(payloads.append(id, 3, bytes(1, 4))))
        .as("a complete payload takes no more chunks").hasMessageContaining("is not being written");
  }

  @Test
  void a_payload_stored_whole_before_chunks_existed_reads_as_one_piece() {
    long id = queryLong(db, "INSERT INTO payload (content_gzip, size_bytes, sha256) VALUES (?, 7, ?) RETURNING id",
        new byte[] {9, 8, 7}, "d".repeat(64));

    assertThat(await(payloads.describe(id))).isEqualTo(
        new PayloadStore.Described(id, "application/xml", 7, "d".repeat(64), 1, 3));
    assertThat(await(payloads.pieces(id, 0, 4))).containsExactly(Buffer.buffer(new byte[] {9, 8, 7}));
  }

  @Test
  void discard_deletes_an_unreferenced_payload_with_its_chunks() {
    long id = await(payloads.begin());
    await(payloads.append(id, 0, bytes(100, 1)));

    await(payloads.discard(id));

    assertThat(count(db, "payload")).isZero();
    assertThat(count(db, "payload_chunk")).isZero();
  }
}
