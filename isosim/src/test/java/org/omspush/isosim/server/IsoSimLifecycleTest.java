package org.omspush.isosim.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.testing.Await;
import org.omspush.isosim.testing.Participant;
import org.omspush.isosim.testing.Reply;
import org.omspush.isosim.testing.SharedPki;

class IsoSimLifecycleTest {

  static DevPki pki;
  static Vertx vertx;

  @BeforeAll
  static void setUp() {
    pki = SharedPki.get();
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void tearDown() {
    Await.result(vertx.close());
  }

  @Test
  void a_second_iso_sim_starts_in_the_same_jvm_on_its_own_port_and_names_its_services() {
    IsoSim first = Await.result(IsoSim.start(vertx, IsoSimOptions.of(pki)));
    IsoSim second = Await.result(IsoSim.start(vertx, IsoSimOptions.of(pki)));
    try {
      assertThat(second.port()).isPositive().isNotEqualTo(first.port());
      assertThat(second.baseUrl()).isEqualTo("https://localhost:" + second.port());
      assertThat(second.serviceUrl(RetrieveService.OUTAGE_CHANGES))
          .isEqualTo(second.baseUrl() + "/sst/oms/RetrieveOutageChanges_OMSv1_AP");
    } finally {
      Await.result(second.close());
      Await.result(first.close());
    }
  }

  @Test
  void close_ends_hung_calls_and_frees_the_port() {
    IsoSim iso = Await.result(IsoSim.start(vertx, IsoSimOptions.of(pki)));
    iso.faults().all().hangNext(1);
    Participant participant = new Participant(vertx, pki, pki.participantClient(),
        iso.baseUrl());
    try {
      Future<Reply> hung = participant.send(
          RetrieveService.OUTAGE_CHANGES.serviceName(),
          participant.signed(RetrieveService.OUTAGE_CHANGES.serviceName(),
              Participant.changesSince("2020-01-01T00:00:00Z")));
      waitForCalls(iso, 1);

      Await.result(iso.close());

      assertThat(Await.failure(hung, 5)).isNotNull();
      IsoSim again = Await.result(IsoSim.start(vertx, IsoSimOptions.of(pki).port(iso.port())));
      assertThat(again.port()).isEqualTo(iso.port());
      Await.result(again.close());
    } finally {
      participant.close();
    }
  }

  static void waitForCalls(IsoSim iso, int calls) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (iso.calls().size() < calls) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no call reached the simulator");
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
