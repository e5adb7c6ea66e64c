package org.omspush.isosim.scenario;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Objects;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.MarketEvent;
import org.omspush.isosim.push.OutageStatusChange;
import org.omspush.isosim.push.PushMessage;
import org.omspush.isosim.push.PushResult;
import org.omspush.isosim.push.PushSigner;
import org.omspush.isosim.push.PushSigner.Algorithm;
import org.omspush.isosim.push.Pusher;
import org.omspush.isosim.push.PusherOptions;

/**
 * The ISO pushing to one participant's registered endpoint: signs each message (on a worker
 * thread) with the ISO's push certificate and POSTs it with {@link Pusher}. Safe to use from any
 * thread; answers complete on a Vert.x event loop.
 */
public final class Publisher implements AutoCloseable {

  private final Vertx vertx;
  private final PushSigner signer;
  private final Pusher pusher;
  private final String receiverUrl;
  private final Algorithm algorithm;

  /** Pushes as the ISO of the dev PKI to {@code receiverUrl}, up to 8 connections at once. */
  public Publisher(Vertx vertx, DevPki pki, String receiverUrl) {
    this(vertx, PushSigner.of(pki.isoPushClient()), PusherOptions.asIso(pki).poolSize(8),
        receiverUrl, Algorithm.RSA_SHA256);
  }

  public Publisher(Vertx vertx, PushSigner signer, PusherOptions options, String receiverUrl,
      Algorithm algorithm) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.signer = Objects.requireNonNull(signer, "signer");
    this.pusher = new Pusher(vertx, options);
    this.receiverUrl = Objects.requireNonNull(receiverUrl, "receiverUrl");
    this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
  }

  public String receiverUrl() {
    return receiverUrl;
  }

  /** Signs the message now (fresh Created and Nonce, its own MessageID) and pushes it. */
  public Future<PushResult> publish(PushMessage message) {
    return vertx.executeBlocking(() -> signer.sign(message, algorithm), false)
        .compose(envelope -> pusher.push(receiverUrl, message, envelope));
  }

  /** Pushes the outage status change. */
  public Future<PushResult> publish(OutageStatusChange change) {
    return publish(PushMessage.outageStatusChange(change).build());
  }

  /** Pushes the market event. */
  public Future<PushResult> publish(MarketEvent event) {
    return publish(PushMessage.marketEvent(event).build());
  }

  @Override
  public void close() {
    pusher.close();
  }
}
