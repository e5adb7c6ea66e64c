package org.omspush.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A page of a listing that reads at most a window of rows past its cursor, in index order, and
 * filters those: a page fills up, or ends the window, or ends the table. When the window ran out
 * first the page may be short (even empty) and still carry the key to continue from.
 */
final class KeysetWindow {
  private KeysetWindow() {}

  /** The rows of a page, and the key after which the next page starts (null: nothing is left). */
  record Page<T, K>(List<T> items, K next) {}

  /**
   * @param list     the listing, whose last parameter is the page size + 1
   * @param windowEnd the key of the window's last row, no row when the window was not full
   */
  static <T, K> Future<Page<T, K>> read(Pool pool, String list, Tuple listArgs, String windowEnd, Tuple windowArgs,
      int limit, Function<Row, T> item, Function<T, K> keyOfItem, Function<Row, K> keyOfRow) {
    return pool.preparedQuery(list).execute(listArgs.addInteger(limit + 1)).compose(rows -> {
      List<T> out = new ArrayList<>();
      for (Row r : rows) {
        out.add(item.apply(r));
      }
      if (out.size() > limit) {
        List<T> page = List.copyOf(out.subList(0, limit));
        return Future.succeededFuture(new Page<>(page, keyOfItem.apply(page.get(limit - 1))));
      }
      return pool.preparedQuery(windowEnd).execute(windowArgs).map(end -> new Page<>(List.copyOf(out),
          end.size() == 0 ? null : keyOfRow.apply(end.iterator().next())));
    });
  }
}
