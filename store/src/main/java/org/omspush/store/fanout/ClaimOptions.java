package org.omspush.store.fanout;

/**
 * How a worker claims.
 *
 * @param owner              the lease owner: unique per worker
 * @param leaseMillis        how long a delivery stays this worker's (longer than an attempt takes)
 * @param limit              at most this many deliveries in all
 * @param subscribers        at most this many subscribers per claim
 * @param openBreakerBatch   how many due deliveries of a subscriber with an open breaker to take
 *                           (they are failed at once, without a request)
 * @param breakerThreshold   failures in a row that open a subscriber's breaker
 * @param inlinePayloadMax   payloads up to this many bytes come with their content
 */
public record ClaimOptions(
    String owner,
    long leaseMillis,
    int limit,
    int subscribers,
    int openBreakerBatch,
    int breakerThreshold,
    long inlinePayloadMax) {}
