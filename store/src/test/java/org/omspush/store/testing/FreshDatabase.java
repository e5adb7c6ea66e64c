package org.omspush.store.testing;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.Pools;

/**
 * The store tests' set-up: one Vert.x per test class and, for each test, a fresh migrated
 * database with a pool on it, closed after the test. Register it on a static field:
 * {@code @RegisterExtension static final FreshDatabase fresh = new FreshDatabase(4);}
 */
public final class FreshDatabase implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
    AfterEachCallback {
  private final int poolSize;
  private Vertx vertx;
  private DatabaseUrl url;
  private Pool pool;

  public FreshDatabase(int poolSize) {
    this.poolSize = poolSize;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    vertx = Vertx.vertx();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    await(vertx.close());
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    url = TestDatabase.fresh();
    pool = Pools.create(vertx, url, poolSize);
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    await(pool.close());
  }

  public Vertx vertx() {
    return vertx;
  }

  /** This test's database. */
  public DatabaseUrl url() {
    return url;
  }

  /** A pool of {@code poolSize} connections on this test's database. */
  public Pool pool() {
    return pool;
  }

  private static void await(Future<?> f) throws Exception {
    f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
