package org.omspush.store.retention;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * What one retention run deleted.
 *
 * @param deleted  rows deleted per table (every table of {@link #TABLES}, 0 when none)
 * @param capped   tables that reached the per-run limit of batches: more is left for the next run
 * @param cancelled whether the run stopped early because the receiver is stopping
 */
public record RetentionRun(Map<String, Long> deleted, Set<String> capped, boolean cancelled) {
  public static final String DELIVERY = "delivery";
  public static final String EVENT = "event";
  public static final String CLAIM = "claim";
  public static final String MARKET_EVENT = "market_event";
  public static final String PAYLOAD = "payload";
  public static final String INBOUND_MESSAGE = "inbound_message";
  /** Every table retention deletes from, in the order it does. */
  public static final java.util.List<String> TABLES =
      java.util.List.of(DELIVERY, EVENT, CLAIM, MARKET_EVENT, PAYLOAD, INBOUND_MESSAGE);

  public RetentionRun {
    deleted = Collections.unmodifiableMap(new LinkedHashMap<>(deleted));
    capped = Collections.unmodifiableSet(new LinkedHashSet<>(capped));
  }

  /** Rows deleted from {@code table}. */
  public long deleted(String table) {
    return deleted.getOrDefault(table, 0L);
  }

  public long total() {
    return deleted.values().stream().mapToLong(Long::longValue).sum();
  }
}
