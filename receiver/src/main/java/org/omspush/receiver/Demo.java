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
import org.omspush.isosim.push.ClaimCheck;
import org.omspush.isosim.push.MarketEvent;
import org.omspush.isosim.push.OutageStatusChange;
import org.omspush.isosim.push.PushMessage;
import org.omspush.isosim.push.PushResult;
import org.omspush.isosim.push.PushSigner;
import org.omspush.isosim.push.Pusher;
import org.omspush.isosim.push.PusherOptions;
import org.omspush.receiver.config.ReceiverConfig;

/**
 * {@code demo}: the receiver on this machine with embedded Postgres and a throwaway PKI, fed by
 * the ISO stand-in with good, duplicated and bad pushes. Exit status 0 only when every good push
 * was acknowledged and every bad one refused.
 */
final class Demo {
  private static final String RETRIEVE_OUTAGE = "RetrieveOutageByClaimCheck_OMSv1_DocAttach_AP";
  private static final String RETRIEVE_MARKET_EVENT = "RetrieveMarketEventByClaimCheck_OMSv1_DocAttach_AP";

  private Demo() {}

  /** One push of the scenario and what the receiver should answer. */
  private record Step(String label, String soapAction, byte[] envelope, int expectedStatus, String expectedOutcome) {}

  static int run(String[] args, PrintStream out) throws Exception {
    if (System.getenv("OMS_LOG_LEVEL") == null) {
      // The table below says what the log would; set OMS_LOG_LEVEL=INFO to see both.
      ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
          .setLevel(ch.qos.logback.classic.Level.ERROR);
    }
    Path work = Files.createTempDirectory("oms-demo-");
    out.println("OMS push receiver demo (work directory " + work + ")");
    DevPki pki = DevPki.generate(work.resolve("pki"));
    out.println("  test PKI written: ISO CA, ISO push client " + pki.isoPushClient().subject().getName());

    Map<String, String> env = DevEnvironment.of(pki);
    env.put("OMS_DATA_DIR", work.resolve("postgres").toString());
    ReceiverApp app = await(ReceiverApp.start(ReceiverConfig.from(env)));
    Vertx vertx = Vertx.vertx();
    int status;
    try {
      String url = "https://localhost:" + app.pushPort() + "/iso/v1/push";
      out.println("  receiver listening on " + url + " (ops http://127.0.0.1:" + app.opsPort() + ")");
      List<Step> steps = scenario(pki);
      status = send(vertx, pki, url, steps, out);
      Map<String, Long> stored = await(app.ingestCounts());
      out.println();
      out.println("In the database:");
      stored.forEach((k, v) -> out.printf("  %-28s %d%n", k, v));
    } finally {
      await(vertx.close());
      app.stopAndWait();
      deleteTree(work);
    }
    return status;
  }

  private static List<Step> scenario(DevPki pki) {
    PushSigner iso = PushSigner.of(pki.isoPushClient());
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    List<Step> good = new ArrayList<>();
    String[] statuses = {"RECEIVED", "SUBMITTED", "APPROVED", "ACTIVE"};
    for (int o = 1; o <= 6; o++) {
      String mrid = "OUT-2026-" + (1000 + o);
      for (int v = 1; v <= 3; v++) {
        var change = new OutageStatusChange(mrid, o % 2 == 0 ? "TRANSMISSION" : "RESOURCE", v, statuses[v],
            v == 1 ? null : statuses[v - 1], now.minusSeconds(60L * (4 - v)),
            new ClaimCheck("tok-" + mrid + "-v" + v, RETRIEVE_OUTAGE, now.plus(1, ChronoUnit.DAYS)));
        PushMessage m = PushMessage.outageStatusChange(change).build();
        good.add(new Step("outage " + mrid + " v" + v, m.soapAction(), iso.sign(m, PushSigner.Algorithm.RSA_SHA256),
            200, "stored"));
      }
    }
    String[][] events = {{"MARKET_CLOSED", "DAM"}, {"RESULTS_PUBLISHED", "DAM"}, {"MARKET_OPEN", "RTM"}};
    for (int i = 0; i < events.length; i++) {
      var event = new MarketEvent("EV-" + (500 + i), events[i][0], events[i][1], LocalDate.now().plusDays(1), now,
          events[i][0].replace('_', ' ').toLowerCase() + " for " + events[i][1],
          i == 1 ? new ClaimCheck("tok-results-" + i, RETRIEVE_MARKET_EVENT, now.plus(1, ChronoUnit.DAYS)) : null);
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
    var retried = new OutageStatusChange("OUT-2026-1001", "RESOURCE", 4, "COMPLETED", "ACTIVE", now, null);
    PushMessage retry = PushMessage.outageStatusChange(retried).build();
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
