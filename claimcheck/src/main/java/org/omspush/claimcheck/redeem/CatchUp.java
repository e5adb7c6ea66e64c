package org.omspush.claimcheck.redeem;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.omspush.claimcheck.push.Ns;
import org.omspush.claimcheck.push.OmsPushV1Mapping;
import org.omspush.claimcheck.push.ParsedPush;
import org.omspush.claimcheck.retrieve.IsoIdentity;
import org.omspush.claimcheck.retrieve.ParticipantIdentities;
import org.omspush.claimcheck.retrieve.RequestSigner;
import org.omspush.claimcheck.retrieve.RetrieveAnswer;
import org.omspush.claimcheck.retrieve.RetrieveClient;
import org.omspush.claimcheck.retrieve.RetrieveServices;
import org.omspush.store.InboundMessage;
import org.omspush.store.OutageChange;
import org.omspush.store.PushStore;
import org.omspush.store.RedemptionStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Element;

/**
 * Catch-up, for every participant whose certificate serves RetrieveOutageChanges: asks the ISO
 * for the participant's outage changes since the last one known (under that certificate's own
 * AUP gate) and stores a claim for each change it did not know, exactly as a push to the
 * participant's endpoint would have. Runs at start-up, every reconcile interval, and soon after a
 * version gap shows a push was missed.
 *
 * <p>One verticle per replica: every participant's state (running, asked again, its timer) is
 * changed on this verticle's event loop only; {@link #requestSoon} may be called from anywhere.
 * At most {@link #CONCURRENT} participants are caught up at once, in an order of each replica's
 * own. A run at the reconcile interval is skipped when any replica wrote the participant's cursor
 * within half the interval, so three replicas do not ask three times; one at start-up or asked
 * for by a version gap always runs.
 */
public final class CatchUp extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(CatchUp.class);
  private static final String SERVICE = RetrieveServices.OUTAGE_CHANGES;
  /** How far back a receiver that knows nothing yet asks. */
  static final Duration FIRST_LOOKBACK = Duration.ofHours(24);
  /** Participants caught up at once by one replica. */
  static final int CONCURRENT = 4;

  private final RedemptionStore store;
  private final PushStore pushes;
  private final RetrieveClient client;
  private final ParticipantIdentities participants;
  private final AupGate gate;
  private final WorkerExecutor workers;
  private final MeterRegistry metrics;
  private final RedemptionSettings settings;
  private final Consumer<String> wake;
  private final OmsPushV1Mapping mapping = new OmsPushV1Mapping();
  private final Map<String, State> states = new HashMap<>();
  private final Deque<Queued> queue = new ArrayDeque<>();
  private final Map<String, RequestSigner> signers = new HashMap<>();
  private int running;
  private long periodic = -1;
  private volatile boolean stopping;

  /** One participant's catch-up. */
  private static final class State {
    boolean running;
    boolean queued;
    boolean again;
    long soonTimer = -1;
  }

  private record Queued(String participant, boolean scheduled) {}

  public CatchUp(RedemptionStore store, PushStore pushes, RetrieveClient client, ParticipantIdentities participants,
      AupGate gate, WorkerExecutor workers, MeterRegistry metrics, RedemptionSettings settings, Consumer<String> wake) {
    this.store = store;
    this.pushes = pushes;
    this.client = client;
    this.participants = participants;
    this.gate = gate;
    this.workers = workers;
    this.metrics = metrics;
    this.settings = settings;
    this.wake = wake;
  }

  @Override
  public Future<?> start() {
    // Never skipped: after a downtime of every replica, this is what finds the pushes missed.
    everyone(false, "start-up");
    periodic = vertx.setPeriodic(settings.reconcileInterval().toMillis(), t -> everyone(true, "reconcile interval"));
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    vertx.cancelTimer(periodic);
    states.values().forEach(s -> vertx.cancelTimer(s.soonTimer));
    return Future.succeededFuture();
  }

  private void everyone(boolean scheduled, String why) {
    signers.keySet().retainAll(participants.identities().values().stream().map(IsoIdentity::gateKey).toList());
    // In an order of its own on each replica: replicas started together do not queue for the same gates.
    List<String> keys = new java.util.ArrayList<>();
    participants.identities().forEach((key, id) -> {
      if (id.serves(SERVICE)) {
        keys.add(key);
      }
    });
    java.util.Collections.shuffle(keys);
    keys.forEach(key -> request(key, scheduled, why));
  }

  /** Runs the participant's catch-up within a second; several requests in that second make one run. */
  public void requestSoon(String participant, String why) {
    if (context != null) {
      context.runOnContext(v -> request(participant, false, why));
    }
  }

  private void request(String participant, boolean scheduled, String why) {
    if (stopping) {
      return;
    }
    State s = states.computeIfAbsent(participant, k -> new State());
    if (s.running) {
      s.again = true;
      return;
    }
    if (s.soonTimer < 0 && !s.queued) {
      log.debug("catch-up of participant {} requested: {}", participant, why);
      s.soonTimer = vertx.setTimer(1000, t -> {
        s.soonTimer = -1;
        s.queued = true;
        queue.add(new Queued(participant, scheduled));
        drain();
      });
    }
  }

  private void drain() {
    while (running < CONCURRENT && !queue.isEmpty() && !stopping) {
      Queued q = queue.poll();
      State s = states.get(q.participant());
      s.queued = false;
      Optional<IsoIdentity> id = participants.identity(q.participant());
      if (id.isEmpty() || !id.get().serves(SERVICE)) {
        continue;
      }
      s.running = true;
      running++;
      Future<Integer> run = q.scheduled()
          ? store.catchUpAge(cursorKey(q.participant()), SERVICE).compose(age -> age.isPresent()
              && age.get().compareTo(settings.reconcileInterval().dividedBy(2)) < 0
              ? Future.succeededFuture(0) : runOnce(q.participant(), id.get()))
          : runOnce(q.participant(), id.get());
      run.onComplete(ar -> {
        s.running = false;
        running--;
        if (ar.succeeded()) {
          if (ar.result() > 0) {
            log.info("catch-up of participant {} stored {} outage changes it did not know", q.participant(),
                ar.result());
            wake.accept(RetrieveServices.OUTAGE_BY_CLAIM_CHECK);
          }
        } else {
          log.warn("catch-up of participant {} failed: {}", q.participant(), ar.cause().getMessage());
        }
        if (s.again) {
          s.again = false;
          request(q.participant(), false, "requested while running");
        }
        drain();
      });
    }
  }

  /** The cursor row of a participant's catch-up: by participant, so a renewed certificate keeps it. */
  static String cursorKey(String participant) {
    return "participant:" + participant;
  }

  /** One catch-up of a participant: every page until the ISO says there is no more. Completes with the changes stored. */
  private Future<Integer> runOnce(String participant, IsoIdentity identity) {
    RequestSigner signer = signers.computeIfAbsent(identity.gateKey(),
        k -> new RequestSigner(identity.certificate(), identity.privateKey()));
    return store.catchUpSince(cursorKey(participant), SERVICE, participant)
        .compose(since -> page(participant, identity, signer,
            since == null ? OffsetDateTime.now(ZoneOffset.UTC).minus(FIRST_LOOKBACK) : since, null, 0));
  }

  private Future<Integer> page(String participant, IsoIdentity identity, RequestSigner signer, OffsetDateTime since,
      String cursor, int storedSoFar) {
    return workers.executeBlocking(() -> signer.sign(body -> {
      String ns = Ns.OMS_PUSH_V1;
      Element req = body.getOwnerDocument().createElementNS(ns, "RetrieveChanges");
      req.setAttributeNS("http://www.w3.org/2000/xmlns/", "xmlns", ns);
      body.appendChild(req);
      Element e = body.getOwnerDocument().createElementNS(ns, cursor != null ? "cursor" : "since");
      e.setTextContent(cursor != null ? cursor : since.toString());
      req.appendChild(e);
    }), false).compose(request -> client.open(identity, SERVICE, true)
        .compose(prepared -> gate.take(participant, identity, SERVICE, null, null, () -> stopping).compose(g -> {
          if (!g.taken()) {
            prepared.abandon();
            return Future.failedFuture("the ISO refused " + SERVICE + " for " + identity.subjectDn());
          }
          return prepared.send(request,
              responded -> gate.answered(identity, SERVICE, g.issuedNanos(), g.takenUntil(), responded));
        }))).compose(answer -> {
      metrics.counter("oms.retrieve.calls", "service", SERVICE, "outcome",
          answer.getClass().getSimpleName().toLowerCase(), "participant", participant).increment();
      if (answer instanceof RetrieveAnswer.AupPage) {
        return store.aupPageSeen(identity.gateKey(), SERVICE, settings.gateInterval())
            .compose(v -> page(participant, identity, signer, since, cursor, storedSoFar));
      }
      if (answer instanceof RetrieveAnswer.Forbidden f) {
        log.error("ALERT: the ISO refused {} for participant {} ({}) (403: {})", SERVICE, participant,
            identity.subjectDn(), f.description());
        return store.refuseService(identity.gateKey(), SERVICE, f.description()).map(storedSoFar);
      }
      if (!(answer instanceof RetrieveAnswer.Changes changes)) {
        return Future.failedFuture("RetrieveOutageChanges answered " + answer);
      }
      return storeChanges(participant, identity, changes.changes()).compose(result -> {
        OffsetDateTime newest = result.newest == null || result.newest.isBefore(since) ? since : result.newest;
        return store.saveCatchUp(cursorKey(participant), SERVICE, newest, changes.more() ? changes.cursor() : null)
            .compose(v -> changes.more() && changes.cursor() != null
                ? page(participant, identity, signer, newest, changes.cursor(), storedSoFar + result.stored)
                : Future.succeededFuture(storedSoFar + result.stored));
      });
    });
  }

  private record Stored(int stored, OffsetDateTime newest) {}

  private Future<Stored> storeChanges(String participant, IsoIdentity identity, List<Element> changes) {
    List<OutageChange> read = new java.util.ArrayList<>();
    List<byte[]> xmls = new java.util.ArrayList<>();
    for (Element change : changes) {
      try {
        read.add(((ParsedPush.Outage) mapping.read(OmsPushV1Mapping.OUTAGE_ACTION, change)).change());
        xmls.add(serialize(change));
      } catch (Exception e) {
        log.warn("catch-up: a change could not be read and was skipped: {}", e.getMessage());
      }
    }
    java.util.Set<String> mrids = new java.util.HashSet<>();
    read.forEach(c -> mrids.add(c.outageMRID()));
    return store.newestVersions(participant, mrids).compose(known -> {
      Future<Stored> chain = Future.succeededFuture(new Stored(0, null));
      for (int i = 0; i < read.size(); i++) {
        OutageChange c = read.get(i);
        byte[] xml = xmls.get(i);
        chain = chain.compose(acc -> {
          OffsetDateTime newest = acc.newest == null || c.lastModified().isAfter(acc.newest) ? c.lastModified()
              : acc.newest;
          Long knownVersion = known.get(c.outageMRID());
          if (knownVersion != null && knownVersion >= c.version()) {
            // Already pushed (or found before), or a newer version is: nothing to store, nothing to fetch.
            return Future.succeededFuture(new Stored(acc.stored, newest));
          }
          InboundMessage m;
          try {
            // The same change found twice in one run is stored once (the message id repeats).
            m = new InboundMessage("catch-up:" + c.outageMRID() + ":" + c.version(), SERVICE, identity.subjectDn(),
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(xml)), xml, participant);
          } catch (Exception e) {
            return Future.failedFuture(e);
          }
          return pushes.storeOutageChange(m, c).map(outcome -> new Stored(
              acc.stored + (outcome == org.omspush.store.StoreOutcome.STORED ? 1 : 0), newest));
        });
      }
      return chain;
    });
  }

  private static byte[] serialize(Element e) throws Exception {
    var t = TransformerFactory.newInstance().newTransformer();
    t.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
    StringWriter w = new StringWriter();
    t.transform(new DOMSource(e), new StreamResult(w));
    return w.toString().getBytes(StandardCharsets.UTF_8);
  }
}
