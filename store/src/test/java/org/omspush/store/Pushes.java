package org.omspush.store;

import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Test data: pushes as the parser would hand them to the store, and waiting on Futures. */
final class Pushes {

  static final OffsetDateTime MODIFIED = OffsetDateTime.of(2026, 11, 21, 17, 3, 12, 345_000_000, ZoneOffset.UTC);

  private Pushes() {}

  static InboundMessage message(String messageId, String document) {
    return new InboundMessage(
        messageId,
        "receiveOutageStatusChange_v1",
        "CN=CAISO OMS Push,OU=IT,O=CAISO,C=US",
        sha256(document),
        ("<soap:Envelope>" + document + "</soap:Envelope>").getBytes(StandardCharsets.UTF_8));
  }

  static OutageChange outage(String mrid, long version) {
    return new OutageChange(mrid, "RESOURCE", version, "APPROVED", version == 1 ? null : "RECEIVED", MODIFIED.plusSeconds(version),
        new ClaimCheck("token-" + mrid + "-" + version, PushStore.DEFAULT_OUTAGE_SERVICE, MODIFIED.plusDays(1)));
  }

  static MarketEvent marketEvent(String eventId, ClaimCheck check) {
    return new MarketEvent(eventId, "MARKET_CLOSED", "DAM", LocalDate.of(2026, 11, 22),
        OffsetDateTime.of(2026, 11, 21, 18, 0, 0, 0, ZoneOffset.UTC), "Day-ahead market closed", check);
  }

  static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(
          java.security.MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("expected success, got " + e.getCause(), e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("no answer within 20 s", e);
    }
  }

  static Throwable failureOf(Future<?> future) {
    try {
      Object value = future.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
      throw new AssertionError("expected a failure, got " + value);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("no answer within 20 s", e);
    }
  }
}
