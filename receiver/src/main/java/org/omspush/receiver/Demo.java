package org.omspush.receiver;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
import java.util.concurrent.atomic.AtomicLong;
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
import org.omspush.store.EmbeddedDatabase;
import org.omspush.store.IngestSummary;

/**
 * {@code demo}: the receiver on this machine with embedded Postgres and a throwaway PKI, fed by
 * the ISO stand-in with good, duplicated and bad pushes, redeeming the claim checks from it under
 * the AUP and delivering to two local subscribers. {@code --replicas N} runs N receivers on the
 * one database (pushes spread over them as a Service would); {@code --duration D} keeps the ISO
 * changing outages and publishing market events until D has passed. Exit status 0 only when
 * every good push was acknowledged, every bad one refused, every claim redeemed, every event
 * delivered with a valid signature, and the ISO saw no AUP violation.
 */
final class Demo {
  /** The ISO's real AUP interval: the demo shows the gate at work. */
  private static final Duration AUP = Duration.ofSeconds(5);
  /** How often the ISO changes something while {@code --duration} runs. */
  private static final Duration ACTIVITY_PERIOD = Duration.ofMillis(2500);
  private static final String[] STATUSES = {"SUBMITTED", "APPROVED", "ACTIVE", "COMPLETED"};

  private Demo() {}

  /** One push of the scenario and what the receiver should answer; {@code participant} null: the bare path (default). */
  record Step(String label, String soapAction, byte[] envelope, int expectedStatus, String expectedOutcome,
      String participant) {
    Step(String label, String soapAction, byte[] envelope, int expectedStatus, String expectedOutcome) {
      this(label, soapAction, envelope, expectedStatus, expectedOutcome, null);
    }
  }

  /** The command line: {@code demo [--replicas N] [--duration D] [--plain]}. */
  record Options(int replicas, Duration duration, boolean plain) {
    static final int MAX_REPLICAS = 5;

    static Options parse(String[] args) {
      int replicas = 1;
      Duration duration = Duration.ZERO;
      boolean plain = false;
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (a.equals("--plain")) {
          plain = true;
        } else if (a.equals("--replicas") || a.equals("--duration")) {
          if (i + 1 >= args.length) {
            throw new Main.UsageException(a + " needs a value");
          }
          String v = args[++i];
          if (a.equals("--replicas")) {
            replicas = replicas(v);
          } else {
            duration = duration(v);
          }
        } else {
          throw new Main.UsageException("demo: unknown option " + a
              + " (expected --replicas N, --duration D such as 90s or 5m, --plain)");
        }
      }
      return new Options(replicas, duration, plain);
    }

    private static int replicas(String v) {
      try {
        int n = Integer.parseInt(v);
        if (n >= 1 && n <= MAX_REPLICAS) {
          return n;
        }
      } catch (NumberFormatException e) {
        // below
      }
      throw new Main.UsageException("--replicas must be 1.." + MAX_REPLICAS + ", not " + v);
    }

    /** 90s, 5m, 1h or an ISO-8601 duration (PT5M); at most 24 h. */
    static Duration duration(String v) {
      Duration d = null;
      try {
        if (v.matches("[0-9]{1,6}[smh]")) {
          long n = Long.parseLong(v.substring(0, v.length() - 1));
          char unit = v.charAt(v.length() - 1);
          d = unit == 's' ? Duration.ofSeconds(n) : unit == 'm' ? Duration.ofMinutes(n) : Duration.ofHours(n);
        } else if (v.startsWith("PT") || v.startsWith("pt")) {
          d = Duration.parse(v);
        }
      } catch (java.time.format.DateTimeParseException e) {
        d = null;
      }
      if (d == null || d.isNegative() || d.compareTo(Duration.ofHours(24)) > 0) {
        throw new Main.UsageException("--duration must look like 90s, 5m, 1h or PT5M (at most 24 h), not " + v);
      }
      return d;
    }
  }

  static int run(String[] args, PrintStream out) throws Exception {
    Options options = Options.parse(args);
    org.omspush.receiver.config.LogFormat.useTextUnlessSet();
    if (System.getenv("OMS_LOG_LEVEL") == null) {
      // The tables below say what the log would; set OMS_LOG_LEVEL=INFO to see both.
      ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
          .setLevel(ch.qos.logback.classic.Level.ERROR);
    }
    long started = System.nanoTime();
    Path work = Files.createTempDirectory("oms-demo-");
    out.println("OMS push receiver demo (work directory " + work + ")");
    DevPki pki = DevPki.generate(work.resolve("pki"));
    out.println("  test PKI written: ISO CA, ISO push client " + pki.isoPushClient().subject().getName());

    Vertx vertx = Vertx.vertx();
    IsoSim iso = await(IsoSim.start(vertx, IsoSimOptions.of(pki).aupInterval(AUP)));
    out.println("  ISO stand-in at " + iso.baseUrl() + " (AUP: one call per certificate and service every "
        + AUP.toSeconds() + " s)");
    DemoSubscribers subscribers = await(DemoSubscribers.start(vertx, pki.serverCa().certificateFile()));
    EmbeddedDatabase db = EmbeddedDatabase.start(work.resolve("postgres"), 0);
    out.println("  embedded PostgreSQL on 127.0.0.1:" + db.port());

    Map<String, String> env = DevEnvironment.of(pki);
    env.put("OMS_DATABASE_URL", "postgresql://" + EmbeddedDatabase.USER + "@127.0.0.1:" + db.port() + "/"
        + EmbeddedDatabase.DATABASE);
    env.put("OMS_ISO_BASE_URL", iso.baseUrl());
    env.put("OMS_ISO_CA", pki.isoCaBundle().toString());
    env.put("OMS_ISO_CERT", pki.participantClient().certificateFile().toString());
    env.put("OMS_ISO_KEY", pki.participantClient().keyFile().toString());
    // the ISO's documents (4 KB) go to the subscribers as HTTPS links, which they fetch
    env.put("OMS_INLINE_PAYLOAD_MAX", "1024");
    env.put("OMS_PARTICIPANTS_DIR", secondParticipant(work, pki).toString());
    env.put("OMS_CONSOLE_VIEW_TOKEN", "view-" + java.util.UUID.randomUUID().toString().replace("-", ""));
    out.println("  participants: default (" + pki.participantClient().subject().getName() + "), " + SECOND_PARTICIPANT
        + " (" + pki.otherParticipantClient().subject().getName() + ")");
    List<ReceiverApp> replicas = new ArrayList<>();
    int status;
    try {
      for (int i = 0; i < options.replicas(); i++) {
        replicas.add(await(ReceiverApp.start(ReceiverConfig.from(env))));
      }
      List<String> urls = new ArrayList<>();
      for (int i = 0; i < replicas.size(); i++) {
        ReceiverApp app = replicas.get(i);
        urls.add("https://localhost:" + app.pushPort() + "/iso/v1/push");
        out.println("  receiver " + (i + 1) + " listening on " + urls.get(i) + " (ops http://127.0.0.1:"
            + app.opsPort() + ", admin http://127.0.0.1:" + app.adminPort() + ", payload links https://localhost:"
            + app.payloadPort() + ")");
      }
      subscribers.register(vertx, replicas.get(0).adminPort(), env.get("OMS_ADMIN_TOKEN"));
      out.println("  subscribers: " + subscribers.describe());
      out.println("  console: http://127.0.0.1:" + replicas.get(0).adminPort() + "/console/ (sign in with the admin "
          + "token " + env.get("OMS_ADMIN_TOKEN") + ", or view only with " + env.get("OMS_CONSOLE_VIEW_TOKEN") + ")"
          + (options.duration().isZero() ? "; open while the demo runs (--duration 10m keeps it open)" : ""));
      try (Pusher pusher = new Pusher(vertx, PusherOptions.asIso(pki))) {
        status = send(pusher, urls, scenario(pki, iso.state()), out);
        Activity activity = new Activity(pusher, urls, pki, iso.state(), options.duration());
        Thread thread = new Thread(activity, "demo-iso-activity");
        thread.setDaemon(true);
        thread.start();
        status |= follow(replicas, iso, subscribers, activity, options, started, out);
        thread.join(TimeUnit.SECONDS.toMillis(30));
      }
    } finally {
      for (ReceiverApp app : replicas) {
        app.stopAndWait();
      }
      db.close();
      await(iso.close());
      await(vertx.close());
      deleteTree(work);
    }
    return status;
  }

  /**
   * The ISO going on with its day while {@code --duration} runs: an outage changes status, a new
   * one appears, a market event is published, each pushed to the next receiver.
   */
  /** The demo's second participant: its own endpoint {@code {OMS_PUSH_PATH}/SC_DEMO2} and certificate. */
  static final String SECOND_PARTICIPANT = "SC_DEMO2";

  /** OMS_PARTICIPANTS_DIR with the second participant, as a Kubernetes tls Secret would hold it. */
  private static Path secondParticipant(Path work, DevPki pki) throws java.io.IOException {
    Path dir = Files.createDirectories(work.resolve("participants").resolve(SECOND_PARTICIPANT));
    Files.copy(pki.otherParticipantClient().certificateFile(), dir.resolve("tls.crt"));
    Files.copy(pki.otherParticipantClient().keyFile(), dir.resolve("tls.key"));
    return dir.getParent();
  }

  private static final class Activity implements Runnable {
    private final Pusher pusher;
    private final List<String> urls;
    private final PushSigner signer;
    private final IsoState state;
    private final Duration duration;
    private final Random random = new Random(11);
    /** The outages pushed to the second participant; the others are default's. */
    private final java.util.Set<String> ofSecond = new java.util.HashSet<>();
    final AtomicLong acked = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    volatile boolean done;

    Activity(Pusher pusher, List<String> urls, DevPki pki, IsoState state, Duration duration) {
      this.pusher = pusher;
      this.urls = urls;
      this.signer = PushSigner.of(pki.isoPushClient());
      this.state = state;
      this.duration = duration;
    }

    @Override
    public void run() {
      long endNanos = System.nanoTime() + duration.toNanos();
      try {
        int n = 0;
        while (System.nanoTime() + ACTIVITY_PERIOD.toNanos() < endNanos) {
          Thread.sleep(ACTIVITY_PERIOD.toMillis());
          n++;
          PushMessage m;
          String url = urls.get(n % urls.size());
          String mrid = null;
          if (n % 5 == 0) {
            var entry = state.addMarketEvent("EV-" + (600 + n), n % 10 == 0 ? "MARKET_OPEN" : "MARKET_CLOSED",
                n % 10 == 0 ? "RTM" : "DAM", LocalDate.now().plusDays(1), Instant.now(), "market update " + n);
            m = PushMessage.marketEvent(state.marketEventPush(entry, false)).build();
            // a market event goes to every participant's endpoint, each copy with its own MessageID
            push(PushMessage.marketEvent(state.marketEventPush(entry, false)).build(), url + "/" + SECOND_PARTICIPANT);
          } else if (n % 7 == 0) {
            OutageVersion created = state.createOutage("OUT-2026-" + (2000 + n), "RESOURCE", "RECEIVED");
            mrid = created.outageMRID();
            if (n % 2 == 0) {
              ofSecond.add(mrid);
            }
            m = PushMessage.outageStatusChange(state.statusChange(created)).build();
          } else {
            List<OutageVersion> outages = state.outages();
            OutageVersion o = outages.get(random.nextInt(outages.size()));
            mrid = o.outageMRID();
            m = PushMessage.outageStatusChange(state.statusChange(
                state.change(o.outageMRID(), STATUSES[random.nextInt(STATUSES.length)]))).build();
          }
          push(m, mrid != null && ofSecond.contains(mrid) ? url + "/" + SECOND_PARTICIPANT : url);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        done = true;
      }
    }

    /** As the ISO does: a push that got no 200 is sent again (re-signed, same MessageID). */
    private void push(PushMessage m, String url) {
      for (int attempt = 1; attempt <= 3; attempt++) {
        try {
          PushResult r = await(pusher.push(url, m.soapAction(), signer.sign(m, PushSigner.Algorithm.RSA_SHA256)));
          if (r.statusCode() == 200) {
            acked.incrementAndGet();
            return;
          }
        } catch (Exception e) {
          // sent again below
        }
      }
      failed.incrementAndGet();
    }
  }

  /** Shows redemption and delivery live until every claim is redeemed and every event delivered. */
  private static int follow(List<ReceiverApp> replicas, IsoSim iso, DemoSubscribers subscribers, Activity activity,
      Options options, long started, PrintStream out) throws Exception {
    out.println();
    out.println("Redeeming claim checks under the AUP and delivering to the subscribers"
        + (options.duration().isZero() ? ":" : " (the ISO keeps changing things for " + options.duration().toSeconds()
        + " s):"));
    boolean live = !options.plain() && System.console() != null && !"dumb".equals(System.getenv("TERM"));
    ReceiverApp any = replicas.get(0);
    long deadline = Long.MAX_VALUE;
    Map<String, Long> counts = Map.of();
    int drawn = 0;
    long lastPlain = 0;
    while (true) {
      counts = await(any.ingestCounts());
      Map<String, Long> byType = await(any.eventCounts());
      List<IngestSummary.Gate> gates = await(any.gates());
      long pending = counts.getOrDefault("claims PENDING", 0L);
      long events = byType.values().stream().mapToLong(Long::longValue).sum();
      boolean finished = activity.done && pending == 0 && events > 0
          && subscribers.received() >= subscribers.expected(byType);
      if (activity.done && deadline == Long.MAX_VALUE) {
        // what is left needs one AUP slot per pending claim, plus time for the deliveries
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120 + pending * (AUP.toSeconds() + 1));
      }
      List<String> view = view(replicas, iso, subscribers, activity, counts, byType, gates, started);
      if (live) {
        if (drawn > 0) {
          out.print("\u001b[" + drawn + "F\u001b[J");
        }
        view.forEach(out::println);
        drawn = view.size();
      } else if (finished || System.nanoTime() - lastPlain >= TimeUnit.SECONDS.toNanos(5)) {
        out.println("  " + view.get(0).strip() + " | " + view.get(1).strip() + " | " + view.get(view.size() - 1)
            .strip());
        lastPlain = System.nanoTime();
      }
      if (finished || System.nanoTime() > deadline) {
        break;
      }
      Thread.sleep(live ? 500 : 1000);
    }
    return summary(replicas, iso, subscribers, activity, counts, started, out);
  }

  /** The live block: the clock, the claims and the AUP gate with its countdown, the deliveries, the ISO's count. */
  private static List<String> view(List<ReceiverApp> replicas, IsoSim iso, DemoSubscribers subscribers,
      Activity activity, Map<String, Long> counts, Map<String, Long> byType, List<IngestSummary.Gate> gates,
      long started) {
    List<String> lines = new ArrayList<>();
    lines.add(String.format("  %5.0f s  pushes acknowledged %d", seconds(started),
        sum(replicas, "oms.push.requests", "outcome", "stored"))
        + (activity.duration.isZero() ? "" : String.format(" (%d of them while the ISO kept changing things%s)",
            activity.acked.get(), activity.done ? "" : ", still going")));
    lines.add(String.format("  claims waiting %-3d redeemed %-3d superseded %-3d dead %d",
        counts.getOrDefault("claims PENDING", 0L), counts.getOrDefault("claims REDEEMED", 0L),
        counts.getOrDefault("claims SUPERSEDED", 0L), counts.getOrDefault("claims DEAD", 0L)));
    for (IngestSummary.Gate g : gates) {
      lines.add(String.format("  AUP gate %-51s %s  (%d calls, %d AUP pages)", g.service(),
          g.secondsUntilOpen() > 0 ? String.format("next call in %4.1f s", g.secondsUntilOpen()) : "open              ",
          g.calls(), g.aupPages()));
    }
    long events = byType.values().stream().mapToLong(Long::longValue).sum();
    lines.add(String.format("  events %-3d deliveries %s (of %d due)", events, subscribers.tally(),
        subscribers.expected(byType)));
    if (replicas.size() > 1) {
      StringBuilder b = new StringBuilder("  by replica (acked/redeemed/delivered):");
      for (int i = 0; i < replicas.size(); i++) {
        b.append(String.format(" r%d %d/%d/%d", i + 1, count(replicas.get(i), "oms.push.requests", "outcome", "stored"),
            count(replicas.get(i), "oms.retrieve.calls", "outcome", "document"),
            count(replicas.get(i), "oms.fanout.deliveries", "outcome", "delivered")));
      }
      lines.add(b.toString());
    }
    lines.add(String.format("  ISO: %d retrieve calls, AUP violations %d", iso.stats().totalCalls(),
        iso.stats().totalViolations()));
    return lines;
  }

  private static int summary(List<ReceiverApp> replicas, IsoSim iso, DemoSubscribers subscribers, Activity activity,
      Map<String, Long> counts, long started, PrintStream out) {
    long dead = counts.getOrDefault("claims DEAD", 0L);
    long pending = counts.getOrDefault("claims PENDING", 0L);
    long violations = iso.stats().totalViolations();
    boolean ok = dead == 0 && pending == 0 && violations == 0 && activity.failed.get() == 0
        && subscribers.allSignaturesValid();
    out.println();
    out.println("Summary:");
    out.printf("  %-36s %s%n", "receivers (replicas)", replicas.size());
    counts.forEach((k, v) -> out.printf("  %-36s %d%n", k, v));
    out.printf("  %-36s %d%n", "pushes acked while running", activity.acked.get());
    out.printf("  %-36s %d%n", "pushes not acked after 3 tries", activity.failed.get());
    for (DemoSubscribers.Subscriber s : subscribers.all) {
      out.printf("  %-36s %d (bad signatures %d; payload links fetched %d, failed %d)%n", "delivered to " + s.name,
          s.received.get(), s.badSignatures.get(), s.downloads.get(), s.badDownloads.get());
    }
    out.printf("  %-36s %d%n", "ISO retrieve calls", iso.stats().totalCalls());
    for (var e : iso.stats().entries()) {
      out.printf("    %-34s %d calls, %d accepted, %d AUP violations%n", e.service(), e.calls(), e.accepted(),
          e.violations());
    }
    out.printf("  %-36s %d%n", "ISO AUP violations", violations);
    out.printf("  %-36s %.0f s%n", "elapsed", seconds(started));
    out.println(ok ? "Every acknowledged push was redeemed and delivered; the ISO saw no AUP violation."
        : "Not everything completed: pending " + pending + ", dead " + dead + ", AUP violations " + violations
            + ", pushes not acked " + activity.failed.get());
    return ok ? 0 : 1;
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }

  private static long sum(List<ReceiverApp> replicas, String meter, String tag, String value) {
    return replicas.stream().mapToLong(r -> count(r, meter, tag, value)).sum();
  }

  /** A counter of one replica, summed over its other tags. */
  private static long count(ReceiverApp app, String meter, String tag, String value) {
    return (long) app.metrics().find(meter).tag(tag, value).counters().stream()
        .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
  }

  static List<Step> scenario(DevPki pki, IsoState state) {
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

    // The second participant hears of one of the same outages: its own versions and claims.
    OutageVersion shared = state.outage("OUT-2026-1002").orElseThrow();
    PushMessage toSecond = PushMessage.outageStatusChange(state.statusChange(shared)).build();
    steps.add(new Step("outage OUT-2026-1002 to " + SECOND_PARTICIPANT, toSecond.soapAction(),
        iso.sign(toSecond, PushSigner.Algorithm.RSA_SHA256), 200, "stored", SECOND_PARTICIPANT));
    steps.add(new Step("the same to a participant not served", toSecond.soapAction(),
        iso.sign(toSecond, PushSigner.Algorithm.RSA_SHA256), 404, "unknown_participant", "SC_NOBODY"));

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

  private static int send(Pusher pusher, List<String> urls, List<Step> steps, PrintStream out) throws Exception {
    Map<String, Integer> tally = new LinkedHashMap<>();
    int unexpected = 0;
    out.println();
    out.printf("  %-3s %-44s %-6s %-18s%n", "#", "push", "HTTP", "receiver said");
    int n = 0;
    for (Step s : steps) {
      // spread over the replicas, as the Service in front of them would
      String url = urls.get(n % urls.size()) + (s.participant() == null ? "" : "/" + s.participant());
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
    out.println();
    out.println("Pushes:");
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
