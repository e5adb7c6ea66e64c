package org.omspush.store.fanout;

import java.util.UUID;

/** A 2xx answer to be recorded: the delivery, the attempt its lease is for, and the status. */
public record SuccessfulAttempt(UUID deliveryId, int attempt, int status) {}
