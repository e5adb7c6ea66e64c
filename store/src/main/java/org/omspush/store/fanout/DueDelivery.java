package org.omspush.store.fanout;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * A delivery leased to a worker: what to send, to whom, and which attempt this is.
 *
 * @param eventType      {@code outage.status-changed} or {@code market.event}
 * @param outageVersion  null for a market event
 * @param data           the CloudEvents data object without the payload
 * @param payloadId      null when the event has no payload
 * @param payloadGzip    the gzipped payload when it is small enough to go inline, else null
 * @param participant    whose event it is (the CloudEvents extension attribute {@code participant})
 */
public record DueDelivery(
    UUID id,
    UUID subscriberId,
    UUID eventId,
    int attempt,
    OffsetDateTime eventCreatedAt,
    String eventType,
    String subject,
    OffsetDateTime time,
    Long outageVersion,
    JsonObject data,
    Long payloadId,
    String payloadContentType,
    Long payloadSize,
    String payloadSha256,
    Buffer payloadGzip,
    String participant) {}
