package org.omspush.store;

import java.time.OffsetDateTime;

/**
 * A document retrieved from the ISO, checked, its gzip already written as payload
 * {@code payloadId} ({@link PayloadStore}): the fields read from it. {@code sha256} (lowercase
 * hex) and {@code size} describe the uncompressed UTF-8 XML. The outage fields are null for a market-event document.
 */
public record RetrievedDocument(
    String outageMRID,
    String outageType,
    Long version,
    String status,
    OffsetDateTime lastModified,
    long payloadId,
    long size,
    String sha256) {}
