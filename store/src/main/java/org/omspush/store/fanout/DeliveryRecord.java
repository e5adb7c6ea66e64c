package org.omspush.store.fanout;

import java.time.OffsetDateTime;
import java.util.UUID;

/** A delivery as the admin API lists it. */
public record DeliveryRecord(
    UUID id,
    UUID eventId,
    String eventType,
    String subject,
    String outageMRID,
    Long outageVersion,
    String state,
    int attempts,
    OffsetDateTime nextAttemptAt,
    Integer lastStatus,
    String lastError,
    String lastResponse,
    OffsetDateTime createdAt,
    OffsetDateTime updatedAt,
    OffsetDateTime deliveredAt,
    String participant) {}
