package org.omspush.store.fanout;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * What one claim took: the leased deliveries, their subscribers (with the secrets that sign
 * now), and which of those subscribers have their circuit breaker open (their deliveries are
 * failed without a request).
 *
 * @param skipped how many superseded deliveries this claim marked SKIPPED
 */
public record ClaimedWork(
    List<DueDelivery> deliveries, Map<UUID, Subscriber> subscribers, Set<UUID> paused, int skipped) {

  public static final ClaimedWork NONE = new ClaimedWork(List.of(), Map.of(), Set.of(), 0);
}
