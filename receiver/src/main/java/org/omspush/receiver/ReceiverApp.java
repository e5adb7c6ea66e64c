package org.omspush.receiver;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.WorkerExecutor;
import io.vertx.sqlclient.Pool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.omspush.claimcheck.push.PushReader;
import org.omspush.claimcheck.redeem.AupGate;
import org.omspush.claimcheck.redeem.CatchUp;
import org.omspush.claimcheck.redeem.RedemptionSettings;
import org.omspush.claimcheck.redeem.RedemptionWorker;
import org.omspush.claimcheck.retrieve.AnswerReader;
import org.omspush.claimcheck.retrieve.DocumentAnswerReader;
import org.omspush.claimcheck.retrieve.RetrieveClient;
import org.omspush.receiver.config.IsoConfig;
import org.omspush.fanout.Fanout;
import org.omspush.receiver.admin.AdminVerticle;
import org.omspush.receiver.config.FanoutConfig;
import org.omspush.store.RedemptionStore;
import org.omspush.store.Wakeups;
import org.omspush.receiver.config.ReceiverConfig;
import org.omspush.receiver.ops.OpsVerticle;
import org.omspush.receiver.push.InflightBudget;
import org.omspush.receiver.push.PushEndpoint;
import org.omspush.receiver.push.PushServerOptions;
import org.omspush.receiver.push.PushVerticle;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.EmbeddedDatabase;
import org.omspush.store.ServerTls;
import org.omspush.store.Migrations;
import org.omspush.store.PayloadStore;
import org.omspush.store.PayloadTransfers;
import org.omspush.store.Pools;
import org.omspush.store.PushStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running receiver: the ops port first (live at once, ready later), then the database and
 * its migrations, then the push port. {@link #stop()} undoes it in reverse.
 */
public final class ReceiverApp {
  private static final Logger log = LoggerFactory.getLogger(ReceiverApp.class);

  private final ReceiverConfig config;
  private final Vertx vertx;
  private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final AtomicBoolean migrated = new AtomicBoolean();
  private final AtomicReference<PushStore> store = new AtomicReference<>();
  private final org.omspush.receiver.participants.Participants participants;
  private EmbeddedDatabase embedded;
  private volatile org.omspush.store.secrets.SecretKeys secretKeys;
  private Pool pool;
  private WorkerExecutor verifiers;
  private int pushPort;
  private Wakeups wakeups;
  private RetrieveClient retrieveClient;
  private CatchUp catchUp;
  private int opsPort;
  private volatile Fanout fanout;
  private int adminPort;
  private volatile boolean draining;
  private final java.util.concurrent.atomic.AtomicInteger pushesInFlight = new java.util.concurrent.atomic.AtomicInteger();
  private final java.util.List<PushVerticle> pushVerticles = new java.util.concurrent.CopyOnWriteArrayList<>();
  private String pushDeployment;
  private String redemptionDeployment;
  private String catchUpDeployment;
  private String deliveryDeployment;
  private String adminDeployment;
  private AdminVerticle adminVerticle;
  private volatile org.omspush.receiver.payload.PayloadVerticle payloadListener;
  private String payloadDeployment;
  private org.omspush.receiver.ops.StateGauges stateGauges;
  private org.omspush.receiver.ops.RetentionJob retention;
  /** Documents streamed at once, fetched and downloaded together. */
  private final PayloadTransfers transfers;

  private ReceiverApp(ReceiverConfig config) {
    this.config = config;
    this.vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(false));
    this.transfers = new PayloadTransfers(vertx, config.largeTransfersMax());
    metrics.gauge("oms.large.transfers.in_flight", transfers, PayloadTransfers::inUse);
    this.participants = new org.omspush.receiver.participants.Participants(config.participantsDir(),
        config.iso() == null ? null : config.iso().identities().get(0), metrics, java.time.Clock.systemUTC());
  }

  /** Starts everything; the future completes when the push port is listening. */
  public static Future<ReceiverApp> start(ReceiverConfig config) {
    ReceiverApp app = new ReceiverApp(config);
    // Completed from whichever thread finishes the stop: a future of the event loop's context would
    // wait for that loop, which the stop closes, and a failed start-up would never return.
    Promise<ReceiverApp> started = Promise.promise();
    app.run().onComplete(ar -> {
      if (ar.succeeded()) {
        started.complete(app);
      } else {
        app.stop().onComplete(x -> started.fail(ar.cause()));
      }
    });
    return started.future();
  }

  private Future<Void> run() {
    OpsVerticle ops = new OpsVerticle(config.opsHost(), config.opsPort(), this::ready, metrics);
    return vertx.deployVerticle(ops)
        .onSuccess(id -> {
          opsPort = ops.actualPort();
          log.info("ops port {} listening (/health/live, /health/ready, /metrics)", opsPort);
        })
        .compose(id -> vertx.deployVerticle(new org.omspush.receiver.participants.ParticipantsWatch(participants,
            config.certificates().reloadInterval())))
        .compose(id -> vertx.executeBlocking(this::openDatabase))
        .compose(this::migrate)
        .compose(url -> {
          pool = Pools.create(vertx, url, config.dbPoolSize());
          stateGauges = new org.omspush.receiver.ops.StateGauges(vertx, new org.omspush.store.StateCounts(pool), metrics,
              new RedemptionStore(pool));
          stateGauges.start();
          PushStore pushStore = new PushStore(pool);
          store.set(pushStore);
          verifiers = vertx.createSharedWorkerExecutor("oms-push-verify", config.verifyThreads());
          wakeups = new Wakeups(vertx, pool, url);
          PushEndpoint endpoint = new PushEndpoint(vertx, config.pushPath(), participants, config.pushIdentities(),
              PushReader.standard(config.requireSignature()), pushStore, verifiers,
              new InflightBudget(config.inflightBodyBytes()), config.pushLimits(), config.maxBodyBytes(), metrics,
              this::afterCommit);
          var options = PushServerOptions.of(config.pushHost(), config.pushPort(), config.tls());
          var connections = new java.util.concurrent.atomic.AtomicInteger();
          return prepareSecrets().compose(k -> vertx.deployVerticle(() -> {
            PushVerticle v = new PushVerticle(options, endpoint, config.pushLimits(), pushesInFlight, connections,
                metrics);
            pushVerticles.add(v);
            return v;
          }, new DeploymentOptions().setInstances(VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE))).map(id -> {
            pushDeployment = id;
            return pushVerticles.get(0);
          });
        })
        .onSuccess(v -> {
          pushPort = v.actualPort();
          log.info("push endpoint https://{}:{}{} listening (mutual TLS, TLS 1.2/1.3); allowed push identities: {}",
              config.pushHost(), pushPort, config.pushPath(), config.pushIdentities());
        })
        .compose(v -> vertx.deployVerticle(org.omspush.receiver.tls.CertificateWatch.forReceiver(config, metrics,
            m -> v.updateSsl(PushServerOptions.sslOptions(v.options(), m)).compose(x -> sharedWithPayloads(m)))))
        .compose(v -> startRedemption())
        .compose(v -> startFanout())
        .onSuccess(v -> startRetention())
        .mapEmpty();
  }

  /**
   * The keys that seal secrets at rest: every sealed row must be under one of them (else start-up
   * stops: a wrong key), and rows still in plaintext (from before V16) are sealed now.
   */
  private Future<Void> prepareSecrets() {
    return vertx.executeBlocking(() -> config.secrets().keysFor(embedded != null, config.dataDir())).compose(keys -> {
      secretKeys = keys;
      var sealed = new org.omspush.store.secrets.SealedSecrets(pool);
      return sealed.census().compose(census -> {
        var unknown = census.unknownTo(keys);
        if (!unknown.isEmpty()) {
          return Future.failedFuture(new org.omspush.receiver.config.ConfigException(
              org.omspush.receiver.config.SecretsConfig.KEY_FILE, "the database's secrets are sealed under key "
                  + String.join(", ", unknown) + ", but the keys configured are " + keys.ids()
                  + ": set it to the key they were sealed with (during a rotation, the old one in "
                  + org.omspush.receiver.config.SecretsConfig.OLD_KEY_FILES + ")"));
        }
        return sealed.sealPlaintext(keys).onSuccess(n -> {
          if (n > 0) {
            log.info("sealed {} secrets that were stored in plaintext, under key {}", n, keys.currentId());
          }
        });
      });
    }).onSuccess(x -> log.info("secrets sealed at rest under key {} (keys that open: {})", secretKeys.currentId(),
        secretKeys.ids())).mapEmpty();
  }

  /** Wake-up hints for every replica's workers once the push is committed. */
  private void afterCommit(org.omspush.claimcheck.push.VerifiedPush push) {
    wakeups.notifySoon(Wakeups.CLAIM_DUE, "");
    if (push.body() instanceof org.omspush.claimcheck.push.ParsedPush.Market m && m.event().claimCheck() == null) {
      if (fanout != null) {
        fanout.wake(); // this replica's worker at once; the NOTIFY is for the other replicas
      }
      wakeups.notifySoon(Wakeups.EVENT, "");
    }
  }

  /** The retrieve worker and catch-up, when an ISO is configured. */
  private Future<Void> startRedemption() {
    IsoConfig iso = config.iso();
    if (iso == null) {
      log.info("OMS_ISO_BASE_URL is not set: claim checks are stored but not redeemed");
      return Future.succeededFuture();
    }
    RedemptionSettings rs = iso.redemption();
    WorkerExecutor isoWorkers = vertx.createSharedWorkerExecutor("oms-retrieve", 2);
    retrieveClient = new RetrieveClient(vertx, iso.baseUrl(), iso.isoCa(), isoWorkers,
        new AnswerReader(rs.verifyIsoSignature()),
        new DocumentAnswerReader(rs.maxPayloadBytes(), rs.verifyIsoSignature()), new PayloadStore(pool), transfers,
        rs.requestTimeout(), rs.maxPayloadBytes());
    RedemptionStore redemption = new RedemptionStore(pool);
    AupGate gate = new AupGate(vertx, redemption, rs, metrics);
    String owner = workerId();
    RedemptionWorker[] worker = new RedemptionWorker[1];
    catchUp = new CatchUp(redemption, store.get(), retrieveClient, participants, gate, isoWorkers, metrics, rs,
        service -> worker[0].wake(service));
    worker[0] = new RedemptionWorker(redemption, retrieveClient, participants, rs, isoWorkers, metrics, owner,
        catchUp, gate, iso.maxInFlight());
    return vertx.deployVerticle(worker[0])
        .onSuccess(id -> redemptionDeployment = id)
        .compose(id -> wakeups.listen(Wakeups.CLAIM_DUE, payload -> worker[0].wake(null)))
        .compose(v -> vertx.deployVerticle(catchUp))
        .onSuccess(id -> {
          catchUpDeployment = id;
          log.info("redemption scheduler {} started for {} participants against {} (AUP {} ms + {} ms margin, at most "
              + "{} calls in flight)", owner, participants.identities().size(), iso.baseUrl(),
              rs.aupInterval().toMillis(), rs.aupMargin().toMillis(), iso.maxInFlight());
        })
        .mapEmpty();
  }

  /** The admin port, the payload listener, then the delivery worker, woken by NOTIFY oms_event. */
  private Future<Void> startFanout() {
    FanoutConfig fc = config.fanout();
    return Fanout.start(vertx, pool, null, fc.fanout(), metrics, secretKeys, java.time.Clock.systemUTC()).compose(f -> {
      fanout = f;
      fanout.shareTransfers(transfers);
      AdminVerticle admin = new AdminVerticle(fc.adminHost(), fc.adminPort(), fc.adminToken(), f, config.adminTls(),
          new org.omspush.receiver.admin.ClaimsApi(new org.omspush.store.Claims(pool),
              config.iso() == null ? org.omspush.claimcheck.retrieve.ParticipantIdentities.of(java.util.Map.of())
                  : participants));
      admin.countIn(metrics);
      if (fc.adminToken() != null) {
        admin.withConsole(new org.omspush.receiver.console.Console(secretKeys.derive("console-session"),
            fc.adminToken(), config.console().viewToken(), config.console().sessionTtl(), config.adminTls() != null,
            f, new org.omspush.store.Claims(pool),
            config.iso() == null ? java.util.List.of() : config.iso().identities(), participants, metrics,
            java.time.Clock.systemUTC()));
      }
      return vertx.deployVerticle(admin).map(id -> {
        adminDeployment = id;
        adminVerticle = admin;
        adminPort = admin.actualPort();
        return admin;
      });
    }).compose(admin -> startPayloadListener()).compose(payloads -> {
      fanout.useDefaultBaseUrl((payloads.secure() ? "https" : "http") + "://localhost:" + payloads.actualPort());
      return fanout.deployWorker();
    }).onSuccess(id -> deliveryDeployment = id).compose(id -> wakeups.listen(Wakeups.EVENT, payload -> fanout.wake()))
        .onSuccess(v -> log.info("fan-out started: payload URLs at {}, subscribers allowed by {}", fanout.baseUrl(),
            config.fanout().fanout().guard()));
  }

  /**
   * The payload listener, with the push server's certificate unless it has its own (then watched
   * for changes like the push server's).
   */
  private Future<org.omspush.receiver.payload.PayloadVerticle> startPayloadListener() {
    var pc = config.payload();
    var options = pc.plainHttp() ? org.omspush.receiver.payload.PayloadVerticle.plain(pc.host(), pc.port())
        : org.omspush.receiver.payload.PayloadVerticle.https(pc.host(), pc.port(),
            pc.ownCertificate() ? pc.tlsCert() : config.tls().certChain(),
            pc.ownCertificate() ? pc.tlsKey() : config.tls().key());
    var listener = new org.omspush.receiver.payload.PayloadVerticle(options, fanout.payloadDownloads());
    Future<String> deployed = vertx.deployVerticle(listener).onSuccess(id -> {
      payloadDeployment = id;
      payloadListener = listener;
    });
    if (pc.ownCertificate() && !pc.plainHttp()) {
      deployed = deployed.compose(id -> vertx.deployVerticle(org.omspush.receiver.tls.CertificateWatch
          .forPayloadListener(pc.tlsCert(), pc.tlsKey(), config.certificates(), metrics, listener::updateSsl)));
    }
    return deployed.map(listener);
  }

  /** The push server's new certificate, for the payload listener too when it shares it. */
  private Future<?> sharedWithPayloads(org.omspush.receiver.tls.TlsMaterial m) {
    var listener = payloadListener;
    return listener == null || config.payload().ownCertificate() || !listener.secure() ? Future.succeededFuture()
        : listener.updateSsl(m);
  }

  /** Data retention: timers only, every batch is a statement on the pool. */
  private void startRetention() {
    retention = new org.omspush.receiver.ops.RetentionJob(vertx, new org.omspush.store.retention.RetentionStore(pool),
        config.retention(), metrics, workerId());
    retention.start();
  }

  /**
   * Stops catch-up, the redemption and delivery workers (they give back their leases) and
   * retention (after its batch in progress); never fails.
   */
  private Future<Void> stopWorkers() {
    Future<Void> catchUpStopped = undeploy(catchUpDeployment);
    catchUpDeployment = null;
    Future<Void> retentionStopped = retention == null ? Future.succeededFuture() : retention.stop();
    Future<Void> stopped = Future.join(catchUpStopped, undeploy(redemptionDeployment), undeploy(deliveryDeployment),
            retentionStopped)
        .<Void>mapEmpty().otherwiseEmpty();
    redemptionDeployment = null;
    deliveryDeployment = null;
    return stopped;
  }

  private static String workerId() {
    String host = System.getenv().getOrDefault("HOSTNAME", "local");
    return host + "-" + ProcessHandle.current().pid() + "-" + java.util.UUID.randomUUID().toString().substring(0, 8);
  }

  private DatabaseUrl openDatabase() throws Exception {
    if (config.databaseUrl() != null) {
      return config.databaseUrl();
    }
    log.info("OMS_DATABASE_URL is not set: starting embedded Postgres in {}", config.dataDir().toAbsolutePath());
    embedded = EmbeddedDatabase.start(config.dataDir(), 0);
    return embedded.url();
  }

  /**
   * Retries until the database answers: a receiver started before its database becomes ready by
   * itself. Settles sslmode=prefer on the way ({@link ServerTls}); the URL to connect with is the result.
   */
  private Future<DatabaseUrl> migrate(DatabaseUrl url) {
    Promise<DatabaseUrl> done = Promise.promise();
    attemptMigration(url, done, 1);
    return done.future();
  }

  private void attemptMigration(DatabaseUrl url, Promise<DatabaseUrl> done, int attempt) {
    vertx.executeBlocking(() -> {
      Migrations.migrate(url);
      return ServerTls.settle(url, java.time.Duration.ofSeconds(5));
    }).onSuccess(settled -> {
      migrated.set(true);
      log.info("database migrations applied; connecting with sslmode={}", settled.sslMode());
      done.complete(settled);
    }).onFailure(e -> {
      long delay = Math.min(30_000, 1_000L * attempt);
      log.warn("database not ready for migrations (attempt {}): {}; retrying in {} ms", attempt, e.getMessage(), delay);
      vertx.setTimer(delay, t -> attemptMigration(url, done, attempt + 1));
    });
  }

  private Future<Void> ready() {
    if (draining) {
      return Future.failedFuture("draining: shutting down, no new pushes please");
    }
    PushStore s = store.get();
    if (!migrated.get() || s == null || pushPort == 0) {
      return Future.failedFuture("starting: migrations or push port not ready yet");
    }
    return s.ping();
  }

  /** Events published to the outbox, by type. */
  public Future<java.util.Map<String, Long>> eventCounts() {
    return new org.omspush.store.IngestSummary(pool).eventsByType();
  }

  /** Row counts of the ingest path (messages, claims by state, market events). */
  public Future<java.util.Map<String, Long>> ingestCounts() {
    return new org.omspush.store.IngestSummary(pool).counts();
  }

  /** The AUP gates with the seconds until each opens. */
  public Future<java.util.List<org.omspush.store.IngestSummary.Gate>> gates() {
    return new org.omspush.store.IngestSummary(pool).gates();
  }

  public int pushPort() {
    return pushPort;
  }

  /** The admin port (admin API); 0 before start-up got there. */
  public int adminPort() {
    return adminPort;
  }

  /** The admin port's verticle (its routes and OpenAPI document); null before start-up got there. */
  public AdminVerticle admin() {
    return adminVerticle;
  }

  /** The payload listener's port; 0 before start-up got there. */
  public int payloadPort() {
    var listener = payloadListener;
    return listener == null ? 0 : listener.actualPort();
  }

  public int opsPort() {
    return opsPort;
  }

  public PrometheusMeterRegistry metrics() {
    return metrics;
  }

  /** The participants served, as read from OMS_PARTICIPANTS_DIR so far. */
  public org.omspush.receiver.participants.Participants participants() {
    return participants;
  }

  /** Refreshes the claims/deliveries-by-state gauges now instead of at their next period (tests, the demo). */
  public Future<Void> refreshStateGauges() {
    return stateGauges == null ? Future.succeededFuture() : stateGauges.refresh();
  }

  public Future<Void> stop() {
    // The workers first, while the pool is open: they give back their leases.
    Future<Void> workers = stopWorkers();
    // Vert.x is closed from a thread of its own: closed from one of its event loops, the
    // returned future would be completed on that (closed) loop, that is never.
    Promise<Void> closed = Promise.promise();
    workers.onComplete(ar -> new Thread(() -> vertx.close().onComplete(closed), "oms-vertx-close").start());
    return closed.future().andThen(ar -> {
      if (embedded != null) {
        try {
          embedded.close();
        } catch (Exception e) {
          log.warn("embedded Postgres did not stop cleanly: {}", e.getMessage());
        }
      }
    });
  }

  /**
   * The graceful stop (SIGTERM): readiness goes false; after {@code delay} the push port stops
   * accepting and the pushes in flight are answered; the workers stop claiming and finish or give
   * back their leases; then the LISTEN connections, the admin port and the pool close. Every
   * phase is logged. The caller bounds the whole by {@code timeout}, which also bounds the wait
   * for pushes in flight, and then calls {@link #stop()} from outside Vert.x (closing Vert.x
   * from one of its own event loops would never complete).
   */
  public Future<Void> drain(java.time.Duration delay, java.time.Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    draining = true;
    log.info("drain 1/5: stopping; readiness is false (/health/ready answers 503); the push port stays open {} ms "
        + "so the Service stops routing here first", delay.toMillis());
    Future<Void> paused = delay.isZero() ? Future.succeededFuture()
        : vertx.timer(delay.toMillis(), TimeUnit.MILLISECONDS).mapEmpty();
    return paused.compose(v -> {
      log.info("drain 2/5: push port closed to new connections; answering {} pushes in flight",
          pushesInFlight.get());
      // Leave a quarter of what remains for the workers and the connections.
      java.time.Duration grace = java.time.Duration.ofNanos(Math.max(0, (deadline - System.nanoTime()) * 3 / 4));
      return Future.join(pushVerticles.stream().map(p -> p.shutdown(grace)).toList())
          .transform(ar -> pushDeployment == null ? Future.<Void>succeededFuture()
              : vertx.undeploy(pushDeployment).otherwiseEmpty());
    }).compose(v -> {
      log.info("drain 3/5: push port closed, {} pushes still in flight; stopping the redemption and delivery "
          + "workers and retention", pushesInFlight.get());
      return stopWorkers();
    }).compose(v -> {
      log.info("drain 4/5: workers stopped; closing LISTEN connections, the admin and payload ports and the "
          + "database pool");
      if (stateGauges != null) {
        stateGauges.stop();
      }
      if (wakeups != null) {
        wakeups.close();
      }
      if (retrieveClient != null) {
        retrieveClient.close();
      }
      return Future.join(undeploy(adminDeployment), undeploy(payloadDeployment), fanout == null ? Future.succeededFuture() : fanout.close())
          .transform(ar -> pool == null ? Future.<Void>succeededFuture() : pool.close().otherwiseEmpty());
    });
  }

  /** The drain stops the embedded Postgres last, not its own shutdown hook at the first moment of SIGTERM. */
  void embeddedDatabaseStopsWithDrain() {
    if (embedded != null) {
      embedded.ownerStopsAtJvmExit();
    }
  }

  private Future<Void> undeploy(String deployment) {
    return deployment == null ? Future.succeededFuture() : vertx.undeploy(deployment).otherwiseEmpty();
  }

  /** Blocks until stopped; for the command line. */
  public void stopAndWait() throws Exception {
    stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
