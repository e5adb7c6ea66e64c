package org.omspush.fanout;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import org.omspush.store.Blocking;
import org.omspush.store.PayloadInput;
import org.omspush.store.PayloadStore;
import org.omspush.store.PayloadTransfers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@code GET /payloads/:id?expires=…&sig=…}: the document with its content type, when the
 * URL was signed by {@link PayloadLinks} and has not expired; 403 otherwise (problem details), 404
 * for a payload that does not exist. Streamed piece by piece from the store, never whole in
 * memory: as stored (gzip, {@code Content-Encoding: gzip}) when the client accepts gzip, else
 * gunzipped on the fly. Each download holds one of the replica's large-transfer slots; when none
 * frees up within {@value #PATIENCE_SECONDS} s the answer is 503 with {@code Retry-After}. A
 * handler for any router: the receiver mounts it on its payload listener, which serves nothing else.
 */
public final class PayloadDownloads implements Handler<RoutingContext> {
  private static final Logger log = LoggerFactory.getLogger(PayloadDownloads.class);
  static final int PATIENCE_SECONDS = 30;
  private static final int WRITE_BYTES = 64 * 1024;

  private final PayloadLinks links;
  private final PayloadStore payloads;
  private final PayloadTransfers transfers;
  private final Clock clock;
  private final Duration patience;

  public PayloadDownloads(PayloadLinks links, PayloadStore payloads, PayloadTransfers transfers, Clock clock) {
    this(links, payloads, transfers, clock, Duration.ofSeconds(PATIENCE_SECONDS));
  }

  /** @param patience how long a download waits for a transfer slot before it answers 503 */
  PayloadDownloads(PayloadLinks links, PayloadStore payloads, PayloadTransfers transfers, Clock clock,
      Duration patience) {
    this.links = links;
    this.payloads = payloads;
    this.transfers = transfers;
    this.clock = clock;
    this.patience = patience;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String idText = ctx.pathParam("id");
    if (idText == null || !idText.matches("\\d{1,18}")) {
      ProblemDetails.of(404, "not-found", "Not found", "no such payload").send(ctx.response());
      return;
    }
    long id = Long.parseLong(idText);
    Instant now = clock.instant();
    if (!links.valid(id, ctx.queryParams().get("expires"), ctx.queryParams().get("sig"), now)) {
      ProblemDetails.of(403, "invalid-payload-link", "Invalid or expired payload link",
              "the link's signature does not match or it has expired; links are valid for "
                  + Durations.format(links.ttl()) + " from the delivery that carried them")
          .send(ctx.response());
      return;
    }
    long left = Math.max(0, Long.parseLong(ctx.queryParams().get("expires")) - now.getEpochSecond());
    stream(ctx, id, "private, max-age=" + left);
  }

  /**
   * Payload {@code id} to a caller already authorized some other way (the admin API's token), as
   * a signed link serves it: streamed, holding a transfer slot, 404 when there is no such payload.
   */
  public void serveAuthorized(RoutingContext ctx, long id) {
    stream(ctx, id, "private, no-store");
  }

  private void stream(RoutingContext ctx, long id, String cacheControl) {
    transfers.acquire(patience).onComplete(slot -> {
      if (slot.failed()) {
        ctx.response().putHeader("Retry-After", "5");
        ProblemDetails.of(503, "busy", "Too many downloads",
            "this replica is streaming as many documents as OMS_LARGE_TRANSFERS_MAX allows; try again shortly")
            .send(ctx.response());
        return;
      }
      payloads.describe(id).onComplete(found -> {
        if (found.failed()) {
          slot.result().close();
          unavailable(ctx, id, found.cause());
        } else if (found.result() == null) {
          slot.result().close();
          ProblemDetails.of(404, "not-found", "Not found", "no such payload").send(ctx.response());
        } else {
          send(ctx, found.result(), cacheControl, slot.result());
        }
      });
    });
  }

  private void send(RoutingContext ctx, PayloadStore.Described p, String cacheControl, PayloadTransfers.Slot slot) {
    boolean gzip = acceptsGzip(ctx.request().getHeader("Accept-Encoding"));
    HttpServerResponse response = ctx.response()
        .putHeader("Content-Type", p.contentType())
        .putHeader("ETag", "\"" + p.sha256() + (gzip ? "-gzip" : "") + "\"")
        .putHeader("Cache-Control", cacheControl)
        .putHeader("Vary", "Accept-Encoding")
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Content-Length", Long.toString(gzip ? p.gzipBytes() : p.sizeBytes()));
    if (gzip) {
      response.putHeader("Content-Encoding", "gzip");
    }
    // Blocking reads of the store and waits for each write to leave: one piece in memory at a time.
    ctx.vertx().<Void>executeBlocking(() -> {
      InputStream stored = new PayloadInput(payloads, p);
      try (InputStream in = gzip ? stored : new GZIPInputStream(stored, WRITE_BYTES)) {
        byte[] buffer = new byte[WRITE_BYTES];
        for (int n; (n = in.readNBytes(buffer, 0, buffer.length)) > 0; ) {
          Blocking.await(response.write(Buffer.buffer(Arrays.copyOf(buffer, n))));
        }
      }
      Blocking.await(response.end());
      return null;
    }, false).onComplete(done -> {
      slot.close();
      if (done.failed()) {
        if (response.headWritten()) {
          log.info("payload {} download ended early: {}", p.id(), done.cause().getMessage());
          response.reset();
        } else {
          unavailable(ctx, p.id(), done.cause());
        }
      }
    });
  }

  private static void unavailable(RoutingContext ctx, long id, Throwable e) {
    log.warn("payload {} could not be served: {}", id, e.toString());
    if (!ctx.response().headWritten()) {
      ctx.response().headers().remove("Content-Length").remove("Content-Encoding");
      ProblemDetails.of(503, "unavailable", "Service unavailable", "the payload could not be read now; try again")
          .send(ctx.response());
    }
  }

  /** gzip named in Accept-Encoding without q=0. */
  static boolean acceptsGzip(String acceptEncoding) {
    if (acceptEncoding == null) {
      return false;
    }
    for (String part : acceptEncoding.toLowerCase(Locale.ROOT).split(",")) {
      String[] fields = part.strip().split(";");
      if (fields[0].strip().equals("gzip") || fields[0].strip().equals("x-gzip")) {
        for (int i = 1; i < fields.length; i++) {
          String f = fields[i].strip().replace(" ", "");
          if (f.startsWith("q=") && Double.parseDouble("0" + f.substring(2).replaceAll("[^0-9.]", "")) == 0) {
            return false;
          }
        }
        return true;
      }
    }
    return false;
  }
}
