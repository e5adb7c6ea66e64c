package org.omspush.receiver;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.PushResult;
import org.omspush.isosim.push.Pusher;
import org.omspush.isosim.push.PusherOptions;
import org.omspush.receiver.config.ReceiverConfig;
import org.omspush.store.DatabaseUrl;

/** A receiver in this JVM on loopback, with the test PKI, on the given database; and an ISO pusher for it. */
final class TestReceiver implements AutoCloseable {
  final ReceiverApp app;
  final DatabaseUrl db;
  final DevPki pki;
  final Vertx vertx = Vertx.vertx();
  final Pusher iso;

  private TestReceiver(ReceiverApp app, DatabaseUrl db, DevPki pki) {
    this.app = app;
    this.db = db;
    this.pki = pki;
    this.iso = new Pusher(vertx, PusherOptions.asIso(pki));
  }

  static TestReceiver start(DevPki pki, DatabaseUrl db, Map<String, String> overrides) {
    Map<String, String> env = DevEnvironment.of(pki);
    env.putAll(overrides);
    ReceiverApp app = await(ReceiverApp.start(ReceiverConfig.from(env).withDatabaseUrl(db)));
    return new TestReceiver(app, db, pki);
  }

  String url() {
    return "https://localhost:" + app.pushPort() + "/iso/v1/push";
  }

  PushResult push(String soapAction, byte[] envelope) {
    return await(iso.push(url(), soapAction, envelope));
  }

  Pusher pusher(PusherOptions options) {
    return new Pusher(vertx, options);
  }

  static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new AssertionError(e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Override
  public void close() throws Exception {
    iso.close();
    await(vertx.close());
    app.stopAndWait();
  }
}
