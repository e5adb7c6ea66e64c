package org.omspush.isosim.state;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import org.omspush.isosim.push.ClaimCheck;
import org.omspush.isosim.push.MarketEvent;
import org.omspush.isosim.push.OutageStatusChange;

/**
 * What the stand-in ISO knows, in memory: outages with all their versions, market events, and
 * the claim check tokens it issued (each for one outage version or one market event, with an
 * expiry). Thread-safe; every method is short (documents are made elsewhere, from the records).
 *
 * <p>Every change gets a {@code lastModified} from the clock, truncated to milliseconds and made
 * strictly increasing across the whole state, so no two changes share an instant.
 */
public final class IsoState {

  public static final Duration DEFAULT_TOKEN_LIFETIME = Duration.ofHours(24);
  public static final int DEFAULT_DOCUMENT_SIZE = 4096;
  /** The largest document the simulator makes. */
  public static final int MAX_DOCUMENT_SIZE = 64 * 1024 * 1024;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Clock clock;
  private Duration tokenLifetime;
  private int defaultDocumentSize;
  private boolean serveNewestVersion;

  private final Map<String, List<OutageVersion>> outages = new LinkedHashMap<>();
  private final TreeSet<OutageVersion> newestByChange = new TreeSet<>(ChangePosition.ORDER);
  private final Map<String, MarketEventEntry> marketEvents = new LinkedHashMap<>();
  private final Map<String, Ticket> tokens = new HashMap<>();
  private Instant lastChange = Instant.EPOCH;

  /** What a token was issued for. Exactly one of outage / marketEvent is set. */
  /** @param participant whose endpoint the token was pushed to; null: anyone's certificate may redeem it */
  private record Ticket(OutageVersion outage, MarketEventEntry marketEvent, Instant expires, String participant) {}

  /** participant → the outages pushed to it: what its mRID fallback and changes may see. */
  private final Map<String, java.util.Set<String>> outagesOf = new HashMap<>();

  public IsoState() {
    this(Clock.systemUTC(), DEFAULT_TOKEN_LIFETIME, DEFAULT_DOCUMENT_SIZE);
  }

  public IsoState(Clock clock, Duration tokenLifetime, int defaultDocumentSize) {
    this.clock = Objects.requireNonNull(clock, "clock");
    tokenLifetime(tokenLifetime);
    defaultDocumentSize(defaultDocumentSize);
  }

  // --- settings -------------------------------------------------------------------------------

  /** How long a newly issued token stays valid (24 h by default). */
  public synchronized IsoState tokenLifetime(Duration lifetime) {
    this.tokenLifetime = Objects.requireNonNull(lifetime, "lifetime");
    return this;
  }

  public synchronized Duration tokenLifetime() {
    return tokenLifetime;
  }

  /** The document size of outages and market events created without one. */
  public synchronized IsoState defaultDocumentSize(int bytes) {
    checkSize(bytes);
    this.defaultDocumentSize = bytes;
    return this;
  }

  public synchronized int defaultDocumentSize() {
    return defaultDocumentSize;
  }

  /**
   * When true, a token issued for an older version of an outage serves the outage's newest
   * version (the contract allows a newer document than the claim, never an older one). Off by
   * default: a token serves exactly the version it was issued for.
   */
  public synchronized IsoState serveNewestVersion(boolean newest) {
    this.serveNewestVersion = newest;
    return this;
  }

  public Clock clock() {
    return clock;
  }

  // --- outages --------------------------------------------------------------------------------

  /** A new outage at version 1, with the default document size. */
  public OutageVersion createOutage(String outageMRID, String outageType, String status) {
    return createOutage(outageMRID, outageType, status, defaultDocumentSize());
  }

  /** A new outage at version 1 whose document is exactly {@code documentSize} bytes. */
  public synchronized OutageVersion createOutage(String outageMRID, String outageType,
      String status, int documentSize) {
    checkSize(documentSize);
    if (outages.containsKey(outageMRID)) {
      throw new IllegalStateException("outage " + outageMRID + " exists already");
    }
    if (outageMRID.isEmpty() || outageMRID.length() > 40) {
      throw new IllegalArgumentException("an mRID has 1 to 40 characters: " + outageMRID);
    }
    OutageVersion first = new OutageVersion(outageMRID, outageType, 1, status, null,
        nextChangeTime(), documentSize);
    List<OutageVersion> versions = new ArrayList<>();
    versions.add(first);
    outages.put(outageMRID, versions);
    newestByChange.add(first);
    return first;
  }

  /** The next version of the outage in {@code newStatus}, with the same document size. */
  public synchronized OutageVersion change(String outageMRID, String newStatus) {
    return change(outageMRID, newStatus, newest(outageMRID).documentSize());
  }

  /** The next version of the outage in {@code newStatus}, its document {@code documentSize} bytes. */
  public synchronized OutageVersion change(String outageMRID, String newStatus, int documentSize) {
    checkSize(documentSize);
    OutageVersion previous = newest(outageMRID);
    OutageVersion next = new OutageVersion(outageMRID, previous.outageType(),
        previous.version() + 1, newStatus, previous.status(), nextChangeTime(), documentSize);
    outages.get(outageMRID).add(next);
    newestByChange.remove(previous);
    newestByChange.add(next);
    return next;
  }

  /** The newest version of the outage. */
  public synchronized Optional<OutageVersion> outage(String outageMRID) {
    List<OutageVersion> versions = outages.get(outageMRID);
    return versions == null ? Optional.empty() : Optional.of(versions.get(versions.size() - 1));
  }

  /** One version of the outage. */
  public synchronized Optional<OutageVersion> outage(String outageMRID, long version) {
    List<OutageVersion> versions = outages.get(outageMRID);
    if (versions == null || version < 1 || version > versions.size()) {
      return Optional.empty();
    }
    return Optional.of(versions.get((int) version - 1));
  }

  /** Every version of the outage, oldest first (empty if unknown). */
  public synchronized List<OutageVersion> versions(String outageMRID) {
    return List.copyOf(outages.getOrDefault(outageMRID, List.of()));
  }

  /** The newest version of every outage, in the order they last changed. */
  public synchronized List<OutageVersion> outages() {
    return List.copyOf(newestByChange);
  }

  private OutageVersion newest(String outageMRID) {
    return outage(outageMRID).orElseThrow(
        () -> new IllegalArgumentException("no outage " + outageMRID));
  }

  // --- market events --------------------------------------------------------------------------

  /** A new market event with the default document size. */
  public MarketEventEntry addMarketEvent(String eventId, String eventType, String market,
      LocalDate tradeDate, Instant eventTime, String description) {
    return addMarketEvent(new MarketEventEntry(eventId, eventType, market, tradeDate, eventTime,
        description, defaultDocumentSize()));
  }

  public synchronized MarketEventEntry addMarketEvent(MarketEventEntry event) {
    checkSize(event.documentSize());
    if (marketEvents.putIfAbsent(event.eventId(), event) != null) {
      throw new IllegalStateException("market event " + event.eventId() + " exists already");
    }
    return event;
  }

  public synchronized Optional<MarketEventEntry> marketEvent(String eventId) {
    return Optional.ofNullable(marketEvents.get(eventId));
  }

  public synchronized List<MarketEventEntry> marketEvents() {
    return List.copyOf(marketEvents.values());
  }

  // --- claim checks and pushes ----------------------------------------------------------------

  /** A fresh token for this outage version, valid for the token lifetime. */
  public synchronized ClaimCheck claimCheck(OutageVersion version) {
    return claimCheck(version, clock.instant().plus(tokenLifetime));
  }

  /** A fresh token for this outage version that expires at {@code expires} (past: expired). */
  public synchronized ClaimCheck claimCheck(OutageVersion version, Instant expires) {
    return claimCheck(null, version, expires);
  }

  /**
   * A fresh token for this outage version, issued to {@code participant} (the one whose endpoint
   * it is pushed to): only that participant's certificate redeems it, and the outage becomes one
   * its mRID fallback and RetrieveOutageChanges show.
   */
  public synchronized ClaimCheck claimCheck(String participant, OutageVersion version, Instant expires) {
    String token = newToken();
    tokens.put(token, new Ticket(version, null, expires, participant));
    if (participant != null) {
      outagesOf.computeIfAbsent(participant, k -> new java.util.HashSet<>()).add(version.outageMRID());
    }
    return new ClaimCheck(token, ClaimCheck.OUTAGE_SERVICE, expires.truncatedTo(ChronoUnit.SECONDS));
  }

  /** A fresh token for this market event, valid for the token lifetime. */
  public synchronized ClaimCheck claimCheck(MarketEventEntry event) {
    return claimCheck(event, clock.instant().plus(tokenLifetime));
  }

  /** A fresh token for this market event that expires at {@code expires}. */
  public synchronized ClaimCheck claimCheck(MarketEventEntry event, Instant expires) {
    return claimCheck(null, event, expires);
  }

  /** A fresh token for this market event, issued to {@code participant} (null: to anyone). */
  public synchronized ClaimCheck claimCheck(String participant, MarketEventEntry event, Instant expires) {
    String token = newToken();
    tokens.put(token, new Ticket(null, event, expires, participant));
    return new ClaimCheck(token, ClaimCheck.MARKET_EVENT_SERVICE,
        expires.truncatedTo(ChronoUnit.SECONDS));
  }

  /** Makes every token issued so far expired. */
  public synchronized void expireAllTokens() {
    Instant past = clock.instant().minusSeconds(1);
    tokens.replaceAll((token, ticket) ->
        new Ticket(ticket.outage(), ticket.marketEvent(), past, ticket.participant()));
  }

  /** The push body for this version, with a fresh claim check. */
  public OutageStatusChange statusChange(OutageVersion version) {
    return statusChange(version, claimCheck(version));
  }

  /** The push body for this version with the given claim check (null for none). */
  public static OutageStatusChange statusChange(OutageVersion version, ClaimCheck check) {
    return new OutageStatusChange(version.outageMRID(), version.outageType(), version.version(),
        version.status(), version.previousStatus(), version.lastModified(), check);
  }

  /** The push body for this version as pushed to {@code participant}'s endpoint, with a claim check issued to it. */
  public OutageStatusChange statusChange(String participant, OutageVersion version) {
    return statusChange(version, claimCheck(participant, version, clock.instant().plus(tokenLifetime)));
  }

  /** The push body for this market event as pushed to {@code participant}'s endpoint. */
  public MarketEvent marketEventPush(String participant, MarketEventEntry event, boolean withClaimCheck) {
    return new MarketEvent(event.eventId(), event.eventType(), event.market(), event.tradeDate(),
        event.eventTime(), event.description(),
        withClaimCheck ? claimCheck(participant, event, clock.instant().plus(tokenLifetime)) : null);
  }

  /** The push body for this market event, with a fresh claim check or none. */
  public MarketEvent marketEventPush(MarketEventEntry event, boolean withClaimCheck) {
    return new MarketEvent(event.eventId(), event.eventType(), event.market(), event.tradeDate(),
        event.eventTime(), event.description(), withClaimCheck ? claimCheck(event) : null);
  }

  // --- retrieval ------------------------------------------------------------------------------

  /** What an outage claim check token serves now. */
  public synchronized Redemption redeemOutageToken(String token) {
    return redeemOutageToken(token, null);
  }

  /**
   * What an outage claim check token serves now to {@code caller} (the participant whose
   * certificate presents it; null: not a configured participant's).
   */
  public synchronized Redemption redeemOutageToken(String token, String caller) {
    Ticket ticket = tokens.get(token);
    if (ticket == null || ticket.outage() == null) {
      return Redemption.refused(Redemption.Outcome.UNKNOWN_TOKEN);
    }
    if (ticket.participant() != null && !ticket.participant().equals(caller)) {
      return Redemption.refused(Redemption.Outcome.NOT_ISSUED_TO_CALLER);
    }
    if (!clock.instant().isBefore(ticket.expires())) {
      return Redemption.refused(Redemption.Outcome.EXPIRED_TOKEN);
    }
    OutageVersion version = ticket.outage();
    return Redemption.of(serveNewestVersion ? newest(version.outageMRID()) : version);
  }

  /** What a market event claim check token serves now. */
  public synchronized Redemption redeemMarketEventToken(String token) {
    return redeemMarketEventToken(token, null);
  }

  /** What a market event claim check token serves now to {@code caller} (as for outages). */
  public synchronized Redemption redeemMarketEventToken(String token, String caller) {
    Ticket ticket = tokens.get(token);
    if (ticket == null || ticket.marketEvent() == null) {
      return Redemption.refused(Redemption.Outcome.UNKNOWN_TOKEN);
    }
    if (ticket.participant() != null && !ticket.participant().equals(caller)) {
      return Redemption.refused(Redemption.Outcome.NOT_ISSUED_TO_CALLER);
    }
    if (!clock.instant().isBefore(ticket.expires())) {
      return Redemption.refused(Redemption.Outcome.EXPIRED_TOKEN);
    }
    return Redemption.of(ticket.marketEvent());
  }

  /** The newest version of the outage (the by-mRID fallback). */
  public synchronized Redemption redeemOutage(String outageMRID) {
    return redeemOutage(outageMRID, null);
  }

  /** The newest version of the outage, for {@code caller}: another participant's outage is unknown to it. */
  public synchronized Redemption redeemOutage(String outageMRID, String caller) {
    if (!visibleTo(caller, outageMRID)) {
      return Redemption.refused(Redemption.Outcome.UNKNOWN_OUTAGE);
    }
    return outage(outageMRID).map(Redemption::of)
        .orElse(Redemption.refused(Redemption.Outcome.UNKNOWN_OUTAGE));
  }

  /** The market event (the by-eventId fallback). */
  public synchronized Redemption redeemMarketEvent(String eventId) {
    MarketEventEntry event = marketEvents.get(eventId);
    return event == null ? Redemption.refused(Redemption.Outcome.UNKNOWN_MARKET_EVENT)
        : Redemption.of(event);
  }

  /**
   * The newest version of each outage whose newest change lies after {@code position}, oldest
   * first, at most {@code limit}.
   */
  public synchronized ChangesPage changesAfter(ChangePosition position, int limit) {
    return changesAfter(position, limit, null);
  }

  /** As {@link #changesAfter(ChangePosition, int)}, of the outages {@code caller} may see only. */
  public synchronized ChangesPage changesAfter(ChangePosition position, int limit, String caller) {
    if (limit < 1) {
      throw new IllegalArgumentException("a page holds at least one change");
    }
    List<OutageVersion> page = new ArrayList<>(Math.min(limit, newestByChange.size()));
    boolean more = false;
    for (OutageVersion version : newestByChange.tailSet(floor(position), false)) {
      if (!position.precedes(version) || !visibleTo(caller, version.outageMRID())) {
        continue;
      }
      if (page.size() == limit) {
        more = true;
        break;
      }
      page.add(version);
    }
    ChangePosition next = page.isEmpty() ? position
        : ChangePosition.of(page.get(page.size() - 1));
    return new ChangesPage(page, more, next);
  }

  /**
   * A configured participant sees the outages pushed to it; a caller that is none (null) sees
   * every outage, as before participants.
   */
  private boolean visibleTo(String caller, String outageMRID) {
    return caller == null || outagesOf.getOrDefault(caller, java.util.Set.of()).contains(outageMRID);
  }

  /** A probe that sorts before every version at or after the position's instant. */
  private static OutageVersion floor(ChangePosition position) {
    return new OutageVersion("", "", 1, "", null, position.lastModified(), 0);
  }

  private Instant nextChangeTime() {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    if (!now.isAfter(lastChange)) {
      now = lastChange.plusMillis(1);
    }
    lastChange = now;
    return now;
  }

  private static String newToken() {
    byte[] bytes = new byte[24];
    RANDOM.nextBytes(bytes);
    return "cc-" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static void checkSize(int bytes) {
    if (bytes < 0 || bytes > MAX_DOCUMENT_SIZE) {
      throw new IllegalArgumentException("document size " + bytes + " is not in 0.."
          + MAX_DOCUMENT_SIZE + " (0 means as small as the skeleton allows)");
    }
  }
}
