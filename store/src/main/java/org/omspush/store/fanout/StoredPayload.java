package org.omspush.store.fanout;

import io.vertx.core.buffer.Buffer;

/** A payload as stored: gzipped; size and sha256 (lowercase hex) are over the uncompressed bytes. */
public record StoredPayload(long id, String contentType, Buffer contentGzip, long sizeBytes, String sha256) {}
