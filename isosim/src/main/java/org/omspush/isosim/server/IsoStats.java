package org.omspush.isosim.server;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import javax.security.auth.x500.X500Principal;

/**
 * A snapshot of the calls that reached a retrieve service path: per (identity, service) how
 * many calls, how many the AUP accepted and how many were violations (refused with the AUP
 * page, forced ones included); and the totals. The identity is the client certificate's subject
 * DN in RFC 2253 form.
 */
public record IsoStats(long totalCalls, long totalViolations, List<Entry> entries) {

  public IsoStats {
    entries = List.copyOf(entries);
  }

  /** The counts of one (identity, service). */
  public record Entry(String identity, String service, long calls, long accepted,
      long violations) {}

  /**
   * One call as it reached the edge: who, which service, when (monotonic nanos and wall clock)
   * and whether the AUP accepted it.
   */
  public record Call(String identity, RetrieveService service, long arrivalNanos,
      Instant arrivedAt, boolean accepted) {}

  public long calls(X500Principal identity, RetrieveService service) {
    Entry entry = entry(identity, service);
    return entry == null ? 0 : entry.calls();
  }

  public long accepted(X500Principal identity, RetrieveService service) {
    Entry entry = entry(identity, service);
    return entry == null ? 0 : entry.accepted();
  }

  public long violations(X500Principal identity, RetrieveService service) {
    Entry entry = entry(identity, service);
    return entry == null ? 0 : entry.violations();
  }

  /** The entry of (identity, service), identities compared as X.500 names; null if none. */
  public Entry entry(X500Principal identity, RetrieveService service) {
    for (Entry entry : entries) {
      if (entry.service().equals(service.serviceName())
          && new X500Principal(entry.identity()).equals(identity)) {
        return entry;
      }
    }
    return null;
  }

  /**
   * {@code {"totalCalls":n,"totalViolations":n,"entries":[{"identity":"CN=…","service":"…",
   * "calls":n,"accepted":n,"violations":n}]}}
   */
  public JsonObject toJson() {
    JsonArray array = new JsonArray();
    for (Entry entry : entries) {
      array.add(new JsonObject()
          .put("identity", entry.identity())
          .put("service", entry.service())
          .put("calls", entry.calls())
          .put("accepted", entry.accepted())
          .put("violations", entry.violations()));
    }
    return new JsonObject()
        .put("totalCalls", totalCalls)
        .put("totalViolations", totalViolations)
        .put("entries", array);
  }
}
