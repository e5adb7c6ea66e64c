package org.omspush.fanout;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Instant;
import org.omspush.store.fanout.DeliveryStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@code GET /payloads/:id?expires=…&sig=…}: exactly the stored bytes with their
 * content type, when the URL was signed by {@link PayloadLinks} and has not expired; 403
 * otherwise (problem details), 404 for a payload that does not exist. Mounted by the receiver
 * on its payload listener, which serves nothing else.
 */
public final class PayloadDownloads implements Handler<RoutingContext> {
  private static final Logger log = LoggerFactory.getLogger(PayloadDownloads.class);

  private final PayloadLinks links;
  private final DeliveryStore store;
  private final Clock clock;

  public PayloadDownloads(PayloadLinks links, DeliveryStore store, Clock clock) {
    this.links = links;
    this.store = store;
    this.clock = clock;
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
    store.payload(id)
        .compose(p -> p == null
            ? io.vertx.core.Future.<Object[]>succeededFuture(null)
            : ctx.vertx().executeBlocking(() -> new Object[] {p, Gzip.gunzip(p.contentGzip().getBytes())}, false))
        .onSuccess(found -> {
          if (found == null) {
            ProblemDetails.of(404, "not-found", "Not found", "no such payload").send(ctx.response());
            return;
          }
          var p = (org.omspush.store.fanout.StoredPayload) found[0];
          byte[] bytes = (byte[]) found[1];
          long left = Math.max(0, Long.parseLong(ctx.queryParams().get("expires")) - now.getEpochSecond());
          ctx.response()
              .putHeader("Content-Type", p.contentType())
              .putHeader("ETag", "\"" + p.sha256() + "\"")
              .putHeader("Cache-Control", "private, max-age=" + left)
              .putHeader("X-Content-Type-Options", "nosniff")
              .end(Buffer.buffer(bytes));
        })
        .onFailure(e -> {
          log.warn("payload {} could not be served: {}", id, e.toString());
          ProblemDetails.of(503, "unavailable", "Service unavailable", "the payload could not be read now; try again")
              .send(ctx.response());
        });
  }
}
