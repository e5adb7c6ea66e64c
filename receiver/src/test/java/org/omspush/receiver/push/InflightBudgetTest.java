package org.omspush.receiver.push;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

class InflightBudgetTest {

  @Test
  void a_body_that_does_not_fit_waits_until_enough_is_released() {
    InflightBudget budget = new InflightBudget(100);
    Future<Long> first = budget.acquire(60);
    Future<Long> second = budget.acquire(60);
    assertThat(first.succeeded()).isTrue();
    assertThat(second.isComplete()).isFalse();
    assertThat(budget.waiting()).isEqualTo(1);
    budget.release(first.result());
    assertThat(second.succeeded()).isTrue();
    assertThat(budget.used()).isEqualTo(60);
  }

  @Test
  void waiters_are_served_first_come_first_served_so_a_large_body_is_not_starved() {
    InflightBudget budget = new InflightBudget(100);
    Future<Long> held = budget.acquire(50);
    Future<Long> large = budget.acquire(90);
    Future<Long> small = budget.acquire(10);
    // The small one would fit now, but the large one came first.
    assertThat(small.isComplete()).isFalse();
    budget.release(held.result());
    assertThat(large.succeeded()).isTrue();
    assertThat(small.succeeded()).isTrue();
  }

  @Test
  void a_body_larger_than_the_whole_budget_gets_all_of_it_alone() {
    InflightBudget budget = new InflightBudget(100);
    Future<Long> huge = budget.acquire(500);
    assertThat(huge.result()).isEqualTo(100);
    Future<Long> next = budget.acquire(1);
    assertThat(next.isComplete()).isFalse();
    budget.release(huge.result());
    assertThat(next.succeeded()).isTrue();
  }

  @Test
  void a_withdrawn_wait_leaves_the_queue_and_lets_the_next_one_in() {
    InflightBudget budget = new InflightBudget(100);
    Future<Long> held = budget.acquire(60);
    Future<Long> gone = budget.acquire(90);
    Future<Long> next = budget.acquire(30);
    // The large one came first and holds the small one back, until its sender goes away.
    assertThat(next.isComplete()).isFalse();
    assertThat(budget.withdraw(gone)).isTrue();
    assertThat(next.succeeded()).isTrue();
    assertThat(budget.waiting()).isZero();
    budget.release(held.result());
    budget.release(next.result());
    assertThat(gone.isComplete()).as("a withdrawn wait is never granted").isFalse();
    assertThat(budget.used()).isZero();
  }

  @Test
  void a_granted_reservation_cannot_be_withdrawn_and_is_released_by_its_holder() {
    InflightBudget budget = new InflightBudget(100);
    Future<Long> granted = budget.acquire(60);
    assertThat(budget.withdraw(granted)).isFalse();
    assertThat(budget.used()).isEqualTo(60);
  }
}
