package org.omspush.claimcheck.redeem;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import org.omspush.claimcheck.push.Ns;
import org.omspush.claimcheck.retrieve.DocumentHead;
import org.omspush.claimcheck.retrieve.IsoIdentity;
import org.omspush.claimcheck.retrieve.RequestSigner;
import org.omspush.claimcheck.retrieve.RetrieveAnswer;
import org.omspush.claimcheck.retrieve.RetrieveClient;
import org.omspush.claimcheck.retrieve.RetrieveServices;
import org.omspush.store.ClaimToRedeem;
import org.omspush.store.RedemptionStore;
import org.omspush.store.RetrievedDocument;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;
import org.w3c.dom.Element;

/**
 * Redeems claim checks: one lane per (identity, service), each leasing a claim, taking the AUP
 * gate on the database clock, calling the ISO and storing what came back. Any number of
 * replicas may run it on one database; the gate rows keep the AUP, the leases keep a claim
 * with one worker at a time.
 */
public final class RedemptionWorker extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(RedemptionWorker.class);

  private final RedemptionStore store;
  private final RetrieveClient client;
  private final List<IsoIdentity> identities;
  private final RedemptionSettings settings;
  private final WorkerExecutor workers;
  private final MeterRegistry metrics;
  private final String owner;
  private final CatchUp catchUp;
  private final AupGate aupGate;
  private final RandomGenerator random = RandomGenerator.getDefault();
  private final List<Lane> lanes = new ArrayList<>();
  private final Map<String, AtomicInteger> refused = new ConcurrentHashMap<>();
  private final IsoAvailability availability;
  private final java.util.Set<String> served = new java.util.TreeSet<>();
  private long sweepTimer = -1;
  private volatile boolean stopping;
  /** How often claims of services no identity serves are set aside, and served ones revived. */
  private static final long SWEEP_EVERY_MS = 10_000;

  /** One (identity, service) pair: its own gate, its own loop. */
  private final class Lane {
    final IsoIdentity identity;
    final String service;
    final RequestSigner signer;
    boolean running;
    boolean wakeRequested;
    long idleTimer = -1;

    Lane(IsoIdentity identity, String service) {
      this.identity = identity;
      this.service = service;
      this.signer = new RequestSigner(identity.certificate(), identity.privateKey());
    }
  }

  public RedemptionWorker(RedemptionStore store, RetrieveClient client, List<IsoIdentity> identities,
      RedemptionSettings settings, WorkerExecutor workers, MeterRegistry metrics, String owner, CatchUp catchUp, AupGate aupGate) {
    this.store = store;
    this.client = client;
    this.identities = identities;
    this.settings = settings;
    this.workers = workers;
    this.metrics = metrics;
    this.owner = owner;
    this.catchUp = catchUp;
    this.aupGate = aupGate;
    this.availability = new IsoAvailability(metrics, settings, random);
  }

  @Override
  public Future<?> start() {
    for (IsoIdentity id : identities) {
      for (String service : List.of(RetrieveServices.OUTAGE_BY_CLAIM_CHECK,
          RetrieveServices.MARKET_EVENT_BY_CLAIM_CHECK)) {
        if (id.serves(service)) {
          lanes.add(new Lane(id, service));
          served.add(service);
          availability.register(service);
          AtomicInteger flag = new AtomicInteger();
          refused.put(id.gateKey() + "|" + service, flag);
          metrics.gauge("oms.iso.service.refused", io.micrometer.core.instrument.Tags.of("service", service,
              "identity", id.subjectDn()), flag);
          // Shown at 0 from the start, so a rate() or an alert sees the series before the first page.
          metrics.counter("oms.aup.pages", "service", service);
        }
      }
    }
    metrics.counter("oms.claims.dead");
    lanes.forEach(this::run);
    sweep();
    sweepTimer = vertx.setPeriodic(SWEEP_EVERY_MS, t -> sweep());
    return Future.succeededFuture();
  }

  /**
   * Stops claiming; a lane waiting at the AUP gate leaves the wait, a call in flight to the ISO is
   * finished and recorded (within the request timeout and a second), then every lease this
   * worker still holds is given back without counting an attempt, so another replica takes the
   * claims at once.
   */
  @Override
  public Future<?> stop() {
    stopping = true;
    if (sweepTimer >= 0) {
      vertx.cancelTimer(sweepTimer);
    }
    for (Lane lane : lanes) {
      if (lane.idleTimer >= 0) {
        vertx.cancelTimer(lane.idleTimer);
        lane.idleTimer = -1;
      }
    }
    Promise<Void> idle = Promise.promise();
    long deadline = System.nanoTime() + settings.requestTimeout().plusSeconds(1).toNanos();
    waitForLanes(idle, deadline);
    return idle.future()
        .compose(v -> store.release(owner))
        .onSuccess(n -> log.info("redemption worker {} stopped; gave back {} claim leases", owner, n))
        .onFailure(e -> log.warn("redemption worker {} stopped; giving back its leases failed ({}): they run out "
            + "by themselves", owner, e.getMessage()))
        .otherwiseEmpty();
  }

  private void waitForLanes(Promise<Void> idle, long deadline) {
    boolean busy = lanes.stream().anyMatch(l -> l.running);
    if (!busy || System.nanoTime() > deadline) {
      idle.complete();
    } else {
      vertx.setTimer(20, t -> waitForLanes(idle, deadline));
    }
  }

  /** A hint that a claim of this service (or of any, when null) is due: lanes stop idling. */
  public void wake(String service) {
    context.runOnContext(v -> {
      for (Lane lane : lanes) {
        if (service == null || service.equals(lane.service)) {
          if (lane.running) {
            lane.wakeRequested = true;
          } else if (lane.idleTimer >= 0) {
            vertx.cancelTimer(lane.idleTimer);
            lane.idleTimer = -1;
            run(lane);
          }
        }
      }
    });
  }

  /**
   * Claims of a service that no configured identity serves are set aside as UNSERVICEABLE (they
   * would wait for ever), and those of a service now served are PENDING again.
   */
  private void sweep() {
    store.reviveServiceable(served).compose(revived -> {
      revived.forEach((service, n) -> log.info("{} UNSERVICEABLE claims of {} are PENDING again: a configured "
          + "identity serves it", n, service));
      if (!revived.isEmpty()) {
        wake(null);
      }
      return store.setAsideUnserviceable(served);
    }).onSuccess(setAside -> setAside.forEach((service, n) -> log.warn("{} claims of service {} set aside as "
        + "UNSERVICEABLE: no configured identity serves it (OMS_ISO_SERVICES[_n]); they are retried once one does, "
        + "at start-up or with POST /api/v1/claims/retry", n, service)))
        .onFailure(e -> log.warn("could not check for unserviceable claims: {}", e.getMessage()));
  }

  private void run(Lane lane) {
    if (stopping || lane.running) {
      return;
    }
    long untilProbe = availability.millisUntilProbe(lane.service);
    if (untilProbe > 0) {
      // The service is unavailable: one probe per pause, not a call per claim.
      if (lane.idleTimer < 0) {
        lane.idleTimer = vertx.setTimer(untilProbe, t -> {
          lane.idleTimer = -1;
          run(lane);
        });
      }
      return;
    }
    lane.running = true;
    lane.wakeRequested = false;
    store.leaseNext(lane.service, owner, settings.lease(), settings.maxLost())
        .compose(next -> next.isEmpty() ? Future.succeededFuture(false) : leased(lane, next.get()).map(true))
        .onComplete(ar -> {
          lane.running = false;
          if (ar.failed() && !stopping) {
            log.warn("redemption lane {} failed: {}; retrying after the poll interval", lane.service,
                ar.cause().getMessage());
          }
          boolean worked = ar.succeeded() && ar.result();
          if (stopping) {
            return;
          }
          if (worked || lane.wakeRequested) {
            run(lane);
          } else {
            lane.idleTimer = vertx.setTimer(settings.pollInterval().toMillis(), t -> {
              lane.idleTimer = -1;
              run(lane);
            });
          }
        });
  }

  private Future<Void> leased(Lane lane, ClaimToRedeem claim) {
    if ("DEAD".equals(claim.state())) {
      metrics.counter("oms.claims.dead").increment();
      about(log.atError(), claim).log("claim {} ({}) is DEAD (receiver_lost): {} fetches of it ended with the "
          + "receiver lost (killed, out of memory or stopped) and no answer; set aside so that it does not take the "
          + "next receiver with it. Retry it with POST /api/v1/claims/{}/retry once the cause is fixed", claim.id(),
          describe(claim), claim.lostFetches(), claim.id());
      return Future.succeededFuture();
    }
    if (claim.lostBefore()) {
      about(log.atWarn(), claim).log("claim {} ({}): its previous fetch ended with the lease lost and no answer "
          + "({} of {} before it is set aside)", claim.id(), describe(claim), claim.lostFetches(), settings.maxLost());
    }
    return redeem(lane, claim);
  }

  private Future<Void> redeem(Lane lane, ClaimToRedeem first) {
    if (first.showsVersionGap() && catchUp != null) {
      catchUp.requestSoon("outage " + first.outageMRID() + " version " + first.version()
          + " arrived with no claim for the version before it");
    }
    long renewEvery = Math.max(1000, settings.lease().toMillis() / 3);
    long renewer = vertx.setPeriodic(renewEvery, t -> store.renewLease(first.id(), owner, settings.lease()));
    // Ready before the gate: signed, connection open. The gate is taken only while the claim is
    // still ours, so no slot is taken with nothing to send.
    return sign(lane, first)
        .compose(request -> client.open(lane.identity, lane.service, false)
            .compose(prepared -> gate(lane, first).onFailure(e -> prepared.abandon()).compose(g -> {
              if (g.refused()) {
                prepared.abandon();
                // 403 earlier: the service is refused for this identity until an operator clears it.
                return store.retryLater(first.id(), owner, Duration.ofMinutes(5), null, RedemptionStore.Failure.WAIT,
                    settings.maxAttempts(), settings.giveUpAfter()).<Void>mapEmpty();
              }
              if (g.claimLost()) {
                // Superseded or its lease lost while waiting: the lane leases the next claim at once.
                prepared.abandon();
                return Future.<Void>succeededFuture();
              }
              return send(lane, first, prepared, request, g.issuedNanos(), g);
            }), failure -> handle(lane, first, new RetrieveAnswer.Transient("cannot connect to the ISO: "
                + failure.getMessage()))))
        .eventually(() -> {
          vertx.cancelTimer(renewer);
          return Future.succeededFuture();
        });
  }

  private Future<byte[]> sign(Lane lane, ClaimToRedeem claim) {
    return workers.executeBlocking(() -> lane.signer.sign(body -> {
      String ns = Ns.OMS_PUSH_V1;
      Element req = body.getOwnerDocument().createElementNS(ns, "RetrieveByClaimCheck");
      req.setAttributeNS("http://www.w3.org/2000/xmlns/", "xmlns", ns);
      body.appendChild(req);
      Element value;
      if (claim.byKey()) {
        value = body.getOwnerDocument().createElementNS(ns, claim.isOutage() ? "outageMRID" : "eventId");
        value.setTextContent(claim.isOutage() ? claim.outageMRID() : claim.eventId());
      } else {
        value = body.getOwnerDocument().createElementNS(ns, "token");
        value.setTextContent(claim.token());
      }
      req.appendChild(value);
    }), false);
  }

  private Future<RedemptionStore.Gate> gate(Lane lane, ClaimToRedeem claim) {
    return aupGate.take(lane.identity, lane.service, claim.id(), owner, () -> stopping).onSuccess(g -> {
      if (!g.claimLost()) {
        refused.get(lane.identity.gateKey() + "|" + lane.service).set(g.refused() ? 1 : 0);
      }
    });
  }

  private Future<Void> send(Lane lane, ClaimToRedeem claim, RetrieveClient.Prepared prepared, byte[] request,
      long gateTaken, RedemptionStore.Gate gate) {
    long late = (System.nanoTime() - gateTaken) / 1_000_000;
    if (late > settings.aupMargin().toMillis() / 2) {
      // Too long since the gate was taken (a pause): sending now could land inside the next window.
      // Nothing was sent, so the slot goes back (unless the gate moved since) and the claim keeps its place.
      prepared.abandon();
      about(log.atWarn(), claim).log(
          "retrieve for claim {} not sent: {} ms passed since the AUP gate was taken; slot and claim given back",
          claim.id(), late);
      metrics.counter("oms.aup.slots.not_sent", "service", lane.service).increment();
      return store.releaseGate(lane.identity.gateKey(), lane.service, gate.takenUntil(), settings.gateInterval())
          .compose(released -> store.giveBack(claim.id(), owner)).mapEmpty();
    }
    Timer.Sample call = Timer.start(metrics);
    return prepared.send(request,
        responded -> aupGate.answered(lane.identity, lane.service, gateTaken, gate.takenUntil(), responded))
        .compose(answer -> {
          call.stop(Timer.builder("oms.retrieve.latency").description("Retrieve calls to the ISO, send to answer")
              .tag("service", lane.service).publishPercentileHistogram().register(metrics));
          metrics.counter("oms.retrieve.calls", "service", lane.service, "outcome", outcome(answer)).increment();
          return handle(lane, claim, answer);
        });
  }

  private static String outcome(RetrieveAnswer a) {
    if (a instanceof RetrieveAnswer.Document) {
      return "document";
    } else if (a instanceof RetrieveAnswer.AupPage) {
      return "aup_page";
    } else if (a instanceof RetrieveAnswer.Forbidden) {
      return "forbidden";
    } else if (a instanceof RetrieveAnswer.Fault) {
      return "fault";
    } else if (a instanceof RetrieveAnswer.Transient) {
      return "transient";
    } else if (a instanceof RetrieveAnswer.Rejected) {
      return "rejected";
    }
    return "changes";
  }

  /**
   * Acts on the answer. Transient (no answer, a refused or reset connection, a timeout, 5xx
   * without a Fault, a soap:Server Fault) never counts as an attempt; definitive (a soap:Client
   * Fault when asked by key, an answer that fails its checks, a document that is not the claim's)
   * counts toward the attempt limit. An AUP page and a 403 count neither.
   */
  private Future<Void> handle(Lane lane, ClaimToRedeem claim, RetrieveAnswer answer) {
    String service = lane.service;
    boolean isoTrouble = answer instanceof RetrieveAnswer.Transient
        || answer instanceof RetrieveAnswer.Fault f && f.serverFault();
    if (!isoTrouble && !(answer instanceof RetrieveAnswer.AupPage)) {
      availability.answered(service);
    }
    store.recordOutcome(lane.identity.gateKey(), service, lastOutcome(answer))
        .onFailure(e -> log.debug("could not record the outcome of a call: {}", e.getMessage()));
    if (answer instanceof RetrieveAnswer.Document d) {
      Optional<RetrievedDocument> doc = toDocument(claim, d);
      if (doc.isEmpty()) {
        return discard(d).compose(v -> definitive(claim,
            "the document does not match the claim (mRID, event or an older version)"));
      }
      return store.complete(claim, owner, doc.get()).transform(ar -> {
        if (ar.failed() || ar.result().redeemed() == 0) {
          // Not stored (lease lost, or the database failed): the fetched payload is nobody's.
          return discard(d).transform(v -> ar.failed() ? Future.failedFuture(ar.cause()) : Future.succeededFuture());
        }
        var c = ar.result();
        about(log.atInfo(), claim).log("claim {} redeemed ({}, {} bytes): {} claims, event {}", claim.id(),
            describe(claim), d.size(), c.redeemed(),
            c.published() ? "published" : "already published by a newer version");
        return Future.<Void>succeededFuture();
      });
    }
    if (answer instanceof RetrieveAnswer.AupPage p) {
      metrics.counter("oms.aup.pages", "service", service).increment();
      about(log.atWarn(), claim).log("AUP page from the ISO for {} (HTTP {}); the gate moves forward, claim {} waits",
          service, p.httpStatus(), claim.id());
      return store.aupPageSeen(lane.identity.gateKey(), service, settings.gateInterval())
          .compose(v -> store.giveBack(claim.id(), owner))
          .mapEmpty();
    }
    if (answer instanceof RetrieveAnswer.Forbidden f) {
      about(log.atError(), claim).log("ALERT: the ISO refused {} for {} (403: {}); no more calls until an operator "
          + "clears the gate (POST /api/v1/gates/{identity}/{service}/clear)", service, lane.identity.subjectDn(),
          f.description());
      return store.refuseService(lane.identity.gateKey(), service, f.description())
          .compose(v -> store.retryLater(claim.id(), owner, Duration.ofMinutes(5), "403: " + f.description(),
              RedemptionStore.Failure.WAIT, settings.maxAttempts(), settings.giveUpAfter()))
          .mapEmpty();
    }
    if (answer instanceof RetrieveAnswer.Fault f) {
      if (f.tokenUnusable() && !claim.byKey()) {
        about(log.atInfo(), claim).log("claim {}: token refused by the ISO ({}); asking by key instead", claim.id(),
            f.description());
        return store.useKeyLookup(claim.id(), owner, f.description());
      }
      if (f.serverFault()) {
        return transientFailure(lane, claim, "ISO fault (" + f.code() + ", HTTP " + f.httpStatus() + "): "
            + f.description());
      }
      return definitive(claim, "ISO fault: " + f.description());
    }
    if (answer instanceof RetrieveAnswer.Transient t) {
      return transientFailure(lane, claim, t.reason());
    }
    if (answer instanceof RetrieveAnswer.Rejected r) {
      about(log.atWarn(), claim).log("claim {}: answer rejected: {}", claim.id(), r.reason());
      return definitive(claim, r.reason());
    }
    return definitive(claim, "unexpected answer");
  }

  private Future<Void> discard(RetrieveAnswer.Document d) {
    return store.discardPayload(d.payloadId()).otherwise(e -> {
      log.warn("payload {} of a document not stored could not be deleted ({}); retention deletes it later",
          d.payloadId(), e.getMessage());
      return null;
    });
  }

  /** What GET /api/v1/gates shows as the last call's outcome. */
  private static String lastOutcome(RetrieveAnswer a) {
    String detail = a instanceof RetrieveAnswer.Transient t ? t.reason()
        : a instanceof RetrieveAnswer.Fault f ? f.code() + ": " + f.description()
        : a instanceof RetrieveAnswer.Rejected r ? r.reason()
        : a instanceof RetrieveAnswer.Forbidden f ? f.description() : null;
    String text = detail == null ? outcome(a) : outcome(a) + ": " + detail;
    return text.length() > 300 ? text.substring(0, 300) + "…" : text;
  }

  /** Counts toward the attempt limit; backs off by the attempts so far. */
  private Future<Void> definitive(ClaimToRedeem claim, String error) {
    Duration delay = settings.backoff(claim.attempts() + 1, random);
    return store.retryLater(claim.id(), owner, delay, error, RedemptionStore.Failure.DEFINITIVE,
        settings.maxAttempts(), settings.giveUpAfter()).map(r -> {
          if ("DEAD".equals(r.state())) {
            dead(claim, r, error);
          } else {
            about(log.atWarn(), claim).log("claim {} ({}) attempt {} of {} failed: {}; next in {} s", claim.id(),
                describe(claim), r.attempts(), settings.maxAttempts(), error, delay.toSeconds());
          }
          return null;
        });
  }

  /**
   * Not counted. Alone, the claim backs off by itself; within an outage of the service it keeps
   * its place and the lanes pause instead. DEAD only once older than the give-up time.
   */
  private Future<Void> transientFailure(Lane lane, ClaimToRedeem claim, String error) {
    boolean outage = availability.failed(lane.service, error);
    Duration delay = outage ? null : settings.backoff(claim.transientFailures() + 1, random);
    return store.retryLater(claim.id(), owner, delay, error, RedemptionStore.Failure.TRANSIENT,
        settings.maxAttempts(), settings.giveUpAfter()).map(r -> {
          if ("DEAD".equals(r.state())) {
            dead(claim, r, error);
          } else if (outage) {
            about(log.atDebug(), claim).log("claim {} keeps its place: {}", claim.id(), error);
          } else {
            about(log.atInfo(), claim).log("claim {} ({}): transient failure, not counted as an attempt: {}; next "
                + "in {} s", claim.id(), describe(claim), error, delay.toSeconds());
          }
          return null;
        });
  }

  private void dead(ClaimToRedeem claim, RedemptionStore.Retry r, String error) {
    metrics.counter("oms.claims.dead").increment();
    String why = "gave_up".equals(r.deadReason())
        ? "the ISO answered it only with transient failures since it was created (OMS_REDEEM_GIVE_UP_AFTER " + settings.giveUpAfter() + ")"
        : "after " + r.attempts() + " attempts";
    about(log.atError(), claim).log("claim {} ({}) is DEAD ({}): {}: {}", claim.id(), describe(claim), r.deadReason(),
        why, error);
  }

  /** The claim's identifiers as key-value pairs: fields of the JSON log line. */
  private static LoggingEventBuilder about(LoggingEventBuilder line, ClaimToRedeem c) {
    line = line.addKeyValue("claimId", c.id());
    return c.isOutage() ? line.addKeyValue("mrid", c.outageMRID()) : line.addKeyValue("marketEventId", c.eventId());
  }

  private static String describe(ClaimToRedeem c) {
    return c.isOutage() ? "outage " + c.outageMRID() + " v" + c.version() : "market event " + c.eventId();
  }

  /** Checks the document answers the claim: same outage (or event), never an older version. */
  static Optional<RetrievedDocument> toDocument(ClaimToRedeem claim, RetrieveAnswer.Document d) {
    DocumentHead head = d.head();
    if (!Ns.OMS_PUSH_V1.equals(head.namespace())) {
      return Optional.empty();
    }
    try {
      if (claim.isOutage()) {
        if (!"OutageDocument".equals(head.rootName())) {
          return Optional.empty();
        }
        String mrid = head.text("outageMRID");
        long version = Long.parseLong(head.text("version"));
        if (!claim.outageMRID().equals(mrid) || version < claim.version()) {
          return Optional.empty();
        }
        String type = head.text("outageType");
        String status = head.text("status");
        String modified = head.text("lastModified");
        return Optional.of(new RetrievedDocument(mrid, type == null ? claim.outageType() : type, version,
            status == null ? claim.status() : status,
            modified == null ? claim.lastModified() : OffsetDateTime.parse(modified), d.payloadId(), d.size(),
            d.sha256()));
      }
      if (!"MarketEventDocument".equals(head.rootName()) || !claim.eventId().equals(head.text("eventId"))) {
        return Optional.empty();
      }
      return Optional.of(new RetrievedDocument(null, null, null, null, null, d.payloadId(), d.size(), d.sha256()));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }
}
