package org.omspush.isosim.scenario;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.omspush.isosim.push.PushMessage;
import org.omspush.isosim.push.PushResult;
import org.omspush.isosim.state.IsoState;
import org.omspush.isosim.state.MarketEventEntry;
import org.omspush.isosim.state.OutageVersion;

/**
 * A day at the ISO in a few seconds: N outages, each changed until it has M versions (version 1
 * is its creation), and K market events (the first J of them with a claim check). The changes
 * happen in rounds (every outage gets version 2 before any gets version 3), in a seeded random
 * order of outages. The pushes go out in that order, except that some versions of an outage
 * trade places (out of order) and some pushes are sent again later with the same MessageID
 * (duplicates, as the ISO's retries are), with up to {@code concurrency} pushes in flight.
 *
 * <pre>{@code
 * Scenario scenario = Scenario.builder().outages(20).changesPerOutage(5).marketEvents(4)
 *     .marketEventsWithClaimCheck(2).concurrency(8).outOfOrder(0.2).duplicates(0.1).build();
 * Scenario.Plan plan = scenario.plan(iso.state());           // changes the state
 * scenario.push(vertx, plan, publisher).onSuccess(result -> …);
 * }</pre>
 */
public final class Scenario {

  /** The statuses versions 2, 3, … go through (cycling); version 1 is RECEIVED. */
  public static final List<String> LIFECYCLE = List.of(
      "SUBMITTED", "PENDING", "APPROVED", "ACTIVE", "COMPLETED", "CANCELLED", "WITHDRAWN");
  private static final List<String> EVENT_TYPES =
      List.of("MARKET_OPEN", "MARKET_CLOSED", "RESULTS_PUBLISHED");
  private static final List<String> MARKETS = List.of("DAM", "RTM", "HASP", "RUC");

  private final Builder settings;

  private Scenario(Builder settings) {
    this.settings = settings;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** One push to send, in send order. {@code duplicate}: a resend of an earlier one. */
  public record PlannedPush(PushMessage message, String outageMRID, long version,
      String eventId, boolean duplicate) {}

  /**
   * What the scenario does: the pushes in send order, the newest version of each outage, the
   * market events (and which of them carry a claim check), and how many pushes were moved out
   * of order or duplicated.
   */
  public record Plan(List<PlannedPush> pushes, Map<String, Long> newestVersions,
      List<String> marketEventIds, List<String> marketEventIdsWithClaimCheck,
      int outOfOrderSwaps, int duplicates) {

    public Plan {
      pushes = List.copyOf(pushes);
      newestVersions = Collections.unmodifiableMap(new LinkedHashMap<>(newestVersions));
      marketEventIds = List.copyOf(marketEventIds);
      marketEventIdsWithClaimCheck = List.copyOf(marketEventIdsWithClaimCheck);
    }

    /** Distinct MessageIDs among the pushes. */
    public long distinctMessages() {
      return pushes.stream().map(push -> push.message().messageId()).distinct().count();
    }
  }

  /** A push that got no 200 after every attempt: its last status (-1: no answer) and why. */
  public record Refusal(PlannedPush push, int statusCode, String detail) {}

  /** What happened: pushes sent (attempts included), accepted, refused, and how long it took. */
  public record Result(Plan plan, int attempts, int accepted, List<Refusal> refused,
      Duration elapsed) {

    public Result {
      refused = List.copyOf(refused);
    }

    public boolean allAccepted() {
      return refused.isEmpty();
    }
  }

  /** Applies the changes to the state and plans the pushes; nothing is sent. */
  public Plan plan(IsoState state) {
    Random random = new Random(settings.seed);
    List<String> mrids = new ArrayList<>();
    for (int i = 1; i <= settings.outages; i++) {
      mrids.add(String.format("%s%06d", settings.mridPrefix, i));
    }
    List<PlannedPush> pushes = new ArrayList<>();
    Map<String, Long> newest = new LinkedHashMap<>();
    for (int round = 1; round <= settings.changesPerOutage; round++) {
      List<String> order = new ArrayList<>(mrids);
      Collections.shuffle(order, random);
      for (String mrid : order) {
        OutageVersion version = round == 1
            ? state.createOutage(mrid, random.nextInt(4) == 0 ? "TRANSMISSION" : "RESOURCE",
                "RECEIVED", settings.documentSize)
            : state.change(mrid, LIFECYCLE.get((round - 2) % LIFECYCLE.size()));
        pushes.add(new PlannedPush(PushMessage.outageStatusChange(state.statusChange(version))
            .build(), mrid, version.version(), null, false));
        newest.put(mrid, version.version());
      }
    }
    int swaps = swapSomeVersions(pushes, random);

    List<String> eventIds = new ArrayList<>();
    List<String> withClaim = new ArrayList<>();
    LocalDate tradeDate = LocalDate.now(ZoneOffset.UTC).plusDays(1);
    for (int i = 1; i <= settings.marketEvents; i++) {
      String eventId = String.format("%s%06d", settings.eventIdPrefix, i);
      MarketEventEntry event = state.addMarketEvent(new MarketEventEntry(eventId,
          EVENT_TYPES.get((i - 1) % EVENT_TYPES.size()), MARKETS.get((i - 1) % MARKETS.size()),
          tradeDate, Instant.now().truncatedTo(ChronoUnit.MILLIS), "scenario event " + i,
          settings.documentSize));
      boolean claim = i <= settings.marketEventsWithClaimCheck;
      eventIds.add(eventId);
      if (claim) {
        withClaim.add(eventId);
      }
      PlannedPush push = new PlannedPush(PushMessage.marketEvent(
          state.marketEventPush(event, claim)).build(), null, 0, eventId, false);
      pushes.add(random.nextInt(pushes.size() + 1), push);
    }

    int duplicates = (int) Math.round(pushes.size() * settings.duplicates);
    List<PlannedPush> originals = List.copyOf(pushes);
    for (int i = 0; i < duplicates; i++) {
      int from = random.nextInt(originals.size());
      PlannedPush original = originals.get(from);
      int at = pushes.indexOf(original) + 1 + random.nextInt(Math.max(1,
          pushes.size() - pushes.indexOf(original)));
      pushes.add(Math.min(at, pushes.size()), new PlannedPush(original.message(),
          original.outageMRID(), original.version(), original.eventId(), true));
    }
    return new Plan(pushes, newest, eventIds, withClaim, swaps, duplicates);
  }

  /** Swaps a share of pushes with the next push of the same outage (version N+1 before N). */
  private int swapSomeVersions(List<PlannedPush> pushes, Random random) {
    int wanted = (int) Math.round(pushes.size() * settings.outOfOrder);
    int swaps = 0;
    for (int attempt = 0; attempt < wanted * 4 && swaps < wanted; attempt++) {
      int i = random.nextInt(pushes.size());
      PlannedPush first = pushes.get(i);
      for (int j = i + 1; j < pushes.size(); j++) {
        PlannedPush later = pushes.get(j);
        if (first.outageMRID() != null && first.outageMRID().equals(later.outageMRID())) {
          if (later.version() == first.version() + 1) {
            pushes.set(i, later);
            pushes.set(j, first);
            swaps++;
          }
          break;
        }
      }
    }
    return swaps;
  }

  /** Sends the planned pushes, up to {@code concurrency} at once. */
  public Future<Result> push(Vertx vertx, Plan plan, Publisher publisher) {
    long start = System.nanoTime();
    List<PlannedPush> pushes = plan.pushes();
    AtomicInteger next = new AtomicInteger();
    AtomicInteger attempts = new AtomicInteger();
    AtomicInteger accepted = new AtomicInteger();
    ConcurrentLinkedQueue<Refusal> refused = new ConcurrentLinkedQueue<>();
    List<Future<Void>> lanes = new ArrayList<>();
    for (int lane = 0; lane < settings.concurrency; lane++) {
      lanes.add(lane(vertx, publisher, pushes, next, attempts, accepted, refused));
    }
    return Future.all(lanes).map(done -> new Result(plan, attempts.get(), accepted.get(),
        new ArrayList<>(refused), Duration.ofNanos(System.nanoTime() - start)));
  }

  /** Applies the changes to the state, then pushes them. */
  public Future<Result> run(Vertx vertx, IsoState state, Publisher publisher) {
    return vertx.executeBlocking(() -> plan(state), false)
        .compose(plan -> push(vertx, plan, publisher));
  }

  private Future<Void> lane(Vertx vertx, Publisher publisher, List<PlannedPush> pushes,
      AtomicInteger next, AtomicInteger attempts, AtomicInteger accepted,
      ConcurrentLinkedQueue<Refusal> refused) {
    int index = next.getAndIncrement();
    if (index >= pushes.size()) {
      return Future.succeededFuture();
    }
    PlannedPush push = pushes.get(index);
    return send(vertx, publisher, push, 1, attempts).map(result -> {
      if (result.accepted()) {
        accepted.incrementAndGet();
      } else {
        refused.add(new Refusal(push, result.statusCode(), result.body()));
      }
      return (Void) null;
    }).recover(failure -> {
      refused.add(new Refusal(push, -1, String.valueOf(failure.getMessage())));
      return Future.succeededFuture();
    }).compose(ignored -> lane(vertx, publisher, pushes, next, attempts, accepted, refused));
  }

  private Future<PushResult> send(Vertx vertx, Publisher publisher, PlannedPush push,
      int attempt, AtomicInteger attempts) {
    attempts.incrementAndGet();
    return publisher.publish(push.message()).transform(outcome -> {
      boolean done = outcome.succeeded() && outcome.result().accepted();
      if (done || attempt >= settings.attempts) {
        return outcome.succeeded() ? Future.succeededFuture(outcome.result())
            : Future.failedFuture(outcome.cause());
      }
      Promise<PushResult> retried = Promise.promise();
      vertx.timer(settings.retryDelay.toMillis(), TimeUnit.MILLISECONDS)
          .compose(ignored -> send(vertx, publisher, push, attempt + 1, attempts))
          .onComplete(retried);
      return retried.future();
    });
  }

  /** Settings; every one has a default. */
  public static final class Builder {
    private int outages = 10;
    private int changesPerOutage = 3;
    private int marketEvents;
    private int marketEventsWithClaimCheck;
    private int concurrency = 4;
    private double outOfOrder = 0.1;
    private double duplicates = 0.05;
    private long seed = 42;
    private int documentSize = IsoState.DEFAULT_DOCUMENT_SIZE;
    private String mridPrefix = "OMS-";
    private String eventIdPrefix = "EV-";
    private int attempts = 1;
    private Duration retryDelay = Duration.ofMillis(500);

    private Builder() {}

    /** How many outages (10 by default). */
    public Builder outages(int count) {
      this.outages = atLeast(count, 0, "outages");
      return this;
    }

    /** Versions per outage, creation included (3 by default). */
    public Builder changesPerOutage(int count) {
      this.changesPerOutage = atLeast(count, 1, "changes per outage");
      return this;
    }

    /** How many market events (none by default). */
    public Builder marketEvents(int count) {
      this.marketEvents = atLeast(count, 0, "market events");
      return this;
    }

    /** How many of the market events carry a claim check (none by default). */
    public Builder marketEventsWithClaimCheck(int count) {
      this.marketEventsWithClaimCheck = atLeast(count, 0, "market events with claim check");
      return this;
    }

    /** Pushes in flight at once (4 by default). */
    public Builder concurrency(int count) {
      this.concurrency = atLeast(count, 1, "concurrency");
      return this;
    }

    /** Share of outage pushes that trade places with the next version (0.1 by default). */
    public Builder outOfOrder(double share) {
      this.outOfOrder = share(share);
      return this;
    }

    /** Share of pushes sent a second time, later, same MessageID (0.05 by default). */
    public Builder duplicates(double share) {
      this.duplicates = share(share);
      return this;
    }

    public Builder seed(long value) {
      this.seed = value;
      return this;
    }

    /** Size of every document in bytes (4096 by default). */
    public Builder documentSize(int bytes) {
      this.documentSize = atLeast(bytes, 0, "document size");
      return this;
    }

    /** mRIDs are the prefix and six digits ("OMS-" by default). */
    public Builder mridPrefix(String prefix) {
      this.mridPrefix = prefix;
      return this;
    }

    /** eventIds are the prefix and six digits ("EV-" by default). */
    public Builder eventIdPrefix(String prefix) {
      this.eventIdPrefix = prefix;
      return this;
    }

    /** Sends a push up to this many times until it gets 200 (1 by default: no retry). */
    public Builder attempts(int count, Duration delay) {
      this.attempts = atLeast(count, 1, "attempts");
      this.retryDelay = delay;
      return this;
    }

    public Scenario build() {
      if (marketEventsWithClaimCheck > marketEvents) {
        throw new IllegalArgumentException("more market events with a claim check than events");
      }
      return new Scenario(copy());
    }

    private Builder copy() {
      Builder copy = new Builder();
      copy.outages = outages;
      copy.changesPerOutage = changesPerOutage;
      copy.marketEvents = marketEvents;
      copy.marketEventsWithClaimCheck = marketEventsWithClaimCheck;
      copy.concurrency = concurrency;
      copy.outOfOrder = outOfOrder;
      copy.duplicates = duplicates;
      copy.seed = seed;
      copy.documentSize = documentSize;
      copy.mridPrefix = mridPrefix;
      copy.eventIdPrefix = eventIdPrefix;
      copy.attempts = attempts;
      copy.retryDelay = retryDelay;
      return copy;
    }

    private static int atLeast(int value, int minimum, String what) {
      if (value < minimum) {
        throw new IllegalArgumentException(what + " must be at least " + minimum);
      }
      return value;
    }

    private static double share(double value) {
      if (value < 0 || value > 1) {
        throw new IllegalArgumentException("a share is between 0 and 1");
      }
      return value;
    }
  }
}
