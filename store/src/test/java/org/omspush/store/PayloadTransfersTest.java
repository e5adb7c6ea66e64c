package org.omspush.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.store.Pushes.await;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PayloadTransfersTest {
  private static Vertx vertx;

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() {
    await(vertx.close());
  }

  @Test
  void no_more_than_the_maximum_run_at_once_and_a_freed_slot_goes_to_the_first_waiter() {
    PayloadTransfers transfers = new PayloadTransfers(vertx, 2);
    PayloadTransfers.Slot first = await(transfers.acquire());
    PayloadTransfers.Slot second = await(transfers.acquire());
    Future<PayloadTransfers.Slot> third = transfers.acquire();
    Future<PayloadTransfers.Slot> fourth = transfers.acquire();
    assertThat(transfers.inUse()).isEqualTo(2);
    assertThat(third.isComplete()).isFalse();

    first.close();
    first.close(); // a second close gives nothing back twice
    PayloadTransfers.Slot thirdSlot = await(third);
    assertThat(fourth.isComplete()).isFalse();
    assertThat(transfers.inUse()).isEqualTo(2);

    second.close();
    await(fourth).close();
    thirdSlot.close();
    assertThat(transfers.inUse()).isZero();
  }

  @Test
  void a_waiter_with_little_patience_is_refused_when_no_slot_frees_up() {
    PayloadTransfers transfers = new PayloadTransfers(vertx, 1);
    PayloadTransfers.Slot held = await(transfers.acquire());

    Future<PayloadTransfers.Slot> impatient = transfers.acquire(Duration.ofMillis(100));
    Throwable refused = impatient.toCompletionStage().toCompletableFuture().handle((s, e) -> e).join();

    assertThat(refused).isInstanceOf(PayloadTransfers.TransfersBusyException.class);
    held.close();
    assertThat(transfers.inUse()).isZero();
  }
}
