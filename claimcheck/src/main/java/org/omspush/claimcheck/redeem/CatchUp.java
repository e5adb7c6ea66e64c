package org.omspush.claimcheck.redeem;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.omspush.claimcheck.push.Ns;
import org.omspush.claimcheck.push.OmsPushV1Mapping;
import org.omspush.claimcheck.push.ParsedPush;
import org.omspush.claimcheck.retrieve.IsoIdentity;
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
 * Catch-up: asks the ISO for the outage changes since the last one known
 * (RetrieveOutageChanges, under its own AUP gate) and stores a claim for each change it did not
 * know, exactly as a push would have. Runs at start-up, every reconcile interval, and soon after
 * a version gap shows a push was missed.
 */
public final class CatchUp {
  private static final Logger log = LoggerFactory.getLogger(CatchUp.class);
  private static final String SERVICE = RetrieveServices.OUTAGE_CHANGES;
  /** How far back a receiver that knows nothing yet asks. */
  static final Duration FIRST_LOOKBACK = Duration.ofHours(24);

  private final Vertx vertx;
  private final RedemptionStore store;
  private final PushStore pushes;
  private final RetrieveClient client;
  private final IsoIdentity identity;
  private final RequestSigner signer;
  private final AupGate gate;
  private final WorkerExecutor workers;
  private final MeterRegistry metrics;
  private final RedemptionSettings settings;
  private final Consumer<String> wake;
  private final OmsPushV1Mapping mapping = new OmsPushV1Mapping();
  private boolean running;
  private boolean again;
  private long soonTimer = -1;
  private long periodic = -1;
  private volatile boolean stopping;

  public CatchUp(Vertx vertx, RedemptionStore store, PushStore pushes, RetrieveClient client, IsoIdentity identity,
      AupGate gate, WorkerExecutor workers, MeterRegistry metrics, RedemptionSettings settings, Consumer<String> wake) {
    this.vertx = vertx;
    this.store = store;
    this.pushes = pushes;
    this.client = client;
    this.identity = identity;
    this.signer = new RequestSigner(identity.certificate(), identity.privateKey());
    this.gate = gate;
    this.workers = workers;
    this.metrics = metrics;
    this.settings = settings;
    this.wake = wake;
  }

  public void start() {
    requestSoon("start-up");
    periodic = vertx.setPeriodic(settings.reconcileInterval().toMillis(), t -> requestSoon("reconcile interval"));
  }

  public void stop() {
    stopping = true;
    vertx.cancelTimer(periodic);
    vertx.cancelTimer(soonTimer);
  }

  /** Runs within a second; several requests in that second make one run. */
  public void requestSoon(String why) {
    vertx.runOnContext(v -> {
      if (stopping) {
        return;
      }
      if (running) {
        again = true;
        return;
      }
      if (soonTimer < 0) {
        log.info("catch-up requested: {}", why);
        soonTimer = vertx.setTimer(1000, t -> {
          soonTimer = -1;
          runOnce();
        });
      }
    });
  }

  /** One catch-up: every page until the ISO says there is no more. Completes with the changes stored. */
  public Future<Integer> runOnce() {
    running = true;
    return store.catchUpSince(identity.gateKey(), SERVICE)
        .compose(since -> page(since == null ? OffsetDateTime.now(ZoneOffset.UTC).minus(FIRST_LOOKBACK) : since,
            null, 0))
        .onComplete(ar -> {
          running = false;
          if (ar.succeeded()) {
            if (ar.result() > 0) {
              log.info("catch-up stored {} outage changes it did not know", ar.result());
              wake.accept(RetrieveServices.OUTAGE_BY_CLAIM_CHECK);
            }
          } else {
            log.warn("catch-up failed: {}", ar.cause().getMessage());
          }
          if (again) {
            again = false;
            requestSoon("requested while running");
          }
        });
  }

  private Future<Integer> page(OffsetDateTime since, String cursor, int storedSoFar) {
    return workers.executeBlocking(() -> signer.sign(body -> {
      String ns = Ns.OMS_PUSH_V1;
      Element req = body.getOwnerDocument().createElementNS(ns, "RetrieveChanges");
      req.setAttributeNS("http://www.w3.org/2000/xmlns/", "xmlns", ns);
      body.appendChild(req);
      Element e = body.getOwnerDocument().createElementNS(ns, cursor != null ? "cursor" : "since");
      e.setTextContent(cursor != null ? cursor : since.toString());
      req.appendChild(e);
    }), false).compose(request -> client.open(identity, SERVICE, true)
        .compose(prepared -> gate.take(identity, SERVICE, null, null, () -> stopping).compose(g -> {
          if (!g.taken()) {
            prepared.abandon();
            return Future.failedFuture("the ISO refused " + SERVICE + " for " + identity.subjectDn());
          }
          return prepared.send(request,
              responded -> gate.answered(identity, SERVICE, g.issuedNanos(), g.takenUntil(), responded));
        }))).compose(answer -> {
      metrics.counter("oms.retrieve.calls", "service", SERVICE, "outcome",
          answer.getClass().getSimpleName().toLowerCase()).increment();
      if (answer instanceof RetrieveAnswer.AupPage) {
        return store.aupPageSeen(identity.gateKey(), SERVICE, settings.gateInterval())
            .compose(v -> page(since, cursor, storedSoFar));
      }
      if (answer instanceof RetrieveAnswer.Forbidden f) {
        log.error("ALERT: the ISO refused {} for {} (403: {})", SERVICE, identity.subjectDn(), f.description());
        return store.refuseService(identity.gateKey(), SERVICE, f.description()).map(storedSoFar);
      }
      if (!(answer instanceof RetrieveAnswer.Changes changes)) {
        return Future.failedFuture("RetrieveOutageChanges answered " + answer);
      }
      return storeChanges(changes.changes()).compose(result -> {
        OffsetDateTime newest = result.newest == null || result.newest.isBefore(since) ? since : result.newest;
        return store.saveCatchUp(identity.gateKey(), SERVICE, newest, changes.more() ? changes.cursor() : null)
            .compose(v -> changes.more() && changes.cursor() != null
                ? page(newest, changes.cursor(), storedSoFar + result.stored)
                : Future.succeededFuture(storedSoFar + result.stored));
      });
    });
  }

  private record Stored(int stored, OffsetDateTime newest) {}

  private Future<Stored> storeChanges(List<Element> changes) {
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
    return store.newestVersions(mrids).compose(known -> {
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
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(xml)), xml);
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
