package org.omspush.isosim.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.PusherOptions;
import org.omspush.isosim.state.IsoState;
import org.omspush.isosim.state.Redemption;
import org.omspush.isosim.testing.Await;
import org.omspush.isosim.testing.SharedPki;
import org.w3c.dom.Document;

/** A scenario pushed to a small mutual-TLS server that records what it gets. */
class ScenarioTest {

  record Received(String soapAction, String messageId, String root, String id, long version,
      String token) {}

  static DevPki pki;
  static Vertx vertx;
  static HttpServer receiver;
  static String url;
  static final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();
  static final AtomicInteger refuseNext = new AtomicInteger();
  static final AtomicInteger inFlight = new AtomicInteger();
  static final AtomicInteger maxInFlight = new AtomicInteger();

  @BeforeAll
  static void startReceiver() {
    pki = SharedPki.get();
    vertx = Vertx.vertx();
    receiver = Await.result(vertx.createHttpServer(new HttpServerOptions()
            .setSsl(true)
            .setHost("127.0.0.1")
            .setPort(0)
            .setClientAuth(ClientAuth.REQUIRED)
            .setEnabledSecureTransportProtocols(PusherOptions.ISO_TLS_PROTOCOLS)
            .setKeyCertOptions(new PemKeyCertOptions()
                .setCertPath(pki.receiverServer().certificateFile().toString())
                .setKeyPath(pki.receiverServer().keyFile().toString()))
            .setTrustOptions(new PemTrustOptions().addCertPath(pki.isoCaBundle().toString())))
        .requestHandler(request -> {
          maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
          request.body().onSuccess(body -> vertx.setTimer(20, t -> {
            inFlight.decrementAndGet();
            if (refuseNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
              request.response().setStatusCode(503).end();
              return;
            }
            received.add(parse(request.getHeader("SOAPAction"),
                body.toString(StandardCharsets.UTF_8)));
            request.response().setStatusCode(200).end("<ok/>");
          }));
        })
        .listen());
    url = "https://localhost:" + receiver.actualPort() + "/oms/push";
  }

  @AfterAll
  static void stop() {
    Await.result(receiver.close());
    Await.result(vertx.close());
  }

  static Received parse(String soapAction, String envelope) {
    try {
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      factory.setNamespaceAware(true);
      Document document = factory.newDocumentBuilder()
          .parse(new ByteArrayInputStream(envelope.getBytes(StandardCharsets.UTF_8)));
      String messageId = text(document, "MessageID");
      boolean outage = document.getElementsByTagNameNS("urn:omspush:v1", "OutageStatusChange")
          .getLength() == 1;
      return new Received(soapAction, messageId, outage ? "OutageStatusChange" : "MarketEvent",
          text(document, outage ? "outageMRID" : "eventId"),
          outage ? Long.parseLong(text(document, "version")) : 0, text(document, "token"));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static String text(Document document, String localName) {
    var nodes = document.getElementsByTagNameNS("*", localName);
    return nodes.getLength() == 0 ? null : nodes.item(0).getTextContent();
  }

  @Test
  void scenario_pushes_every_change_with_duplicates_out_of_order_and_concurrency() {
    received.clear();
    refuseNext.set(2);
    IsoState state = new IsoState();
    Scenario scenario = Scenario.builder().outages(12).changesPerOutage(4).marketEvents(4)
        .marketEventsWithClaimCheck(2).concurrency(6).outOfOrder(0.15).duplicates(0.1)
        .documentSize(2000).attempts(3, java.time.Duration.ofMillis(50)).build();

    try (Publisher publisher = new Publisher(vertx, pki, url)) {
      Scenario.Plan plan = scenario.plan(state);
      Scenario.Result result = Await.result(scenario.push(vertx, plan, publisher), 60);

      assertThat(result.allAccepted()).as("%s", result.refused()).isTrue();
      assertThat(result.accepted()).isEqualTo(plan.pushes().size());
      assertThat(result.attempts()).isEqualTo(plan.pushes().size() + 2);
      assertThat(plan.pushes()).hasSize(12 * 4 + 4 + plan.duplicates());
      assertThat(plan.duplicates()).isPositive();
      assertThat(plan.outOfOrderSwaps()).isPositive();
      assertThat(maxInFlight.get()).isGreaterThan(1).isLessThanOrEqualTo(6);

      List<Received> pushes = List.copyOf(received);
      assertThat(pushes).hasSize(plan.pushes().size());
      assertThat(pushes.stream().map(Received::messageId).distinct().count())
          .isEqualTo(plan.distinctMessages()).isLessThan(pushes.size());
      assertThat(pushes).filteredOn(push -> push.root().equals("OutageStatusChange"))
          .allSatisfy(push -> {
            assertThat(push.soapAction()).isEqualTo("\"receiveOutageStatusChange_v1\"");
            Redemption redemption = state.redeemOutageToken(push.token());
            assertThat(redemption.outage().outageMRID()).isEqualTo(push.id());
            assertThat(redemption.outage().version()).isEqualTo(push.version());
          });
      assertThat(pushes).filteredOn(push -> push.root().equals("MarketEvent"))
          .extracting(Received::id).containsAll(plan.marketEventIds());
      assertThat(pushes).filteredOn(push -> push.root().equals("MarketEvent")
              && push.token() != null)
          .extracting(Received::id).hasSameElementsAs(plan.marketEventIdsWithClaimCheck());

      Map<String, Long> newest = new HashMap<>();
      pushes.stream().filter(push -> push.root().equals("OutageStatusChange"))
          .forEach(push -> newest.merge(push.id(), push.version(), Math::max));
      assertThat(newest).isEqualTo(plan.newestVersions());
      state.outages().forEach(outage ->
          assertThat(outage.version()).isEqualTo(4));
      assertThat(sentOutOfOrder(plan)).isTrue();
    }
  }

  /** Some outage has a version planned before a lower one. */
  static boolean sentOutOfOrder(Scenario.Plan plan) {
    Map<String, Long> highest = new HashMap<>();
    for (Scenario.PlannedPush push : plan.pushes()) {
      if (push.outageMRID() == null || push.duplicate()) {
        continue;
      }
      Long before = highest.merge(push.outageMRID(), push.version(), Math::max);
      if (before > push.version()) {
        return true;
      }
    }
    return false;
  }
}
