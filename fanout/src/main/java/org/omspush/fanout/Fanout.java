package org.omspush.fanout;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.net.URI;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.omspush.store.PayloadStore;
import org.omspush.store.PayloadTransfers;
import org.omspush.store.fanout.DeliveryStore;
import org.omspush.store.fanout.SubscriberStore;
import org.omspush.store.secrets.SecretKeys;

/**
 * The fan-out as the receiver wires it: {@link #start} reads the shared payload-URL key, the
 * receiver mounts {@link #subscribers()} on its admin server and {@link #payloadDownloads()} on its payload listener,
 * tells the default base URL ({@link #useDefaultBaseUrl}), and then deploys the worker
 * ({@link #deployWorker}).
 */
public final class Fanout {
  private final Vertx vertx;
  private final Pool pool;
  private final FanoutSettings settings;
  private final DeliveryStore deliveries;
  private final SubscriberHttp http;
  private final PayloadLinks links;
  private final FanoutMetrics metrics;
  private final Subscribers subscribers;
  private final PgConnectOptions listenTo;
  private final Clock clock;
  private final List<DeliveryWorker> workers = new CopyOnWriteArrayList<>();
  private final AtomicReference<String> defaultBaseUrl = new AtomicReference<>("https://localhost:8444");
  private final PayloadStore payloads;
  private final AtomicReference<PayloadTransfers> transfers = new AtomicReference<>();

  private Fanout(Vertx vertx, Pool pool, PgConnectOptions listenTo, FanoutSettings settings, MeterRegistry registry,
      SecretKeys secrets, byte[] key, Clock clock) {
    this.vertx = vertx;
    this.pool = pool;
    this.settings = settings;
    this.listenTo = listenTo;
    this.clock = clock;
    this.deliveries = new DeliveryStore(pool, secrets);
    this.http = new SubscriberHttp(vertx, settings.guard(), settings.subscriberCaFile());
    this.links = new PayloadLinks(key, settings.payloadUrlTtl(), this::baseUrl);
    this.metrics = new FanoutMetrics(registry);
    this.subscribers = new Subscribers(vertx, new SubscriberStore(pool, secrets), deliveries, http, settings,
        () -> URI.create(baseUrl()).getHost());
    this.payloads = new PayloadStore(pool);
    this.transfers.set(new PayloadTransfers(vertx, PayloadTransfers.DEFAULT_MAX));
  }

  /**
   * @param listenTo where to LISTEN for wake-ups ({@code oms_event}); null = poll only
   * @param secrets  seal and open the subscribers' secrets and client keys and the payload-link key
   */
  public static Future<Fanout> start(Vertx vertx, Pool pool, PgConnectOptions listenTo, FanoutSettings settings,
      MeterRegistry registry, SecretKeys secrets, Clock clock) {
    return new DeliveryStore(pool, secrets).sharedKey(PayloadLinks.KEY_NAME)
        .map(key -> new Fanout(vertx, pool, listenTo, settings, registry, secrets, key, clock));
  }

  /** Used for payload URLs when OMS_PUBLIC_BASE_URL is not set: the payload listener's own address. */
  public void useDefaultBaseUrl(String url) {
    defaultBaseUrl.set(url);
  }

  public String baseUrl() {
    return settings.publicBaseUrl() != null ? settings.publicBaseUrl() : defaultBaseUrl.get();
  }

  /** Deploys one delivery worker; returns its deployment id. */
  public Future<String> deployWorker() {
    DeliveryWorker worker = new DeliveryWorker(deliveries, http, links, settings, metrics, listenTo, clock);
    return vertx.deployVerticle(worker).onSuccess(id -> workers.add(worker));
  }

  /** A hint that events were committed (e.g. NOTIFY oms_event received by the caller's own listener). */
  public void wake() {
    workers.forEach(DeliveryWorker::wake);
  }

  public Subscribers subscribers() {
    return subscribers;
  }

  /** Payload-link downloads share these slots with the replica's document fetches (set before {@link #payloadDownloads}). */
  public void shareTransfers(PayloadTransfers shared) {
    transfers.set(shared);
  }

  public PayloadDownloads payloadDownloads() {
    return new PayloadDownloads(links, payloads, transfers.get(), clock);
  }

  /** The database the fan-out works in; the admin API's listings read it too. */
  public Pool pool() {
    return pool;
  }

  public PayloadLinks payloadLinks() {
    return links;
  }


  public DeliveryStore deliveries() {
    return deliveries;
  }

  public FanoutSettings settings() {
    return settings;
  }

  /** Closes the subscribers' HTTP clients (the worker is undeployed with Vert.x). */
  public Future<Void> close() {
    return http.close();
  }
}
