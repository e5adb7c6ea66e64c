package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.receiver.PushLoad.freeLoopbackPort;
import static org.omspush.receiver.TestReceiver.await;

import io.vertx.core.Vertx;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.fanout.PayloadLinks;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.scenario.Publisher;
import org.omspush.isosim.server.IsoSim;
import org.omspush.isosim.server.IsoSimOptions;
import org.omspush.isosim.server.RetrieveService;
import org.omspush.isosim.state.Documents;
import org.omspush.isosim.state.OutageVersion;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.secrets.SealedColumn;
import org.omspush.store.secrets.SealedValue;
import org.omspush.store.secrets.SealingKey;
import org.omspush.store.secrets.SecretKeys;
import org.omspush.store.testing.TestDatabase;

/**
 * Invariant 8, bounded memory: a receiver in its own JVM with a 256 MiB heap redeems 48 MiB
 * documents for three identities at once while ten payload-link downloads of documents it
 * stored run, and stays up; every stored and every downloaded document has the right SHA-256.
 * The receiver's GC log gives the peak heap, printed and written to {@code target/}.
 */
class LargeDocumentsTest {
  private static final List<String> PARTICIPANTS = List.of("default", "SC_OTHER", "SC_THIRD");
  private static final int DOCUMENT_BYTES = 48 * 1024 * 1024;
  private static final Duration LIMIT = Duration.ofMinutes(12);

  @TempDir Path dir;
  private Vertx vertx;
  private IsoSim iso;
  private ReceiverProcesses.ReceiverProcess receiver;
  private ExecutorService downloads;

  @AfterEach
  void stop() throws Exception {
    List<AutoCloseable> steps = new ArrayList<>();
    steps.add(() -> {
      if (downloads != null) {
        downloads.shutdownNow();
      }
    });
    steps.add(() -> {
      if (receiver != null) {
        receiver.kill();
      }
    });
    steps.add(() -> {
      if (iso != null) {
        await(iso.close());
      }
    });
    steps.add(() -> {
      if (vertx != null) {
        await(vertx.close());
      }
    });
    ReceiverProcesses.closeAll(steps);
  }

  @Test
  void receiver_with_256_mib_heap_redeems_48_mib_documents_for_three_participants_while_ten_downloads_run()
      throws Exception {
    DevPki pki = DevPki.generate(dir.resolve("pki"));
    DevPki.Credential third = pki.issueParticipant(
        new X500Principal("CN=SC_THIRD_OMS,OU=Scheduling,O=Third Energy,C=US"), "third-participant-client.pem");
    vertx = Vertx.vertx();
    // Three participants, each with its own certificate: three documents fetched at once, each under its own gate.
    iso = await(IsoSim.start(vertx, IsoSimOptions.of(pki).aupInterval(RedemptionTest.AUP).participants(Map.of(
        PARTICIPANTS.get(0), pki.participantClient().certificate(),
        PARTICIPANTS.get(1), pki.otherParticipantClient().certificate(),
        PARTICIPANTS.get(2), third.certificate()))));
    Path participantsDir = dir.resolve("participants");
    for (var e : Map.of(PARTICIPANTS.get(1), pki.otherParticipantClient(), PARTICIPANTS.get(2), third).entrySet()) {
      Path sub = Files.createDirectories(participantsDir.resolve(e.getKey()));
      Files.copy(e.getValue().certificateFile(), sub.resolve("tls.crt"));
      Files.copy(e.getValue().keyFile(), sub.resolve("tls.key"));
    }
    DatabaseUrl db = TestDatabase.fresh();

    String outageService = RetrieveService.OUTAGE_BY_CLAIM_CHECK.serviceName();
    Map<String, String> env = DevEnvironment.of(pki);
    env.putAll(RedemptionTest.isoEnvironment(pki, iso));
    env.put("OMS_PARTICIPANTS_DIR", participantsDir.toString());
    env.put("OMS_ISO_SERVICES", outageService);
    // The stand-in builds, gzips and signs a 48 MiB answer before its first byte: seconds on a busy machine.
    env.put("OMS_RETRIEVE_TIMEOUT", "120s");
    env.put("OMS_CLAIM_LEASE", "120s");
    env.put("OMS_DATABASE_URL", ReceiverProcesses.connectionString(db));
    int pushPort = freeLoopbackPort();
    int opsPort = freeLoopbackPort();
    int adminPort = freeLoopbackPort();
    env.put("OMS_PUSH_PORT", String.valueOf(pushPort));
    env.put("OMS_OPS_PORT", String.valueOf(opsPort));
    env.put("OMS_ADMIN_PORT", String.valueOf(adminPort));
    int payloadPort = freeLoopbackPort();
    env.put("OMS_PAYLOAD_PORT", String.valueOf(payloadPort));
    Path gcLog = dir.resolve("gc.log");
    receiver = ReceiverProcesses.ReceiverProcess.start("receiver-256m", env, dir.resolve("receiver.log"), pushPort,
        opsPort, List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError", "-Xlog:gc:file=" + gcLog));
    receiver.awaitReady();

    // Three documents at once, one per participant.
    Map<String, String> expected = new LinkedHashMap<>();
    List<OutageVersion> first = pushOutages(pki, "OUT-LARGE-A", expected);
    eventually("the first three documents redeemed", () -> redeemed(db) == 3);

    // Three more at once, while ten downloads of the first three run.
    PayloadLinks links = new PayloadLinks(sharedKey(db, Path.of(env.get("OMS_SECRETS_KEY_FILE"))), Duration.ofHours(1),
        () -> "https://localhost:" + payloadPort);
    List<Long> stored = TestDatabase.rows(db, "SELECT payload_id FROM claim WHERE state = 'REDEEMED' ORDER BY id")
        .stream().map(r -> ((Number) r.get("payload_id")).longValue()).toList();
    downloads = Executors.newFixedThreadPool(10);
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
        .sslContext(trusting(pki.serverCa().certificate())).build();
    List<Future<String>> downloaded = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      String url = links.url(stored.get(i % stored.size()), Instant.now());
      boolean gzip = i % 2 == 0;
      downloaded.add(downloads.submit(() -> download(http, url, gzip)));
    }
    pushOutages(pki, "OUT-LARGE-B", expected);
    List<String> downloadedHashes = new ArrayList<>();
    for (Future<String> d : downloaded) {
      downloadedHashes.add(d.get(LIMIT.toSeconds(), TimeUnit.SECONDS));
    }
    eventually("all six documents redeemed", () -> redeemed(db) == 6);

    assertThat(receiver.process.isAlive()).as("receiver alive; log:%n%s", receiver.log()).isTrue();
    assertThat(Files.readString(dir.resolve("receiver.log"))).doesNotContain("OutOfMemoryError");
    var rows = TestDatabase.rows(db, "SELECT c.outage_mrid, p.sha256, p.size_bytes FROM claim c"
        + " JOIN payload p ON p.id = c.payload_id WHERE c.state = 'REDEEMED'");
    assertThat(rows).hasSize(6);
    for (var row : rows) {
      assertThat(row.get("sha256")).as("stored SHA-256 of %s", row.get("outage_mrid"))
          .isEqualTo(expected.get((String) row.get("outage_mrid")));
      assertThat(((Number) row.get("size_bytes")).longValue()).isEqualTo(DOCUMENT_BYTES);
    }
    List<String> firstHashes = first.stream().map(v -> expected.get(v.outageMRID())).toList();
    for (int i = 0; i < 10; i++) {
      String mrid = (String) TestDatabase.rows(db, "SELECT outage_mrid FROM claim WHERE payload_id = ?",
          stored.get(i % stored.size())).get(0).get("outage_mrid");
      assertThat(downloadedHashes.get(i)).as("download %d (%s)", i, mrid).isEqualTo(expected.get(mrid));
    }
    assertThat(firstHashes).doesNotContainNull();
    assertThat(iso.stats().totalViolations()).isZero();

    long[] heap = heapMiB(gcLog);
    String figure = "receiver at -Xmx256m, 3 participants x 2 rounds of 48 MiB documents with 10 payload downloads: "
        + "peak heap " + heap[0] + " MiB (before a collection), largest live heap " + heap[1]
        + " MiB (after one), from its GC log";
    System.out.println(figure);
    Files.writeString(Path.of("target", "large-documents-peak-heap.txt"), figure + "\n");
    assertThat(heap[0]).isLessThanOrEqualTo(256);
  }

  private List<OutageVersion> pushOutages(DevPki pki, String prefix, Map<String, String> expected) throws Exception {
    List<OutageVersion> versions = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      OutageVersion v = iso.state().createOutage(prefix + "-" + i, "RESOURCE", "RECEIVED", DOCUMENT_BYTES);
      expected.put(v.outageMRID(), sha256(Documents.outage(v)));
      versions.add(v);
    }
    for (int i = 0; i < versions.size(); i++) {
      String participant = PARTICIPANTS.get(i);
      String url = receiver.pushUrl() + ("default".equals(participant) ? "" : "/" + participant);
      try (Publisher p = new Publisher(vertx, pki, url)) {
        assertThat(await(p.publish(iso.state().statusChange(participant, versions.get(i)))).statusCode())
            .isEqualTo(200);
      }
    }
    return versions;
  }

  /** Streams a download through SHA-256 (gunzipped when it came gzip); retries while the replica is busy (503). */
  private static String download(HttpClient http, String url, boolean acceptGzip) throws Exception {
    for (int attempt = 1; ; attempt++) {
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(5));
      if (acceptGzip) {
        request.header("Accept-Encoding", "gzip");
      }
      HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      if (response.statusCode() == 503 && attempt < 60) {
        response.body().close();
        Thread.sleep(1000L * Long.parseLong(response.headers().firstValue("Retry-After").orElse("1")));
        continue;
      }
      assertThat(response.statusCode()).as("download of %s", url).isEqualTo(200);
      boolean gzipped = "gzip".equals(response.headers().firstValue("Content-Encoding").orElse(null));
      assertThat(gzipped).isEqualTo(acceptGzip);
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      try (InputStream in = gzipped ? new GZIPInputStream(response.body(), 64 * 1024) : response.body()) {
        byte[] buffer = new byte[64 * 1024];
        for (int n; (n = in.read(buffer)) > 0; ) {
          sha256.update(buffer, 0, n);
        }
      }
      return HexFormat.of().formatHex(sha256.digest());
    }
  }

  /** The payload-link key as the receiver sealed it, opened with the receiver's key file. */
  private static byte[] sharedKey(DatabaseUrl db, Path keyFile) throws Exception {
    var row = TestDatabase.rows(db, "SELECT key_sealed, sealing_key_id FROM fanout_key WHERE name = ?",
        PayloadLinks.KEY_NAME).get(0);
    SecretKeys keys = SecretKeys.of(SealingKey.parse(Files.readString(keyFile).strip()));
    return keys.open(new SealedValue((String) row.get("sealing_key_id"), (byte[]) row.get("key_sealed")),
        SealedColumn.SHARED_KEY.place(PayloadLinks.KEY_NAME));
  }

  /** Downloads trust the test PKI's server CA, as the demo's subscribers do. */
  private static SSLContext trusting(X509Certificate ca) throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    trust.setCertificateEntry("server-ca", ca);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  private static long redeemed(DatabaseUrl db) {
    return TestDatabase.count(db, "claim", "state = 'REDEEMED'");
  }

  /**
   * From the unified GC log ({@code 120M->40M(247M)}): the largest heap occupancy before a
   * collection, and the largest after one (what was still live).
   */
  static long[] heapMiB(Path gcLog) throws Exception {
    Pattern sizes = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)");
    long[] peak = {0, 0};
    for (String line : Files.readAllLines(gcLog, StandardCharsets.UTF_8)) {
      Matcher m = sizes.matcher(line);
      if (m.find()) {
        peak[0] = Math.max(peak[0], Long.parseLong(m.group(1)));
        peak[1] = Math.max(peak[1], Long.parseLong(m.group(2)));
      }
    }
    return peak;
  }

  private void eventually(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + LIMIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (!receiver.process.isAlive()) {
        throw new AssertionError("the receiver died (" + receiver.process.exitValue() + ") before: " + what
            + "; log:\n" + receiver.log());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + LIMIT.toMinutes() + " min: " + what + "; log:\n" + receiver.log());
      }
      Thread.sleep(500);
    }
  }

  private static String sha256(byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }
}
