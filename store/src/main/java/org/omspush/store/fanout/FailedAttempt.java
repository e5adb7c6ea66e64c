package org.omspush.store.fanout;

import java.util.UUID;

/**
 * The record of an attempt that did not end in 2xx.
 *
 * @param dead                    no attempt is left: the delivery becomes a dead letter
 * @param delayMillis             when not dead: the next attempt is due after this long
 * @param status                  the HTTP status, null when there was no answer
 * @param error                   what went wrong, for the operator
 * @param response                the start of the answer's body (bounded), or null
 * @param countsAgainstSubscriber a real attempt that failed (it moves the circuit breaker)
 * @param disableReason           non-null: disable the subscriber with this reason (410 Gone)
 */
public record FailedAttempt(
    UUID deliveryId,
    String owner,
    int attempt,
    boolean dead,
    long delayMillis,
    Integer status,
    String error,
    String response,
    boolean countsAgainstSubscriber,
    String disableReason) {}
