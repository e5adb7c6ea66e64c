package org.omspush.receiver.admin;

import io.vertx.ext.web.RoutingContext;
import java.util.List;
import org.omspush.fanout.SubscriberProblem;
import org.omspush.store.ParticipantKey;
import org.omspush.store.fanout.Subscriber;

/** The admin API's {@code ?participant=KEY}: its listings narrowed to one participant. */
final class ParticipantFilter {
  private ParticipantFilter() {}

  /** The key asked for, or null when the listing is not filtered; a 400 problem when it is no key. */
  static String of(RoutingContext ctx) {
    String key = ctx.queryParams().get("participant");
    if (key == null || key.isEmpty()) {
      return null;
    }
    if (!ParticipantKey.isValid(key)) {
      throw SubscriberProblem.invalidRequest("participant must be a participant key ([A-Za-z0-9_-]{1,32}), not '" + key + "'");
    }
    return key;
  }

  /** The subscribers that get this participant's events (those naming none get everyone's). */
  static List<Subscriber> subscribers(List<Subscriber> all, String participant) {
    if (participant == null) {
      return all;
    }
    return all.stream().filter(s -> s.participants() == null || s.participants().contains(participant)).toList();
  }
}
