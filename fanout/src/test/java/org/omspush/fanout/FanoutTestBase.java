package org.omspush.fanout;

import static org.omspush.fanout.Harness.await;

import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/** What the fan-out tests share: one Vert.x per class, a harness per test, and the hooks it started. */
abstract class FanoutTestBase {
  static Vertx vertx;
  Harness fanout;
  final List<Hook> hooks = new ArrayList<>();

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() {
    await(vertx.close());
  }

  @AfterEach
  void stop() {
    hooks.forEach(Hook::close);
    if (fanout != null) {
      fanout.close();
    }
  }

  /** A subscriber endpoint on loopback, closed after the test. */
  Hook hook() {
    Hook h = Hook.start(vertx);
    hooks.add(h);
    return h;
  }
}
