package org.omspush.receiver.admin;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.omspush.fanout.SubscriberProblem;
import org.omspush.store.Events;
import org.omspush.store.Outages;

/**
 * The query parameters of the read API ({@link ReadApi}), checked in one place: each reader
 * returns the value, null when absent, or throws a 400 problem that names the parameter and what
 * it accepts. Cursors are opaque to clients: base64url of the listing's sort key.
 */
final class ReadParameters {
  static final int LIMIT_DEFAULT = 50;
  static final int LIMIT_MAX = 500;
  static final int MRID_MAX = 40;
  private static final int TEXT_MAX = 64;
  private static final String OUTAGES = "outages";
  private static final String MARKET_EVENTS = "market-events";

  static final Set<String> OUTAGE_LIST = Set.of("participant", "status", "type", "changedSince", "q", "limit",
      "cursor");
  static final Set<String> MARKET_EVENT_LIST = Set.of("participant", "market", "since", "limit", "cursor");

  private ReadParameters() {}

  /** A parameter this endpoint does not know is refused rather than ignored (a typo would widen the listing). */
  static void onlyKnown(RoutingContext ctx, Set<String> known) {
    for (String name : ctx.queryParams().names()) {
      if (!known.contains(name)) {
        throw SubscriberProblem.invalidRequest("unknown parameter '" + name + "'; this endpoint takes "
            + String.join(", ", new TreeSet<>(known)));
      }
      if (ctx.queryParams().getAll(name).size() > 1) {
        throw SubscriberProblem.invalidRequest(name + " is given more than once");
      }
    }
  }

  static int limit(RoutingContext ctx) {
    String text = ctx.queryParams().get("limit");
    if (text == null) {
      return LIMIT_DEFAULT;
    }
    try {
      int n = Integer.parseInt(text.strip());
      if (n >= 1 && n <= LIMIT_MAX) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw SubscriberProblem.invalidRequest("limit must be a whole number from 1 to " + LIMIT_MAX + ", not '" + text + "'");
  }

  static OffsetDateTime time(RoutingContext ctx, String name) {
    String text = ctx.queryParams().get(name);
    if (text == null || text.isEmpty()) {
      return null;
    }
    try {
      return OffsetDateTime.parse(text.strip());
    } catch (DateTimeParseException e) {
      throw SubscriberProblem.invalidRequest(name + " must be an RFC 3339 time such as 2026-11-21T17:03:12Z, not '" + text
          + "'");
    }
  }

  /** A free-text filter (status, type, market): compared case-insensitively. */
  static String text(RoutingContext ctx, String name) {
    String text = ctx.queryParams().get(name);
    if (text == null || text.isBlank()) {
      return null;
    }
    if (text.length() > TEXT_MAX || text.chars().anyMatch(Character::isISOControl)) {
      throw SubscriberProblem.invalidRequest(name + " must be up to " + TEXT_MAX + " printable characters");
    }
    return text.strip();
  }

  /** The mRID search: part of an mRID (at most its 40 characters). */
  static String mridSearch(RoutingContext ctx) {
    String q = text(ctx, "q");
    if (q != null && q.length() > MRID_MAX) {
      throw SubscriberProblem.invalidRequest("q is part of an mRID: at most " + MRID_MAX + " characters");
    }
    return q;
  }

  static Outages.Key outageCursor(RoutingContext ctx) {
    JsonArray key = cursor(ctx, OUTAGES, 3);
    try {
      return key == null ? null
          : new Outages.Key(OffsetDateTime.parse(key.getString(0)), key.getString(1), key.getString(2));
    } catch (RuntimeException e) {
      throw badCursor();
    }
  }

  static String cursorOf(Outages.Key key) {
    return key == null ? null
        : encode(OUTAGES, new JsonArray().add(key.updatedAt().toString()).add(key.participant()).add(key.outageMRID()));
  }

  static Events.Key marketEventCursor(RoutingContext ctx) {
    JsonArray key = cursor(ctx, MARKET_EVENTS, 2);
    try {
      return key == null ? null : new Events.Key(OffsetDateTime.parse(key.getString(0)), key.getLong(1));
    } catch (RuntimeException e) {
      throw badCursor();
    }
  }

  static String cursorOf(Events.Key key) {
    return key == null ? null : encode(MARKET_EVENTS, new JsonArray().add(key.createdAt().toString()).add(key.id()));
  }

  private static String encode(String listing, JsonArray key) {
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString(new JsonArray(List.of(listing, key)).encode().getBytes(StandardCharsets.UTF_8));
  }

  /** The sort key a cursor carries, null when there is none; 400 unless this listing handed it out. */
  private static JsonArray cursor(RoutingContext ctx, String listing, int size) {
    String text = ctx.queryParams().get("cursor");
    if (text == null || text.isEmpty()) {
      return null;
    }
    try {
      JsonArray whole = new JsonArray(new String(Base64.getUrlDecoder().decode(text.strip()), StandardCharsets.UTF_8));
      if (whole.size() == 2 && listing.equals(whole.getValue(0)) && whole.getValue(1) instanceof JsonArray key
          && key.size() == size) {
        return key;
      }
    } catch (IllegalArgumentException | DecodeException | ClassCastException e) {
      // below
    }
    throw badCursor();
  }

  private static SubscriberProblem badCursor() {
    return SubscriberProblem.invalidRequest("cursor is not one this listing handed out (use nextCursor of the previous page)");
  }
}
