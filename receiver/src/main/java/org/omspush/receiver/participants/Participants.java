package org.omspush.receiver.participants;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.omspush.claimcheck.retrieve.IsoIdentity;
import org.omspush.claimcheck.retrieve.ParticipantIdentities;
import org.omspush.claimcheck.retrieve.RetrieveServices;
import org.omspush.receiver.tls.Certificates;
import org.omspush.receiver.tls.TlsMaterial;
import org.omspush.store.ParticipantKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The participants this deployment serves, and the certificate each one calls the ISO with
 * (iso-interface.md, "Several participants in one deployment").
 *
 * <p>{@value ParticipantKey#DEFAULT} is always one (the bare push path); its certificate is
 * {@code OMS_ISO_CERT}. Every other participant is a directory {@code
 * {OMS_PARTICIPANTS_DIR}/{key}/} holding {@code tls.crt} (the certificate, then its chain) and
 * {@code tls.key}: the shape of a Kubernetes {@code kubernetes.io/tls} Secret in a projected
 * volume, whose {@code ..data} and {@code ..2026_…} entries are skipped. {@link #refresh()}
 * reads the directory again (blocking: call it on a worker thread); a directory is parsed only
 * when its files' contents changed.
 *
 * <p>A directory that cannot be read, whose key does not match its certificate, or whose
 * certificate is expired or not yet valid is refused: one ERROR line per distinct content,
 * {@code oms_participant_refusals_total}, and {@code oms_participants_refused} while it lasts.
 * Nothing else changes: a participant whose renewed certificate is refused keeps the valid one it
 * had, and a directory that never held a valid set is no participant. Of several valid
 * certificates of one participant ({@code OMS_ISO_CERT} and a {@code default/} directory), the
 * newest (latest notBefore) is used.
 */
public final class Participants implements ParticipantIdentities {
  private static final Logger log = LoggerFactory.getLogger(Participants.class);
  static final String CERT_FILE = "tls.crt";
  static final String KEY_FILE = "tls.key";

  /** A participant as the registry holds it. @param hash of its files, null for OMS_ISO_CERT */
  public record Participant(String key, IsoIdentity identity, String hash) {}

  /** Why a directory is refused: the metric's {@code reason} tag. */
  enum Refusal { UNREADABLE, NOT_A_KEY, NO_CERTIFICATE, KEY_MISMATCH, EXPIRED, NOT_YET_VALID }

  private static final class Refused extends Exception {
    final Refusal reason;

    Refused(Refusal reason, String message) {
      super(message, null, false, false);
      this.reason = reason;
    }
  }

  private final Path dir;
  private final IsoIdentity defaultIdentity;
  private final Clock clock;
  private final MeterRegistry registry;
  private final AtomicInteger refusedNow = new AtomicInteger();
  private final Map<String, String> lastRefused = new HashMap<>();
  private volatile Map<String, Participant> current;
  private volatile Map<String, IsoIdentity> identities;
  private final Map<String, Gauge> expiry = new HashMap<>();
  private volatile Map<String, String> refusals = Map.of();

  /**
   * @param dir             OMS_PARTICIPANTS_DIR, or null: {@value ParticipantKey#DEFAULT} only
   * @param defaultIdentity OMS_ISO_CERT/OMS_ISO_KEY, or null (no redemption configured)
   */
  public Participants(Path dir, IsoIdentity defaultIdentity, MeterRegistry registry, Clock clock) {
    this.dir = dir;
    this.defaultIdentity = defaultIdentity;
    this.registry = registry;
    this.clock = clock;
    Map<String, Participant> start = new TreeMap<>();
    start.put(ParticipantKey.DEFAULT, new Participant(ParticipantKey.DEFAULT, defaultIdentity, null));
    this.current = start;
    this.identities = identitiesOf(start);
    expiryGauges();
    Gauge.builder("oms_participants", () -> current.size())
        .description("Participants served: default and every directory of OMS_PARTICIPANTS_DIR with a valid certificate")
        .register(registry);
    Gauge.builder("oms_participants_refused", refusedNow, AtomicInteger::get)
        .description("Directories of OMS_PARTICIPANTS_DIR refused now (unreadable, key mismatch, expired)")
        .register(registry);
  }

  /** Whether a push path may name this key. */
  public boolean isParticipant(String key) {
    return key != null && current.containsKey(key);
  }

  @Override
  public Optional<IsoIdentity> identity(String participant) {
    Participant p = participant == null ? null : current.get(participant);
    return p == null ? Optional.empty() : Optional.ofNullable(p.identity());
  }

  @Override
  public Map<String, IsoIdentity> identities() {
    return identities;
  }

  private static Map<String, IsoIdentity> identitiesOf(Map<String, Participant> participants) {
    Map<String, IsoIdentity> out = new TreeMap<>();
    participants.forEach((key, p) -> {
      if (p.identity() != null) {
        out.put(key, p.identity());
      }
    });
    return java.util.Collections.unmodifiableMap(out);
  }

  /** Every participant, by key. */
  public List<Participant> list() {
    return List.copyOf(current.values());
  }

  /** The directories refused at the last read: name → why. */
  public Map<String, String> refusals() {
    return refusals;
  }

  /** The directory, or null when only {@value ParticipantKey#DEFAULT} is served. */
  public Path directory() {
    return dir;
  }

  /**
   * Reads the directory again and swaps in what changed. Blocking (file reads, key checks).
   * Not to be called concurrently with itself (one watch calls it).
   */
  public void refresh() {
    Instant now = clock.instant();
    Map<String, Participant> before = current;
    Map<String, Participant> next = new TreeMap<>();
    List<Path> subdirectories;
    try {
      subdirectories = subdirectories();
    } catch (IOException e) {
      log.error("cannot list OMS_PARTICIPANTS_DIR {}: {}; the participants stay as they are", dir, e.toString());
      return;
    }
    Map<String, String> refusedNow = new TreeMap<>();
    for (Path sub : subdirectories) {
      String key = sub.getFileName().toString();
      Participant known = before.get(key);
      try {
        Participant p = read(key, sub, known, now);
        lastRefused.remove(key);
        next.put(key, p);
        if (known == null || !p.identity().equals(known.identity())) {
          X509Certificate c = p.identity().certificate();
          log.info("participant {} {} with certificate {} (serial {}, valid until {})", key,
              known == null ? "added" : "renewed", c.getSubjectX500Principal().getName(),
              c.getSerialNumber().toString(16), c.getNotAfter().toInstant());
        }
      } catch (Refused r) {
        refusedNow.put(key, r.getMessage());
        String what = r.reason + ":" + hashOrReason(sub, r);
        if (!what.equals(lastRefused.put(key, what))) {
          Counter.builder("oms_participant_refusals_total").tag("reason", r.reason.name().toLowerCase(java.util.Locale.ROOT))
              .description("Participant directories refused (counted once per distinct content)")
              .register(registry).increment();
          log.error("participant directory {} refused: {}{}", sub, r.getMessage(),
              known != null && stillValid(known, now) ? "; it keeps its current certificate" : "");
        }
        if (known != null && stillValid(known, now)) {
          next.put(key, known);
        }
      }
    }
    next.put(ParticipantKey.DEFAULT, chooseDefault(next.get(ParticipantKey.DEFAULT), now));
    for (String key : before.keySet()) {
      if (!next.containsKey(key)) {
        if (refusedNow.containsKey(key)) {
          log.error("participant {} is no longer served: its certificate is refused", key);
        } else {
          log.info("participant {} removed: its directory is gone", key);
        }
      }
    }
    lastRefused.keySet().retainAll(subdirectories.stream().map(sub -> sub.getFileName().toString()).toList());
    this.refusedNow.set(refusedNow.size());
    refusals = Map.copyOf(refusedNow);
    identities = identitiesOf(next);
    current = next;
    expiryGauges();
  }

  /** {@code oms_participant_certificate_expiry_seconds{participant}}: one series per participant with a certificate. */
  private synchronized void expiryGauges() {
    Map<String, IsoIdentity> now = identities;
    for (var it = expiry.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      if (!now.containsKey(e.getKey())) {
        registry.remove(e.getValue());
        it.remove();
      }
    }
    for (String key : now.keySet()) {
      expiry.computeIfAbsent(key, k -> Gauge.builder("oms.participant.certificate.expiry", this, self -> {
        IsoIdentity id = self.identities.get(k);
        return id == null ? Double.NaN
            : (id.certificate().getNotAfter().toInstant().toEpochMilli() - self.clock.millis()) / 1000.0;
      }).description("Seconds until the certificate a participant calls the ISO with expires").baseUnit("seconds")
          .tag("participant", k).register(registry));
    }
  }

  private List<Path> subdirectories() throws IOException {
    List<Path> out = new ArrayList<>();
    if (dir == null) {
      return out;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path p : entries) {
        // Kubernetes' atomic writer: ..data and ..2026_12_07_… are its own, the keys link into them
        if (!p.getFileName().toString().startsWith(".") && Files.isDirectory(p)) {
          out.add(p);
        }
      }
    }
    out.sort(Comparator.naturalOrder());
    return out;
  }

  private Participant read(String key, Path sub, Participant known, Instant now) throws Refused {
    if (!ParticipantKey.isValid(key)) {
      throw new Refused(Refusal.NOT_A_KEY, "'" + key + "' is not a participant key ([A-Za-z0-9_-]{1,32})");
    }
    Path certFile = sub.resolve(CERT_FILE);
    Path keyFile = sub.resolve(KEY_FILE);
    byte[] certPem;
    byte[] keyPem;
    try {
      certPem = Files.readAllBytes(certFile);
      keyPem = Files.readAllBytes(keyFile);
    } catch (IOException e) {
      throw new Refused(Refusal.UNREADABLE, "cannot read " + CERT_FILE + " and " + KEY_FILE + ": " + e);
    }
    String hash = TlsMaterial.hash(certPem, keyPem, new byte[0]);
    IsoIdentity identity;
    if (known != null && hash.equals(known.hash())) {
      identity = known.identity();
    } else {
      identity = parse(certPem, keyPem, certFile, keyFile);
    }
    X509Certificate c = identity.certificate();
    if (Certificates.expired(c, now)) {
      throw new Refused(Refusal.EXPIRED, "the certificate " + c.getSubjectX500Principal().getName()
          + " expired at " + c.getNotAfter().toInstant());
    }
    if (Certificates.notYetValid(c, now)) {
      throw new Refused(Refusal.NOT_YET_VALID, "the certificate " + c.getSubjectX500Principal().getName()
          + " is valid only from " + c.getNotBefore().toInstant());
    }
    return new Participant(key, identity, hash);
  }

  private IsoIdentity parse(byte[] certPem, byte[] keyPem, Path certFile, Path keyFile) throws Refused {
    List<X509Certificate> chain;
    PrivateKey key;
    try {
      chain = Certificates.parseCertificates(certPem);
    } catch (IOException e) {
      throw new Refused(Refusal.NO_CERTIFICATE, CERT_FILE + " is not a PEM certificate: " + e.getMessage());
    }
    if (chain.isEmpty()) {
      throw new Refused(Refusal.NO_CERTIFICATE, CERT_FILE + " holds no PEM certificate");
    }
    try {
      key = Certificates.parsePrivateKey(keyPem);
    } catch (IOException | RuntimeException e) {
      throw new Refused(Refusal.KEY_MISMATCH, KEY_FILE + " is not a usable private key: " + e.getMessage());
    }
    if (!Certificates.keyMatches(key, chain.get(0).getPublicKey())) {
      throw new Refused(Refusal.KEY_MISMATCH, KEY_FILE + " does not belong to the certificate "
          + chain.get(0).getSubjectX500Principal().getName());
    }
    // The services OMS_ISO_SERVICES names are those every participant calls.
    return new IsoIdentity(chain.get(0), List.copyOf(chain), key, certFile, keyFile,
        defaultIdentity == null ? RetrieveServices.ALL : defaultIdentity.services());
  }

  /** OMS_ISO_CERT or a {@code default/} directory, whichever is valid and newest; OMS_ISO_CERT when neither is valid. */
  private Participant chooseDefault(Participant fromDirectory, Instant now) {
    Participant configured = new Participant(ParticipantKey.DEFAULT, defaultIdentity, null);
    if (fromDirectory == null) {
      return configured;
    }
    if (defaultIdentity == null || !stillValid(configured, now)) {
      return fromDirectory;
    }
    return fromDirectory.identity().certificate().getNotBefore().after(defaultIdentity.certificate().getNotBefore())
        ? fromDirectory : configured;
  }

  private static boolean stillValid(Participant p, Instant now) {
    return p.identity() != null && !Certificates.expired(p.identity().certificate(), now)
        && !Certificates.notYetValid(p.identity().certificate(), now);
  }

  /** What identifies a refused content: its hash when readable, else the reason itself. */
  private static String hashOrReason(Path sub, Refused r) {
    try {
      return TlsMaterial.hash(Files.readAllBytes(sub.resolve(CERT_FILE)), Files.readAllBytes(sub.resolve(KEY_FILE)),
          new byte[0]);
    } catch (IOException e) {
      return r.getMessage();
    }
  }
}
