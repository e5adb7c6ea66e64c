package org.omspush.isosim.server;

import java.util.Optional;
import org.omspush.isosim.push.ClaimCheck;

/** The ISO's retrieve services, each at {@code {base}/sst/oms/{serviceName}} under the AUP. */
public enum RetrieveService {
  /** An outage document by claim check token, or the newest version by {@code outageMRID}. */
  OUTAGE_BY_CLAIM_CHECK(ClaimCheck.OUTAGE_SERVICE),
  /** A market event document by claim check token, or by {@code eventId}. */
  MARKET_EVENT_BY_CLAIM_CHECK(ClaimCheck.MARKET_EVENT_SERVICE),
  /** The newest change of each outage modified after {@code since} / a cursor. */
  OUTAGE_CHANGES("RetrieveOutageChanges_OMSv1_AP");

  /** Where the services live under the base URL. */
  public static final String PATH_PREFIX = "/sst/oms/";

  private final String serviceName;

  RetrieveService(String serviceName) {
    this.serviceName = serviceName;
  }

  /** The name in the URL path and in {@code SOAPAction}. */
  public String serviceName() {
    return serviceName;
  }

  /** The path of the service: {@code /sst/oms/{serviceName}}. */
  public String path() {
    return PATH_PREFIX + serviceName;
  }

  public static Optional<RetrieveService> byName(String name) {
    for (RetrieveService service : values()) {
      if (service.serviceName.equals(name)) {
        return Optional.of(service);
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return serviceName;
  }
}
