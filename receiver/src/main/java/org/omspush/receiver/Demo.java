package org.omspush.receiver;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.push.OutageStatusChange;
import org.omspush.isosim.push.PushMessage;
import org.omspush.isosim.push.PushResult;
import org.omspush.isosim.push.PushSigner;
import org.omspush.isosim.push.Pusher;
import org.omspush.isosim.server.IsoSim;
import org.omspush.isosim.server.IsoSimOptions;
import org.omspush.isosim.state.IsoState;
import org.omspush.isosim.state.OutageVersion;
import org.omspush.isosim.push.PusherOptions;
import org.omspush.receiver.config.ReceiverConfig;

/**
 * {@code demo}: the receiver on this machine with embedded Postgres and a throwaway PKI, fed by
 * the ISO stand-in with good, duplicated and bad pushes, redeeming the claim checks from it under
 * the AUP and delivering to two local subscribers. Exit status 0 only when every good push was
 * acknowledged, every bad one refused, every claim redeemed, every event delivered with a valid
 * signature, and the ISO saw no AUP violation.
 */
final class Demo {
  /** The ISO's real AUP interval: the demo shows the gate at work. */
  private static final java.time.Duration AUP = java.time.Duration.ofSeconds(5);

  private Demo() {}

  /** One push of the scenario and what the receiver should answer. */
  private record Step(String label, String soapAction, byte[] envelope, int expectedStatus, String expectedOutcome) {}

  static int run(String[] args, PrintStream out) throws Exception {
    org.omspush.receiver.config.LogFormat.useTextUnlessSet();
    if (System.getenv("OMS_LOG_LEVEL") == null) {
      // The tables below say what the log would; set OMS_LOG_LEVEL=INFO to see both.
      ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
          .setLevel(ch.qos.logback.classic.Level.ERROR);
    }
    Path work = Files.createTempDirectory("oms-demo-");
    out.println("OMS push receiver demo (work directory " + work + ")");
    DevPki pki = DevPki.generate(work.resolve("pki"));
    out.println("  test PKI written: ISO CA, ISO push client " + pki.isoPushClient().subject().getName());

    Vertx vertx = Vertx.vertx();
    IsoSim iso = await(IsoSim.start(vertx, IsoSimOptions.of(pki).aupInterval(AUP)));
    out.println("  ISO stand-in at " + iso.baseUrl() + " (AUP: one call per certificate and service every "
        + AUP.toSeconds() + " s)");
    DemoSubscribers subscribers = await(DemoSubscribers.start(vertx));

    Map<String, String> env = DevEnvironment.of(pki);
    env.put("OMS_DATA_DIR", work.resolve("postgres").toString());
    env.put("OMS_ISO_BASE_URL", iso.baseUrl());
    env.put("OMS_ISO_CA", pki.isoCaBundle().toString());
    env.put("OMS_ISO_CERT", pki.participantClient().certificateFile().toString());
    env.put("OMS_ISO_KEY", pki.participantClient().keyFile().toString());
    ReceiverApp app = await(ReceiverApp.start(ReceiverConfig.from(env)));
    int status;
    try {
      String url = "https://localhost:" + app.pushPort() + "/iso/v1/push";
      out.println("  receiver listening on " + url + " (ops http://127.0.0.1:" + app.opsPort() + ", admin http://127.0.0"
          + ".1:" + app.adminPort() + ")");
      subscribers.register(vertx, app.adminPort(), env.get("OMS_ADMIN_TOKEN"));
      out.println("  subscribers: " + subscribers.describe());
      status = send(vertx, pki, url, scenario(pki, iso.state()), out);
      status |= follow(app, iso, subscribers, out);
    } finally {
      app.stopAndWait();
      await(iso.close());
      await(vertx.close());
      deleteTree(work);
    }
    return status;
  }

  /** Shows redemption and delivery until every claim is redeemed and every event delivered. */
  private static int follow(ReceiverApp app, IsoSim iso, DemoSubscribers subscribers, PrintStream out)
      throws Exception {
    out.println();
    out.println("Redeeming claim checks under the AUP and delivering to the subscribers:");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    Map<String, Long> counts = Map.of();
    while (System.nanoTime() < deadline) {
      counts = await(app.ingestCounts());
      long pending = counts.getOrDefault("claims PENDING", 0L);
      Map<String, Long> byType = await(app.eventCounts());
      long events = byType.values().stream().mapToLong(Long::longValue).sum();
      out.printf("  claims pending %-3d redeemed %-3d | events %-3d | delivered: %s | ISO calls %d, AUP violations %d%n",
          pending, counts.getOrDefault("claims REDEEMED", 0L), events, subscribers.tally(),
          iso.stats().totalCalls(), iso.stats().totalViolations());
      if (pending == 0 && subscribers.received() >= subscribers.expected(byType) && events > 0) {
        break;
      }
      Thread.sleep(2500);
    }
    out.println();
    out.println("In the database:");
    counts.forEach((k, v) -> out.printf("  %-32s %d%n", k, v));
    long dead = counts.getOrDefault("claims DEAD", 0L);
    long pending = counts.getOrDefault("claims PENDING", 0L);
    long violations = iso.stats().totalViolations();
    boolean ok = dead == 0 && pending == 0 && violations == 0 && subscribers.allSignaturesValid();
    out.println(ok ? "Every acknowledged push was redeemed and delivered; the ISO saw no AUP violation."
        : "Not everything completed: pending " + pending + ", dead " + dead + ", AUP violations " + violations);
    return ok ? 0 : 1;
  }

  private static List<Step> scenario(DevPki pki, IsoState state) {
    PushSigner iso = PushSigner.of(pki.isoPushClient());
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    List<Step> good = new ArrayList<>();
    for (int o = 1; o <= 6; o++) {
      String mrid = "OUT-2026-" + (1000 + o);
      OutageVersion v = state.createOutage(mrid, o % 2 == 0 ? "TRANSMISSION" : "RESOURCE", "RECEIVED");
      for (int version = 1; version <= 3; version++) {
        if (version > 1) {
          v = state.change(mrid, version == 2 ? "SUBMITTED" : "APPROVED");
        }
        PushMessage m = PushMessage.outageStatusChange(state.statusChange(v)).build();
        good.add(new Step("outage " + mrid + " v" + version, m.soapAction(),
            iso.sign(m, PushSigner.Algorithm.RSA_SHA256), 200, "stored"));
      }
    }
    String[][] events = {{"MARKET_CLOSED", "DAM"}, {"RESULTS_PUBLISHED", "DAM"}, {"MARKET_OPEN", "RTM"}};
    for (int i = 0; i < events.length; i++) {
      var entry = state.addMarketEvent("EV-" + (500 + i), events[i][0], events[i][1], LocalDate.now().plusDays(1), now,
          events[i][0].replace('_', ' ').toLowerCase() + " for " + events[i][1]);
      var event = state.marketEventPush(entry, i == 1);
      PushMessage m = PushMessage.marketEvent(event).build();
      // The ISO's own tools still sign with SHA-1: one of each.
      var alg = i == 2 ? PushSigner.Algorithm.RSA_SHA1 : PushSigner.Algorithm.RSA_SHA256;
      good.add(new Step("market " + events[i][0] + " " + events[i][1], m.soapAction(), iso.sign(m, alg), 200,
          "stored"));
    }
    // Newest-wins needs out-of-order arrivals: the ISO gives no order guarantee either.
    Collections.shuffle(good, new Random(7));

    List<Step> steps = new ArrayList<>(good);
    // Retries: the same MessageID re-signed with a fresh Timestamp, as the ISO resends a push that got no 200.
    PushMessage retry = PushMessage.outageStatusChange(state.statusChange(state.change("OUT-2026-1001", "ACTIVE")))
        .build();
    for (int i = 0; i < 3; i++) {
      steps.add(new Step("outage OUT-2026-1001 v4 " + (i == 0 ? "(first send)" : "(retry " + i + ")"),
          retry.soapAction(), iso.sign(retry, PushSigner.Algorithm.RSA_SHA256), 200, i == 0 ? "stored" : "duplicate"));
    }

    var bad = new OutageStatusChange("OUT-2026-9999", "RESOURCE", 1, "RECEIVED", null, now, null);
    PushMessage badMsg = PushMessage.outageStatusChange(bad).build();
    steps.add(new Step("tampered body", badMsg.soapAction(),
        iso.signThenTamper(badMsg, PushSigner.Algorithm.RSA_SHA256, "status", "APPROVED"), 403, "signature_invalid"));
    steps.add(new Step("unsigned push", badMsg.soapAction(), iso.unsigned(badMsg), 403, "signature_missing"));
    PushMessage expired = PushMessage.outageStatusChange(bad).created(now.minus(1, ChronoUnit.HOURS))
        .expires(now.minus(45, ChronoUnit.MINUTES)).build();
    steps.add(new Step("expired timestamp", expired.soapAction(), iso.sign(expired, PushSigner.Algorithm.RSA_SHA256),
        400, "expired"));
    var longMrid = new OutageStatusChange("X".repeat(41), "RESOURCE", 1, "RECEIVED", null, now, null);
    PushMessage tooLong = PushMessage.outageStatusChange(longMrid).build();
    steps.add(new Step("mRID of 41 characters", tooLong.soapAction(),
        iso.sign(tooLong, PushSigner.Algorithm.RSA_SHA256), 400, "invalid_body"));
    steps.add(new Step("unknown SOAPAction", "receiveSomethingElse_v1",
        iso.sign(badMsg, PushSigner.Algorithm.RSA_SHA256), 500, "unknown_action"));
    steps.add(new Step("XML with an external entity (XXE)", badMsg.soapAction(),
        ("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>")
            .getBytes(StandardCharsets.UTF_8), 400, "dtd_not_allowed"));
    steps.add(new Step("not XML at all", badMsg.soapAction(), "hello".getBytes(StandardCharsets.UTF_8), 400,
        "malformed_xml"));
    return steps;
  }

  private static int send(Vertx vertx, DevPki pki, String url, List<Step> steps, PrintStream out) throws Exception {
    Map<String, Integer> tally = new LinkedHashMap<>();
    int unexpected = 0;
    out.println();
    out.printf("  %-3s %-44s %-6s %-18s%n", "#", "push", "HTTP", "receiver said");
    try (Pusher pusher = new Pusher(vertx, PusherOptions.asIso(pki))) {
      int n = 0;
      for (Step s : steps) {
        PushResult r = await(pusher.push(url, s.soapAction(), s.envelope()));
        String outcome = outcome(r);
        boolean ok = r.statusCode() == s.expectedStatus() && outcome.equals(s.expectedOutcome());
        if (!ok) {
          unexpected++;
        }
        tally.merge(r.statusCode() == 200 ? "acknowledged (200): " + outcome : "refused: " + outcome, 1, Integer::sum);
        out.printf("  %-3d %-44s %-6d %-18s%s%n", ++n, s.label(), r.statusCode(), outcome,
            ok ? "" : "   <-- expected " + s.expectedStatus() + " " + s.expectedOutcome());
      }
    }
    out.println();
    out.println("Summary:");
    tally.forEach((k, v) -> out.printf("  %-40s %d%n", k, v));
    out.println(unexpected == 0 ? "  every push answered as the contract says" : "  " + unexpected + " unexpected answers");
    return unexpected == 0 ? 0 : 1;
  }

  /** The receiver's own words: "stored" / "duplicate" on success, the fault's reason code otherwise. */
  private static String outcome(PushResult r) {
    String body = r.body() == null ? "" : r.body();
    if (r.statusCode() == 200) {
      return body.contains("already stored") ? "duplicate" : "stored";
    }
    int at = body.indexOf("<faultstring>");
    if (at < 0) {
      return "?";
    }
    int colon = body.indexOf(':', at);
    return colon < 0 ? "?" : body.substring(at + "<faultstring>".length(), colon);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static void deleteTree(Path root) {
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (Exception e) {
      // a temp directory left behind is harmless
    }
  }
}
