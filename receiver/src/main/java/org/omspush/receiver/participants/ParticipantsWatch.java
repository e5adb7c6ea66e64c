package org.omspush.receiver.participants;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code OMS_PARTICIPANTS_DIR} again every interval, on a worker thread, so that a
 * participant added, renewed or removed takes effect without a restart. Contents are compared,
 * not file events: Kubernetes swaps a {@code ..data} symlink, which file events miss.
 */
public final class ParticipantsWatch extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(ParticipantsWatch.class);

  private final Participants participants;
  private final Duration interval;
  private boolean busy;
  private long timer = -1;

  public ParticipantsWatch(Participants participants, Duration interval) {
    this.participants = participants;
    this.interval = interval;
  }

  @Override
  public Future<?> start() {
    return vertx.executeBlocking(() -> {
      participants.refresh();
      return null;
    }).onSuccess(v -> {
      timer = vertx.setPeriodic(interval.toMillis(), t -> poll());
      log.info("participants: {} (directory {}, read every {} ms)",
          participants.list().stream().map(Participants.Participant::key).toList(), participants.directory(),
          interval.toMillis());
    });
  }

  private void poll() {
    if (busy) {
      return;
    }
    busy = true;
    vertx.executeBlocking(() -> {
      participants.refresh();
      return null;
    }, false).onComplete(ar -> {
      busy = false;
      if (ar.failed()) {
        log.error("reading the participants failed", ar.cause());
      }
    });
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return Future.succeededFuture();
  }
}
