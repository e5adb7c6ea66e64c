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
import org.omspush.receiver.config.ReceiverConfig;
import org.omspush.receiver.ops.OpsVerticle;
import org.omspush.receiver.push.InflightBudget;
import org.omspush.receiver.push.PushEndpoint;
import org.omspush.receiver.push.PushServerOptions;
import org.omspush.receiver.push.PushVerticle;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.EmbeddedDatabase;
import org.omspush.store.Migrations;
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
  private EmbeddedDatabase embedded;
  private Pool pool;
  private WorkerExecutor verifiers;
  private int pushPort;
  private int opsPort;

  private ReceiverApp(ReceiverConfig config) {
    this.config = config;
    this.vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(false));
  }

  /** Starts everything; the future completes when the push port is listening. */
  public static Future<ReceiverApp> start(ReceiverConfig config) {
    ReceiverApp app = new ReceiverApp(config);
    return app.run().map(v -> app).recover(e -> app.stop().transform(x -> Future.failedFuture(e)));
  }

  private Future<Void> run() {
    OpsVerticle ops = new OpsVerticle(config.opsHost(), config.opsPort(), this::ready, metrics);
    return vertx.deployVerticle(ops)
        .onSuccess(id -> {
          opsPort = ops.actualPort();
          log.info("ops port {} listening (/health/live, /health/ready, /metrics)", opsPort);
        })
        .compose(id -> vertx.executeBlocking(this::openDatabase))
        .compose(url -> migrate(url).map(url))
        .compose(url -> {
          pool = Pools.create(vertx, url, config.dbPoolSize());
          PushStore pushStore = new PushStore(pool);
          store.set(pushStore);
          verifiers = vertx.createSharedWorkerExecutor("oms-push-verify", config.verifyThreads());
          PushEndpoint endpoint = new PushEndpoint(config.pushPath(), config.pushIdentities(),
              PushReader.standard(config.requireSignature()), pushStore, verifiers,
              new InflightBudget(config.inflightBodyBytes()), config.maxBodyBytes(), metrics);
          var options = PushServerOptions.of(config.pushHost(), config.pushPort(), config.tls());
          PushVerticle[] first = new PushVerticle[1];
          return vertx.deployVerticle(() -> {
            PushVerticle v = new PushVerticle(options, endpoint);
            if (first[0] == null) {
              first[0] = v;
            }
            return v;
          }, new DeploymentOptions().setInstances(VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE)).map(id -> first[0]);
        })
        .onSuccess(v -> {
          pushPort = v.actualPort();
          log.info("push endpoint https://{}:{}{} listening (mutual TLS, TLS 1.2/1.3); allowed push identities: {}",
              config.pushHost(), pushPort, config.pushPath(), config.pushIdentities().subjects());
        })
        .mapEmpty();
  }

  private DatabaseUrl openDatabase() throws Exception {
    if (config.databaseUrl() != null) {
      return config.databaseUrl();
    }
    log.info("OMS_DATABASE_URL is not set: starting embedded Postgres in {}", config.dataDir().toAbsolutePath());
    embedded = EmbeddedDatabase.start(config.dataDir(), 0);
    return embedded.url();
  }

  /** Retries until the database answers: a receiver started before its database becomes ready by itself. */
  private Future<Void> migrate(DatabaseUrl url) {
    Promise<Void> done = Promise.promise();
    attemptMigration(url, done, 1);
    return done.future();
  }

  private void attemptMigration(DatabaseUrl url, Promise<Void> done, int attempt) {
    vertx.executeBlocking(() -> {
      Migrations.migrate(url);
      return null;
    }).onSuccess(v -> {
      migrated.set(true);
      log.info("database migrations applied");
      done.complete();
    }).onFailure(e -> {
      long delay = Math.min(30_000, 1_000L * attempt);
      log.warn("database not ready for migrations (attempt {}): {}; retrying in {} ms", attempt, e.getMessage(), delay);
      vertx.setTimer(delay, t -> attemptMigration(url, done, attempt + 1));
    });
  }

  private Future<Void> ready() {
    PushStore s = store.get();
    if (!migrated.get() || s == null || pushPort == 0) {
      return Future.failedFuture("starting: migrations or push port not ready yet");
    }
    return s.ping();
  }

  /** Row counts of the ingest path (messages, claims by state, market events). */
  public Future<java.util.Map<String, Long>> ingestCounts() {
    return new org.omspush.store.IngestSummary(pool).counts();
  }

  public int pushPort() {
    return pushPort;
  }

  public int opsPort() {
    return opsPort;
  }

  public PrometheusMeterRegistry metrics() {
    return metrics;
  }

  public Future<Void> stop() {
    return vertx.close().andThen(ar -> {
      if (embedded != null) {
        try {
          embedded.close();
        } catch (Exception e) {
          log.warn("embedded Postgres did not stop cleanly: {}", e.getMessage());
        }
      }
    });
  }

  /** Blocks until stopped; for the command line. */
  public void stopAndWait() throws Exception {
    stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
