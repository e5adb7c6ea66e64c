package org.omspush.claimcheck.redeem;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import org.omspush.claimcheck.push.Ns;
import org.omspush.claimcheck.retrieve.DocumentHead;
import org.omspush.claimcheck.retrieve.IsoIdentity;
import org.omspush.claimcheck.retrieve.ParticipantIdentities;
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
 * Redeems claim checks: one scheduler per replica, across every participant. It leases the
 * earliest due claim whose AUP gate is open, of any participant (so a participant with a backlog
 * does not hold back another's claim beyond that one's own gate), and calls the ISO with that
 * claim's participant's certificate, under that certificate's gate, with at most
 * {@code maxInFlight} calls at once and one at a time per participant and service on this
 * replica. Idle, it sleeps until a NOTIFY ({@link #wake}), the next gate opening or due time the
 * database reports, or {@code pollInterval} at most. Any number of replicas may run it on one
 * database; the gate rows keep the AUP, the leases keep a claim with one worker at a time.
 *
 * <p>The certificate is the participant's at lease time ({@link ParticipantIdentities}): a
 * renewed one is used for the next call; a participant removed is no longer scheduled, and its
 * claims stay PENDING until it returns.
 */
public final class RedemptionWorker extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(RedemptionWorker.class);
  /** The services a claim is redeemed with. */
  static final List<String> CLAIM_SERVICES = List.of(RetrieveServices.OUTAGE_BY_CLAIM_CHECK,
      RetrieveServices.MARKET_EVENT_BY_CLAIM_CHECK);

  private final RedemptionStore store;
  private final RetrieveClient client;
  private final ParticipantIdentities participants;
  private final RedemptionSettings settings;
  private final WorkerExecutor workers;
  private final MeterRegistry metrics;
  private final String owner;
  private final CatchUp catchUp;
  private final AupGate aupGate;
  private final int maxInFlight;
  private final RandomGenerator random = RandomGenerator.getDefault();
  private final Map<String, AtomicInteger> refused = new ConcurrentHashMap<>();
  private final IsoAvailability availability;
  /** Signers by gate key: parsing a key per call is wasted work. */
  private final Map<String, RequestSigner> signers = new HashMap<>();
  /** (participant, service) lanes with a call in flight on this replica. */
  private final Set<String> busy = new HashSet<>();
  private final Map<String, Integer> inFlightByService = new HashMap<>();
  private final Set<String> knownParticipants = new HashSet<>();
  private final AtomicInteger inFlightGauge = new AtomicInteger();
  private int inFlight;
  private boolean pumping;
  private boolean pumpAgain;
  private long wakeTimer = -1;
  private long sweepTimer = -1;
  private volatile boolean stopping;
  /** How often claims of services no certificate serves are set aside, and served ones revived. */
  private static final long SWEEP_EVERY_MS = 10_000;
  /** After an empty lease that the database said was due now: a short pause, never a spin. */
  private static final long MIN_IDLE_MS = 50;

  /** One call: whose claim, with which certificate, to which service. */
  private record Call(String participant, IsoIdentity identity, String service, RequestSigner signer) {}

  public RedemptionWorker(RedemptionStore store, RetrieveClient client, ParticipantIdentities participants,
      RedemptionSettings settings, WorkerExecutor workers, MeterRegistry metrics, String owner, CatchUp catchUp,
      AupGate aupGate, int maxInFlight) {
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("maxInFlight must be at least 1");
    }
    this.store = store;
    this.client = client;
    this.participants = participants;
    this.settings = settings;
    this.workers = workers;
    this.metrics = metrics;
    this.owner = owner;
    this.catchUp = catchUp;
    this.aupGate = aupGate;
    this.maxInFlight = maxInFlight;
    this.availability = new IsoAvailability(metrics, settings, random);
  }

  @Override
  public Future<?> start() {
    for (String service : CLAIM_SERVICES) {
      availability.register(service);
      // Shown at 0 from the start, so a rate() or an alert sees the series before the first page.
      metrics.counter("oms.aup.pages", "service", service);
    }
    metrics.counter("oms.claims.dead");
    metrics.gauge("oms.redeem.in.flight", inFlightGauge);
    sweep();
    sweepTimer = vertx.setPeriodic(SWEEP_EVERY_MS, t -> sweep());
    pump();
    return Future.succeededFuture();
  }

  /**
   * Stops claiming; a call waiting at the AUP gate leaves the wait, a call in flight to the ISO is
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
    cancelWake();
    Promise<Void> idle = Promise.promise();
    long deadline = System.nanoTime() + settings.requestTimeout().plusSeconds(1).toNanos();
    waitForCalls(idle, deadline);
    return idle.future()
        .compose(v -> store.release(owner))
        .onSuccess(n -> log.info("redemption worker {} stopped; gave back {} claim leases", owner, n))
        .onFailure(e -> log.warn("redemption worker {} stopped; giving back its leases failed ({}): they run out "
            + "by themselves", owner, e.getMessage()))
        .otherwiseEmpty();
  }

  private void waitForCalls(Promise<Void> idle, long deadline) {
    if ((inFlight == 0 && !pumping) || System.nanoTime() > deadline) {
      idle.complete();
    } else {
      vertx.setTimer(20, t -> waitForCalls(idle, deadline));
    }
  }

  /** A hint that a claim is due (a push committed, here or on another replica): the scheduler looks now. */
  public void wake(String service) {
    if (context != null) {
      context.runOnContext(v -> pump());
    }
  }

  /** The lanes the scheduler may take from now: every participant with a certificate, each service it serves. */
  private List<RedemptionStore.Lane> lanes(boolean all) {
    List<RedemptionStore.Lane> out = new ArrayList<>();
    Map<String, IsoIdentity> byParticipant = participants.identities();
    for (var e : byParticipant.entrySet()) {
      for (String service : CLAIM_SERVICES) {
        if (!e.getValue().serves(service)) {
          continue;
        }
        if (!all && (busy.contains(laneKey(e.getKey(), service)) || paused(service))) {
          continue;
        }
        out.add(new RedemptionStore.Lane(e.getKey(), e.getValue().gateKey(), service));
      }
    }
    return out;
  }

  /** Unavailable, and not yet time for its probe, or its one probe already in flight. */
  private boolean paused(String service) {
    return availability.millisUntilProbe(service) > 0
        || availability.inOutage(service) && inFlightByService.getOrDefault(service, 0) > 0;
  }

  private static String laneKey(String participant, String service) {
    return participant + "|" + service;
  }

  /** Leases claims while calls may start; idle, sleeps until the database says something is due. */
  private void pump() {
    if (stopping) {
      return;
    }
    if (pumping) {
      pumpAgain = true;
      return;
    }
    if (inFlight >= maxInFlight) {
      return; // a call's end pumps again
    }
    cancelWake();
    List<RedemptionStore.Lane> lanes = lanes(false);
    pumping = true;
    pumpAgain = false;
    store.leaseNextAny(lanes, owner, settings.lease(), settings.maxLost()).onComplete(ar -> {
      if (ar.failed()) {
        pumping = false;
        if (!stopping) {
          log.warn("redemption scheduler could not lease a claim: {}; trying again after {} ms",
              ar.cause().getMessage(), settings.pollInterval().toMillis());
          sleep(settings.pollInterval().toMillis());
        }
        return;
      }
      if (ar.result().isPresent()) {
        pumping = false;
        started(ar.result().get());
        pump();
        return;
      }
      if (pumpAgain) {
        pumping = false;
        pump();
        return;
      }
      store.nextDue(lanes).onComplete(next -> {
        pumping = false;
        if (stopping) {
          return;
        }
        if (pumpAgain) {
          pump();
          return;
        }
        long wait = settings.pollInterval().toMillis();
        if (next.succeeded() && next.result().isPresent()) {
          // Rounded up: a timer that fires before the gate opens costs another round trip.
          wait = Math.min(wait, Math.max(MIN_IDLE_MS, (next.result().get().toNanos() + 999_999) / 1_000_000));
        }
        for (String service : CLAIM_SERVICES) {
          long probe = availability.millisUntilProbe(service);
          if (probe > 0) {
            wait = Math.min(wait, probe);
          }
        }
        sleep(wait);
      });
    });
  }

  private void sleep(long millis) {
    cancelWake();
    wakeTimer = vertx.setTimer(Math.max(1, millis), t -> {
      wakeTimer = -1;
      pump();
    });
  }

  private void cancelWake() {
    if (wakeTimer >= 0) {
      vertx.cancelTimer(wakeTimer);
      wakeTimer = -1;
    }
  }

  /** A claim leased: its call starts, with its participant's certificate now. */
  private void started(RedemptionStore.Leased leased) {
    ClaimToRedeem claim = leased.claim();
    if ("DEAD".equals(claim.state())) {
      metrics.counter("oms.claims.dead").increment();
      about(log.atError(), claim).log("claim {} ({}) is DEAD (receiver_lost): {} fetches of it ended with the "
          + "receiver lost (killed, out of memory or stopped) and no answer; set aside so that it does not take the "
          + "next receiver with it. Retry it with POST /api/v1/claims/{}/retry once the cause is fixed", claim.id(),
          describe(claim), claim.lostFetches(), claim.id());
      return;
    }
    Optional<IsoIdentity> identity = participants.identity(leased.participant());
    if (identity.isEmpty() || !identity.get().serves(claim.service())) {
      // Removed (or its certificate refused) since the lease was asked for: the claim waits for it.
      store.giveBack(claim.id(), owner);
      return;
    }
    IsoIdentity id = identity.get();
    Call call = new Call(leased.participant(), id, claim.service(),
        signers.computeIfAbsent(id.gateKey(), k -> new RequestSigner(id.certificate(), id.privateKey())));
    String lane = laneKey(call.participant(), call.service());
    inFlight++;
    inFlightGauge.set(inFlight);
    busy.add(lane);
    inFlightByService.merge(call.service(), 1, Integer::sum);
    Future<Void> done;
    try {
      done = leased(call, claim);
    } catch (RuntimeException e) {
      done = Future.failedFuture(e);
    }
    done.onComplete(ar -> {
      inFlight--;
      inFlightGauge.set(inFlight);
      busy.remove(lane);
      inFlightByService.merge(call.service(), -1, Integer::sum);
      if (ar.failed() && !stopping) {
        about(log.atWarn(), claim).log("redemption of claim {} failed: {}; it is due again after its lease",
            claim.id(), ar.cause().getMessage());
      }
      pump();
    });
  }

  /**
   * Claims of a participant whose certificate does not serve their service are set aside as
   * UNSERVICEABLE (they would wait for ever), and those of a lane now served are PENDING again.
   * Claims of a participant with no certificate (removed) stay PENDING: they wait for it.
   */
  private void sweep() {
    List<RedemptionStore.Lane> served = lanes(true);
    Map<String, IsoIdentity> now = participants.identities();
    signers.keySet().retainAll(now.values().stream().map(IsoIdentity::gateKey).toList());
    for (String p : knownParticipants) {
      if (!now.containsKey(p)) {
        log.warn("participant {} has no certificate any more: its claims are no longer redeemed and wait, PENDING, "
            + "until it has one again", p);
      }
    }
    boolean added = !knownParticipants.containsAll(now.keySet());
    knownParticipants.clear();
    knownParticipants.addAll(now.keySet());
    if (added) {
      pump();
    }
    store.reviveServiceableLanes(served).compose(revived -> {
      revived.forEach((service, n) -> log.info("{} UNSERVICEABLE claims of {} are PENDING again: their "
          + "participant's certificate serves it", n, service));
      if (!revived.isEmpty()) {
        pump();
      }
      return store.setAsideUnserviceable(served, now.keySet());
    }).onSuccess(setAside -> setAside.forEach((service, n) -> log.warn("{} claims of service {} set aside as "
        + "UNSERVICEABLE: their participant's certificate does not serve it (OMS_ISO_SERVICES for default); they "
        + "are retried once it does, or with POST /api/v1/claims/retry", n, service)))
        .onFailure(e -> log.warn("could not check for unserviceable claims: {}", e.getMessage()));
  }

  private Future<Void> leased(Call lane, ClaimToRedeem claim) {
    if (claim.lostBefore()) {
      about(log.atWarn(), claim).log("claim {} ({}): its previous fetch ended with the lease lost and no answer "
          + "({} of {} before it is set aside)", claim.id(), describe(claim), claim.lostFetches(), settings.maxLost());
    }
    return redeem(lane, claim);
  }

  private Future<Void> redeem(Call lane, ClaimToRedeem first) {
    if (first.showsVersionGap() && catchUp != null) {
      catchUp.requestSoon(lane.participant(), "outage " + first.outageMRID() + " version " + first.version()
          + " arrived with no claim for the version before it");
    }
    long renewEvery = Math.max(1000, settings.lease().toMillis() / 3);
    long renewer = vertx.setPeriodic(renewEvery, t -> store.renewLease(first.id(), owner, settings.lease()));
    // Ready before the gate: signed, connection open. The gate is taken only while the claim is
    // still ours, so no slot is taken with nothing to send.
    return sign(lane, first)
        .compose(request -> client.open(lane.identity(), lane.service(), false)
            .compose(prepared -> gate(lane, first).onFailure(e -> prepared.abandon()).compose(g -> {
              if (g.refused()) {
                prepared.abandon();
                // 403 earlier: the service is refused for this identity until an operator clears it.
                return store.retryLater(first.id(), owner, Duration.ofMinutes(5), null, RedemptionStore.Failure.WAIT,
                    settings.maxAttempts(), settings.giveUpAfter()).<Void>mapEmpty();
              }
              if (g.claimLost()) {
                // Superseded or its lease lost while waiting: the scheduler leases the next claim at once.
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

  private Future<byte[]> sign(Call lane, ClaimToRedeem claim) {
    return workers.executeBlocking(() -> lane.signer().sign(body -> {
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

  private Future<RedemptionStore.Gate> gate(Call lane, ClaimToRedeem claim) {
    return aupGate.take(lane.participant(), lane.identity(), lane.service(), claim.id(), owner, () -> stopping)
        .onSuccess(g -> {
          if (!g.claimLost()) {
            refusedFlag(lane).set(g.refused() ? 1 : 0);
          }
        });
  }

  private AtomicInteger refusedFlag(Call lane) {
    String dn = lane.identity().subjectDn();
    return refused.computeIfAbsent(dn + "|" + lane.service(), k -> {
      AtomicInteger flag = new AtomicInteger();
      metrics.gauge("oms.iso.service.refused", Tags.of("service", lane.service(), "identity", dn), flag);
      return flag;
    });
  }

  private Future<Void> send(Call lane, ClaimToRedeem claim, RetrieveClient.Prepared prepared, byte[] request,
      long gateTaken, RedemptionStore.Gate gate) {
    long late = (System.nanoTime() - gateTaken) / 1_000_000;
    if (late > settings.aupMargin().toMillis() / 2) {
      // Too long since the gate was taken (a pause): sending now could land inside the next window.
      // Nothing was sent, so the slot goes back (unless the gate moved since) and the claim keeps its place.
      prepared.abandon();
      about(log.atWarn(), claim).log(
          "retrieve for claim {} not sent: {} ms passed since the AUP gate was taken; slot and claim given back",
          claim.id(), late);
      metrics.counter("oms.aup.slots.not_sent", "service", lane.service()).increment();
      return store.releaseGate(lane.identity().gateKey(), lane.service(), gate.takenUntil(), settings.gateInterval())
          .compose(released -> store.giveBack(claim.id(), owner)).mapEmpty();
    }
    Timer.Sample call = Timer.start(metrics);
    return prepared.send(request,
        responded -> aupGate.answered(lane.identity(), lane.service(), gateTaken, gate.takenUntil(), responded))
        .compose(answer -> {
          call.stop(Timer.builder("oms.retrieve.latency").description("Retrieve calls to the ISO, send to answer")
              .tag("service", lane.service()).publishPercentileHistogram().register(metrics));
          metrics.counter("oms.retrieve.calls", "service", lane.service(), "outcome", outcome(answer),
              "participant", lane.participant()).increment();
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
    } else if (a instanceof RetrieveAnswer.NotStored) {
      return "not_stored";
    }
    return "changes";
  }

  /**
   * Acts on the answer. Transient (no answer, a refused or reset connection, a timeout, 5xx
   * without a Fault, a soap:Server Fault) never counts as an attempt; definitive (a soap:Client
   * Fault when asked by key, an answer that fails its checks, a document that is not the claim's)
   * counts toward the attempt limit. An AUP page and a 403 count neither. A document that could
   * not be stored here is transient for the claim, and no failure of the ISO's.
   */
  private Future<Void> handle(Call lane, ClaimToRedeem claim, RetrieveAnswer answer) {
    String service = lane.service();
    boolean isoTrouble = answer instanceof RetrieveAnswer.Transient
        || answer instanceof RetrieveAnswer.Fault f && f.serverFault();
    if (!isoTrouble && !(answer instanceof RetrieveAnswer.AupPage)) {
      availability.answered(service);
    }
    store.recordOutcome(lane.identity().gateKey(), service, lastOutcome(answer))
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
      return store.aupPageSeen(lane.identity().gateKey(), service, settings.gateInterval())
          .compose(v -> store.giveBack(claim.id(), owner))
          .mapEmpty();
    }
    if (answer instanceof RetrieveAnswer.Forbidden f) {
      // Shown by the replica that saw the 403: the scheduler no longer takes from a refused gate.
      refusedFlag(lane).set(1);
      about(log.atError(), claim).log("ALERT: the ISO refused {} for {} (403: {}); no more calls until an operator "
          + "clears the gate (POST /api/v1/gates/{identity}/{service}/clear)", service, lane.identity().subjectDn(),
          f.description());
      return store.refuseService(lane.identity().gateKey(), service, f.description())
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
    if (answer instanceof RetrieveAnswer.NotStored n) {
      return notStored(claim, n.reason());
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
        : a instanceof RetrieveAnswer.NotStored n ? n.reason()
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
  private Future<Void> transientFailure(Call lane, ClaimToRedeem claim, String error) {
    return retryTransient(claim, error, availability.failed(lane.service(), error), false);
  }

  /**
   * The ISO answered but the document could not be stored here: retried as a transient failure
   * of the claim (backing off by itself), never counted against the ISO's availability.
   */
  private Future<Void> notStored(ClaimToRedeem claim, String error) {
    return retryTransient(claim, error, false, true);
  }

  /** @param ours the failure was here, not at the ISO's (logged as a WARN of ours) */
  private Future<Void> retryTransient(ClaimToRedeem claim, String error, boolean outage, boolean ours) {
    Duration delay = outage ? null : settings.backoff(claim.transientFailures() + 1, random);
    return store.retryLater(claim.id(), owner, delay, error, RedemptionStore.Failure.TRANSIENT,
        settings.maxAttempts(), settings.giveUpAfter()).map(r -> {
          if ("DEAD".equals(r.state())) {
            dead(claim, r, error);
          } else if (outage) {
            about(log.atDebug(), claim).log("claim {} keeps its place: {}", claim.id(), error);
          } else if (ours) {
            about(log.atWarn(), claim).log("claim {} ({}): {}; not the ISO's fault, not counted as an attempt; next "
                + "in {} s", claim.id(), describe(claim), error, delay.toSeconds());
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
