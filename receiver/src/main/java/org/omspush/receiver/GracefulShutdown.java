package org.omspush.receiver;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.omspush.receiver.config.ShutdownConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGTERM (a JVM shutdown hook) drains the receiver ({@link ReceiverApp#drain}) and ends the
 * process: status 0 when the drain completed within OMS_SHUTDOWN_TIMEOUT, 1 when it did not
 * (the leases left then run out by themselves). The status is set with {@code halt}, since
 * {@code exit} may not be called from a shutdown hook and the JVM would otherwise report 143.
 */
final class GracefulShutdown {
  private static final Logger log = LoggerFactory.getLogger(GracefulShutdown.class);

  private GracefulShutdown() {}

  static void install(ReceiverApp app, ShutdownConfig config) {
    app.embeddedDatabaseStopsWithDrain();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      int status = 1;
      long started = System.nanoTime();
      long deadline = started + config.timeout().toNanos();
      try {
        app.drain(config.drainDelay(), config.timeout()).toCompletionStage().toCompletableFuture()
            .get(config.timeout().toMillis(), TimeUnit.MILLISECONDS);
        app.stop().toCompletionStage().toCompletableFuture()
            .get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        log.info("drain 5/5: stopped in {} ms", (System.nanoTime() - started) / 1_000_000);
        status = 0;
      } catch (TimeoutException e) {
        log.error("drain: not finished within OMS_SHUTDOWN_TIMEOUT ({} ms); exiting with status 1",
            config.timeout().toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        log.error("drain failed; exiting with status 1", e);
      }
      if (status != 0) {
        try {
          // Best effort, briefly: an embedded Postgres left running is found and stopped at the next start.
          app.stop().toCompletionStage().toCompletableFuture().get(3, TimeUnit.SECONDS);
        } catch (Exception e) {
          log.warn("stop after a failed drain: {}", e.toString());
        }
      }
      System.out.flush();
      System.err.flush();
      Runtime.getRuntime().halt(status);
    }, "oms-drain"));
  }
}
