package org.omspush.store.fanout;

import java.time.OffsetDateTime;

/** A row of the claim table for operators (the claim-check token is left out). */
public record ClaimRecord(
    long id,
    String kind,
    String outageMRID,
    String outageType,
    Long version,
    String status,
    String previousStatus,
    OffsetDateTime lastModified,
    Long marketEventId,
    String service,
    OffsetDateTime expiresAt,
    String state,
    int attempts,
    OffsetDateTime nextAttemptAt,
    String lastError,
    Long payloadId,
    OffsetDateTime createdAt,
    OffsetDateTime updatedAt,
    OffsetDateTime redeemedAt,
    String participant) {}
