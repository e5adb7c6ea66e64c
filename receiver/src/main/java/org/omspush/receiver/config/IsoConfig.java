package org.omspush.receiver.config;

import java.net.URI;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.omspush.claimcheck.redeem.RedemptionSettings;
import org.omspush.claimcheck.retrieve.IsoIdentity;
import org.omspush.claimcheck.retrieve.RetrieveServices;

/**
 * The ISO side of redemption: where the retrieve services are, how to trust them, and the
 * certificate of the participant {@code default}: {@code OMS_ISO_CERT}/{@code OMS_ISO_KEY}, calling
 * the services of {@code OMS_ISO_SERVICES} (comma-separated; default all retrieve services).
 * Other participants' certificates are directories of {@code OMS_PARTICIPANTS_DIR}. A participant
 * uses one certificate at a time (its AUP budget is its own), so {@code OMS_ISO_CERT_2} … are
 * refused: each is another participant, with a directory of its own.
 */
public record IsoConfig(URI baseUrl, Path isoCa, List<IsoIdentity> identities, RedemptionSettings redemption,
    int maxInFlight) {

  /** Retrieve calls a replica has in flight at most, across all participants, by default. */
  public static final int DEFAULT_MAX_IN_FLIGHT = 16;

  /** Null when {@code OMS_ISO_BASE_URL} is unset: the receiver then only ingests. */
  static IsoConfig from(Settings s) {
    String base = s.string("OMS_ISO_BASE_URL", null);
    if (base == null) {
      return null;
    }
    URI url;
    try {
      url = URI.create(base);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("OMS_ISO_BASE_URL", "'" + base + "' is not a URL");
    }
    if (!"https".equalsIgnoreCase(url.getScheme()) || url.getHost() == null) {
      throw new ConfigException("OMS_ISO_BASE_URL", "must be an https:// URL, not '" + base + "'");
    }
    Path ca = s.readableFile("OMS_ISO_CA", "the CA certificates (PEM) that issue the ISO's server certificate");
    if (s.string("OMS_ISO_CERT_2", null) != null) {
      throw new ConfigException("OMS_ISO_CERT_2", "a participant calls the ISO with one certificate at a time (the "
          + "AUP is per participant; spreading its calls over several certificates is abuse of it): give each other "
          + "participant a directory {key}/tls.crt, tls.key in OMS_PARTICIPANTS_DIR and push to {OMS_PUSH_PATH}/{key}");
    }
    List<IsoIdentity> ids = new ArrayList<>();
    for (int i = 1; i == 1; i++) {
      String suffix = "";
      Path cert = s.readableFile("OMS_ISO_CERT" + suffix, "the participant certificate registered with the ISO (PEM)");
      Path key = s.readableFile("OMS_ISO_KEY" + suffix, "the private key of OMS_ISO_CERT" + suffix + " (PEM)");
      List<X509Certificate> chain = org.omspush.receiver.tls.TlsFiles.certificates("OMS_ISO_CERT" + suffix, cert);
      PrivateKey privateKey = Keys.read("OMS_ISO_KEY" + suffix, key);
      Set<String> services = new LinkedHashSet<>();
      String listed = s.string("OMS_ISO_SERVICES" + suffix, String.join(",", RetrieveServices.ALL));
      for (String svc : listed.split(",")) {
        if (!svc.isBlank()) {
          if (!RetrieveServices.ALL.contains(svc.strip())) {
            throw new ConfigException("OMS_ISO_SERVICES" + suffix, "unknown service '" + svc.strip() + "'; known: "
                + Arrays.toString(RetrieveServices.ALL.toArray()));
          }
          services.add(svc.strip());
        }
      }
      ids.add(new IsoIdentity(chain.get(0), chain, privateKey, cert, key, Set.copyOf(services)));
    }
    RedemptionSettings d = RedemptionSettings.defaults();
    RedemptionSettings r = new RedemptionSettings(
        s.duration("OMS_AUP_INTERVAL", d.aupInterval()),
        s.duration("OMS_AUP_MARGIN", d.aupMargin()),
        s.duration("OMS_CLAIM_LEASE", d.lease()),
        (int) s.positive("OMS_RETRIEVE_MAX_ATTEMPTS", d.maxAttempts()),
        s.duration("OMS_RETRY_BASE", d.backoffBase()),
        s.duration("OMS_RETRY_MAX", d.backoffMax()),
        s.duration("OMS_POLL_INTERVAL", d.pollInterval()),
        s.duration("OMS_RECONCILE_INTERVAL", d.reconcileInterval()),
        s.duration("OMS_RETRIEVE_TIMEOUT", d.requestTimeout()),
        s.positive("OMS_MAX_PAYLOAD_BYTES", d.maxPayloadBytes()),
        s.bool("OMS_ISO_VERIFY_SIGNATURE", d.verifyIsoSignature()),
        s.duration("OMS_REDEEM_GIVE_UP_AFTER", d.giveUpAfter()),
        (int) s.positive("OMS_REDEEM_MAX_LOST", d.maxLost()));
    if (r.giveUpAfter().isZero()) {
      throw new ConfigException("OMS_REDEEM_GIVE_UP_AFTER", "must be longer than 0 (e.g. 72h): an unavailable ISO "
          + "would make every claim DEAD at once");
    }
    if (r.aupInterval().compareTo(java.time.Duration.ofSeconds(5)) < 0) {
      org.slf4j.LoggerFactory.getLogger(IsoConfig.class).warn(
          "OMS_AUP_INTERVAL is {} ms, shorter than the ISO's 5 s: only for a stand-in ISO", r.aupInterval().toMillis());
    }
    int maxInFlight = (int) s.positive("OMS_REDEEM_MAX_IN_FLIGHT", DEFAULT_MAX_IN_FLIGHT);
    return new IsoConfig(url, ca, List.copyOf(ids), r, maxInFlight);
  }
}
