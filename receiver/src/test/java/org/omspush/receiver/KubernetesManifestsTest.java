package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.receiver.config.ReceiverConfig;
import org.omspush.receiver.config.ShutdownConfig;
import org.omspush.store.testing.TestDatabase;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The Kubernetes manifests in {@code k8s/}: every kustomization renders with {@code kubectl
 * kustomize}, every rendered object validates against the Kubernetes API schemas
 * ({@code k8s/test/validate.js}), the Deployment keeps its security and availability settings,
 * and the receiver, started with exactly the environment the rendered Deployment and ConfigMap
 * give it (Secrets replaced by the test PKI), answers its probes.
 *
 * <p>Skipped, with a message, when {@code kubectl} is not installed (or, for the schema check,
 * {@code node} or {@code k8s/test/node_modules}); failed instead in CI ({@code CI=true}), where
 * {@code .ci/run} installs them. {@code KUBECTL} names another kubectl binary.
 */
class KubernetesManifestsTest {

  static final Path K8S = repositoryRoot().resolve("k8s");
  static final List<String> OVERLAYS = List.of("mapstage", "production");

  @Test
  void everyKustomizationRenders() {
    List<Path> dirs = kustomizations();
    assertThat(dirs).extracting(d -> K8S.relativize(d).toString().replace('\\', '/'))
        .contains("base", "overlays/mapstage", "overlays/production", "components/servicemonitor");
    for (Path dir : dirs) {
      List<Map<String, Object>> objects = objects(render(dir));
      assertThat(objects).as("objects rendered from %s", dir).isNotEmpty();
      for (Map<String, Object> o : objects) {
        assertThat(o).as("an object from %s", dir).containsKeys("apiVersion", "kind", "metadata");
      }
    }
  }

  @Test
  void everyRenderedObjectValidatesAgainstTheKubernetesSchemas() throws Exception {
    Path validator = K8S.resolve("test/validate.js");
    Optional<Path> node = onPath("node");
    RequiredTool.check(node.isPresent(), "node is not installed (.ci/run installs it)");
    RequiredTool.check(Files.isDirectory(K8S.resolve("test/node_modules/kubernetes-models")),
        "k8s/test/node_modules missing: run `npm ci` in k8s/test (.ci/run does)");
    for (Path dir : kustomizations()) {
      Result r = run(List.of(node.get().toString(), validator.toString()), render(dir));
      assertThat(r.exit).as("validate.js on %s:%n%s%s", dir, r.out, r.err).isZero();
      assertThat(r.out).contains(" 0 invalid");
    }
  }

  @Test
  void theDeploymentKeepsItsSecurityAndAvailabilitySettings() {
    Map<String, String> isoUrls = new HashMap<>();
    for (String overlay : OVERLAYS) {
      Rendered r = Rendered.of(K8S.resolve("overlays").resolve(overlay));
      Map<String, Object> deployment = r.one("Deployment");
      Map<String, Object> spec = map(deployment, "spec");
      Map<String, Object> pod = map(map(spec, "template"), "spec");
      Map<String, Object> container = r.container();
      String what = overlay + ": ";

      assertThat(spec.get("replicas")).as(what + "replicas").isEqualTo(3);
      assertThat(pod.get("terminationGracePeriodSeconds")).as(what + "grace period").isEqualTo(60);
      assertThat(pod.get("automountServiceAccountToken")).as(what + "pod token").isEqualTo(false);
      // The app drains by itself within OMS_SHUTDOWN_TIMEOUT; the kubelet's SIGKILL must come later.
      assertThat(r.configMapData()).as(what + "drain settings").containsKeys("OMS_DRAIN_DELAY", "OMS_SHUTDOWN_TIMEOUT");
      ShutdownConfig shutdown = ShutdownConfig.from(r.configMapData());
      assertThat(shutdown.timeout().plusSeconds(10)).as(what + "OMS_SHUTDOWN_TIMEOUT + 10 s within the grace period")
          .isLessThanOrEqualTo(java.time.Duration.ofSeconds(((Number) pod.get("terminationGracePeriodSeconds")).longValue()));

      Map<String, Object> podSecurity = map(pod, "securityContext");
      assertThat(podSecurity.get("runAsNonRoot")).as(what + "pod runAsNonRoot").isEqualTo(true);
      assertThat(podSecurity.get("runAsUser")).as(what + "pod runAsUser").isEqualTo(10001);
      Map<String, Object> security = map(container, "securityContext");
      assertThat(security.get("runAsNonRoot")).as(what + "runAsNonRoot").isEqualTo(true);
      assertThat(security.get("runAsUser")).as(what + "runAsUser").isEqualTo(10001);
      assertThat(security.get("readOnlyRootFilesystem")).as(what + "readOnlyRootFilesystem").isEqualTo(true);
      assertThat(security.get("allowPrivilegeEscalation")).as(what + "allowPrivilegeEscalation").isEqualTo(false);
      assertThat(list(map(security, "capabilities"), "drop")).as(what + "capabilities dropped").containsExactly("ALL");
      assertThat(map(security, "seccompProfile").get("type")).as(what + "seccomp").isEqualTo("RuntimeDefault");

      assertThat(r.probe("readinessProbe")).as(what + "readiness probe").isEqualTo(new Probe("/health/ready", 9090));
      assertThat(r.probe("livenessProbe")).as(what + "liveness probe").isEqualTo(new Probe("/health/live", 9090));
      assertThat(r.containerPort("push")).as(what + "push port").isEqualTo(8443);
      assertThat(r.containerPort("admin")).as(what + "admin port").isEqualTo(8081);
      assertThat(r.containerPort("payloads")).as(what + "payload port").isEqualTo(8444);
      assertThat(r.servicePorts()).as(what + "Service ports").containsEntry("payloads", "payloads")
          .containsEntry("admin", "admin");
      Map<Integer, List<Map<String, Object>>> allowed = r.ingressSources();
      assertThat(allowed.get(8444)).as(what + "payload port open to subscribers").containsExactly(Map.of());
      assertThat(allowed.get(8081)).as(what + "admin port kept to the namespace and the ingress").isNotEmpty()
          .doesNotContain(Map.of()).allSatisfy(from -> assertThat(from).doesNotContainKey("ipBlock"));

      Map<String, Object> resources = map(container, "resources");
      assertThat(map(resources, "requests")).as(what + "requests")
          .containsEntry("cpu", "500m").containsEntry("memory", "768Mi");
      assertThat(map(resources, "limits")).as(what + "limits").containsEntry("cpu", "2").containsEntry("memory", "1Gi");
      assertThat(r.plainEnv()).as(what + "JVM options").hasEntrySatisfying("JAVA_TOOL_OPTIONS",
          v -> assertThat(v).contains("-XX:MaxRAMPercentage=60"));
      assertThat(r.mountPaths()).as(what + "writable /tmp").containsEntry("/tmp", "tmp");
      assertThat(r.configMapData().get("OMS_SECRETS_KEY_FILE")).as(what + "secrets key from a Secret volume")
          .startsWith("/etc/oms/secrets-key/");
      assertThat(r.volume("secrets-key")).as(what + "secrets key volume").containsKey("secret");
      assertThat(r.volume("tmp")).as(what + "tmp volume").containsKey("emptyDir");

      // the secrets come from Secrets, never from the ConfigMap or a literal
      assertThat(r.secretEnv()).as(what + "env from Secrets").containsKeys("OMS_DATABASE_URL", "OMS_ADMIN_TOKEN");
      assertThat(r.configMapData()).as(what + "ConfigMap").doesNotContainKeys("OMS_DATABASE_URL", "OMS_ADMIN_TOKEN");
      assertThat(r.plainEnv()).as(what + "literal env").doesNotContainKeys("OMS_DATABASE_URL", "OMS_ADMIN_TOKEN");
      assertThat(r.image()).as(what + "image").contains(":").doesNotEndWith(":latest");

      Map<String, Object> pdb = r.one("PodDisruptionBudget");
      assertThat(map(pdb, "spec").get("minAvailable")).as(what + "PDB minAvailable").isEqualTo(2);
      assertThat(map(map(pdb, "spec"), "selector").get("matchLabels")).as(what + "PDB selects the pods")
          .isEqualTo(map(spec, "selector").get("matchLabels"));
      assertThat(map(r.one("ServiceAccount"), "").get("automountServiceAccountToken")).isEqualTo(false);
      r.one("NetworkPolicy");

      String isoUrl = r.configMapData().get("OMS_ISO_BASE_URL");
      assertThat(isoUrl).as(what + "OMS_ISO_BASE_URL").startsWith("https://").contains(".invalid");
      isoUrls.put(overlay, isoUrl);
    }
    assertThat(isoUrls.get("mapstage")).as("the overlays point at different ISO environments")
        .isNotEqualTo(isoUrls.get("production"));
  }

  @Test
  void theReceiverStartedWithTheRenderedEnvironmentAnswersItsProbes(@TempDir Path dir) throws Exception {
    Rendered r = Rendered.of(K8S.resolve("overlays/production"));
    DevPki pki = DevPki.generate(dir.resolve("pki"));
    // What each Secret volume holds, by the volume's name (the Secret's name differs per overlay).
    Map<String, Map<String, Path>> secretFiles = Map.of(
        "push-tls", Map.of("tls.crt", pki.receiverServer().certificateFile(), "tls.key", pki.receiverServer().keyFile()),
        "iso-client-ca", Map.of("ca.crt", pki.isoCaBundle()),
        "iso-credentials", Map.of("tls.crt", pki.participantClient().certificateFile(),
            "tls.key", pki.participantClient().keyFile(), "ca.crt", pki.isoCaBundle()),
        "secrets-key", Map.of("key", DevEnvironment.secretsKey(pki)));

    // The container's environment: envFrom the ConfigMap, then env (later wins, as in Kubernetes).
    Map<String, String> env = new HashMap<>(r.configMapData());
    env.putAll(r.plainEnv());
    assertThat(r.secretEnv()).containsOnlyKeys("OMS_DATABASE_URL", "OMS_ADMIN_TOKEN", "OMS_CONSOLE_VIEW_TOKEN");
    // every Secret reference is the overlay's own, the optional view-only token's too
    assertThat(r.secretEnv().values()).allSatisfy(ref -> assertThat(ref.toString()).contains("-production"));
    env.put("OMS_CONSOLE_VIEW_TOKEN", UUID.randomUUID().toString().replace("-", ""));
    env.put("OMS_ADMIN_TOKEN", UUID.randomUUID().toString().replace("-", ""));
    env.remove("JAVA_TOOL_OPTIONS");

    // Secret volumes become directories holding the keys the volume projects; the paths in the
    // environment are moved there. A setting pointing at a key the volume does not project fails.
    Map<String, String> mounts = r.mountPaths();
    Map<String, Path> moved = new LinkedHashMap<>();
    for (Map.Entry<String, String> m : mounts.entrySet()) {
      Map<String, Object> volume = r.volume(m.getValue());
      if (volume.containsKey("projected")) {
        // one kubernetes.io/tls Secret per participant, each item into the participant's directory
        Path target = dir.resolve("mounts").resolve(m.getValue());
        Files.createDirectories(target);
        for (Map<String, Object> source : listOfMaps(map(volume, "projected"), "sources")) {
          for (Map<String, Object> item : listOfMaps(map(source, "secret"), "items")) {
            Path file = target.resolve((String) item.get("path"));
            Files.createDirectories(file.getParent());
            Path from = Map.of("tls.crt", pki.otherParticipantClient().certificateFile(),
                "tls.key", pki.otherParticipantClient().keyFile()).get((String) item.get("key"));
            assertThat(from).as("key %s of a participant Secret", item.get("key")).isNotNull();
            Files.copy(from, file);
          }
        }
        moved.put(m.getKey(), target);
        continue;
      }
      if (!volume.containsKey("secret")) {
        continue;
      }
      Map<String, Path> files = secretFiles.get(m.getValue());
      assertThat(files).as("test PKI for Secret volume %s", m.getValue()).isNotNull();
      Path target = dir.resolve("mounts").resolve(m.getValue());
      Files.createDirectories(target);
      if (!map(volume, "secret").containsKey("items")) {
        // every key of the Secret becomes a file of that name
        for (Map.Entry<String, Path> f : files.entrySet()) {
          Files.copy(f.getValue(), target.resolve(f.getKey()));
        }
      }
      for (Map<String, Object> item : map(volume, "secret").containsKey("items")
          ? listOfMaps(map(volume, "secret"), "items") : List.<Map<String, Object>>of()) {
        Path source = files.get((String) item.get("key"));
        assertThat(source).as("key %s of Secret volume %s", item.get("key"), m.getValue()).isNotNull();
        Files.copy(source, target.resolve((String) item.get("path")));
      }
      moved.put(m.getKey(), target);
    }
    for (Map.Entry<String, String> e : env.entrySet()) {
      for (Map.Entry<String, Path> m : moved.entrySet()) {
        if (e.getValue().equals(m.getKey())) {
          e.setValue(m.getValue().toString()); // a directory setting: OMS_PARTICIPANTS_DIR
        } else if (e.getValue().startsWith(m.getKey() + "/")) {
          e.setValue(m.getValue().resolve(e.getValue().substring(m.getKey().length() + 1)).toString());
        }
      }
    }
    assertThat(env.values()).as("no setting points into the container's file system outside a mounted Secret")
        .noneMatch(v -> v.startsWith("/etc/oms/"));

    // The ports the receiver takes from this environment are the ones the manifests probe and expose.
    ReceiverConfig asDeployed = ReceiverConfig.from(env);
    Probe ready = r.probe("readinessProbe");
    Probe live = r.probe("livenessProbe");
    assertThat(asDeployed.opsPort()).as("OMS_OPS_PORT vs the probes' port").isEqualTo(ready.port()).isEqualTo(live.port());
    assertThat(asDeployed.pushPort()).as("OMS_PUSH_PORT vs containerPort push").isEqualTo(r.containerPort("push"));
    assertThat(asDeployed.fanout().adminPort()).as("OMS_ADMIN_PORT vs containerPort admin")
        .isEqualTo(r.containerPort("admin"));
    assertThat(asDeployed.payload().port()).as("OMS_PAYLOAD_PORT vs containerPort payloads")
        .isEqualTo(r.containerPort("payloads"));
    assertThat(asDeployed.iso()).as("redemption configured from the mounted ISO credentials").isNotNull();

    // Run it on loopback with free ports (the only change), on a test database instead of the Secret's URL.
    Map<String, String> local = new HashMap<>(env);
    for (String p : List.of("PUSH", "OPS", "ADMIN", "PAYLOAD")) {
      local.put("OMS_" + p + "_HOST", "127.0.0.1");
      local.put("OMS_" + p + "_PORT", "0");
    }
    ReceiverConfig config = ReceiverConfig.from(local).withDatabaseUrl(TestDatabase.fresh());
    ReceiverApp app = ReceiverApp.start(config).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      assertThat(get(http, app.opsPort(), live.path())).as("GET %s", live.path()).isEqualTo(200);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      int status;
      while ((status = get(http, app.opsPort(), ready.path())) != 200 && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
      assertThat(status).as("GET %s", ready.path()).isEqualTo(200);
      assertThat(app.participants().isParticipant("SC_EXAMPLE2"))
          .as("the participant whose Secret the overlay projects").isTrue();
    } finally {
      // Not stopAndWait (30 s): the start-up catch-up may still be resolving the placeholder ISO host.
      app.stop().toCompletionStage().toCompletableFuture().get(90, TimeUnit.SECONDS);
    }
  }

  // ---------------------------------------------------------------------------------------------

  record Probe(String path, int port) {}

  /** The objects rendered from one kustomization, with accessors for the receiver's Deployment. */
  record Rendered(List<Map<String, Object>> objects) {
    static Rendered of(Path kustomization) {
      return new Rendered(KubernetesManifestsTest.objects(render(kustomization)));
    }

    Map<String, Object> one(String kind) {
      List<Map<String, Object>> found = objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
      assertThat(found).as("rendered objects of kind %s", kind).hasSize(1);
      return found.get(0);
    }

    Map<String, Object> podSpec() {
      return map(map(map(one("Deployment"), "spec"), "template"), "spec");
    }

    Map<String, Object> container() {
      List<Map<String, Object>> containers = listOfMaps(podSpec(), "containers");
      assertThat(containers).as("containers").hasSize(1);
      return containers.get(0);
    }

    String image() {
      return (String) container().get("image");
    }

    int containerPort(String name) {
      return listOfMaps(container(), "ports").stream().filter(p -> name.equals(p.get("name")))
          .map(p -> (Integer) p.get("containerPort")).findFirst()
          .orElseThrow(() -> new AssertionError("no container port named " + name));
    }

    Probe probe(String which) {
      Map<String, Object> get = map(map(container(), which), "httpGet");
      Object port = get.get("port");
      int number = port instanceof Integer i ? i : containerPort((String) port);
      return new Probe((String) get.get("path"), number);
    }

    Map<String, String> configMapData() {
      List<String> names = new ArrayList<>();
      for (Map<String, Object> from : listOfMaps(container(), "envFrom")) {
        names.add((String) map(from, "configMapRef").get("name"));
      }
      assertThat(names).as("envFrom ConfigMaps").hasSize(1);
      Map<String, Object> cm = objects.stream().filter(o -> "ConfigMap".equals(o.get("kind")))
          .filter(o -> names.get(0).equals(map(o, "metadata").get("name"))).findFirst()
          .orElseThrow(() -> new AssertionError("the ConfigMap " + names.get(0) + " is not rendered"));
      Map<String, String> data = new LinkedHashMap<>();
      map(cm, "data").forEach((k, v) -> data.put(k, String.valueOf(v)));
      return data;
    }

    Map<String, String> plainEnv() {
      Map<String, String> env = new LinkedHashMap<>();
      for (Map<String, Object> e : listOfMaps(container(), "env")) {
        if (e.containsKey("value")) {
          env.put((String) e.get("name"), String.valueOf(e.get("value")));
        }
      }
      return env;
    }

    Map<String, Map<String, Object>> secretEnv() {
      Map<String, Map<String, Object>> env = new LinkedHashMap<>();
      for (Map<String, Object> e : listOfMaps(container(), "env")) {
        if (e.containsKey("valueFrom")) {
          env.put((String) e.get("name"), map(map(e, "valueFrom"), "secretKeyRef"));
        }
      }
      return env;
    }

    /** Every Service's ports: port name to target port name. */
    Map<String, String> servicePorts() {
      Map<String, String> ports = new LinkedHashMap<>();
      objects.stream().filter(o -> "Service".equals(o.get("kind"))).forEach(svc -> {
        for (Map<String, Object> p : listOfMaps(map(svc, "spec"), "ports")) {
          ports.put((String) p.get("name"), String.valueOf(p.get("targetPort")));
        }
      });
      return ports;
    }

    /** The NetworkPolicy's ingress: port to the peers allowed ({} = any source, a rule without from). */
    Map<Integer, List<Map<String, Object>>> ingressSources() {
      Map<Integer, List<Map<String, Object>>> allowed = new LinkedHashMap<>();
      for (Map<String, Object> rule : listOfMaps(map(one("NetworkPolicy"), "spec"), "ingress")) {
        List<Map<String, Object>> from = rule.containsKey("from") ? listOfMaps(rule, "from") : List.of(Map.of());
        for (Map<String, Object> port : listOfMaps(rule, "ports")) {
          allowed.computeIfAbsent((Integer) port.get("port"), k -> new ArrayList<>()).addAll(from);
        }
      }
      return allowed;
    }

    /** mountPath to volume name. */
    Map<String, String> mountPaths() {
      Map<String, String> m = new LinkedHashMap<>();
      for (Map<String, Object> v : listOfMaps(container(), "volumeMounts")) {
        m.put((String) v.get("mountPath"), (String) v.get("name"));
      }
      return m;
    }

    Map<String, Object> volume(String name) {
      return listOfMaps(podSpec(), "volumes").stream().filter(v -> name.equals(v.get("name"))).findFirst()
          .orElseThrow(() -> new AssertionError("no volume " + name));
    }
  }

  static int get(HttpClient http, int port, String path) throws Exception {
    HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(5)).GET().build();
    return http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Map<String, Object> parent, String key) {
    if (key.isEmpty()) {
      return parent;
    }
    Object v = parent.get(key);
    assertThat(v).as("field %s", key).isInstanceOf(Map.class);
    return (Map<String, Object>) v;
  }

  @SuppressWarnings("unchecked")
  static List<Object> list(Map<String, Object> parent, String key) {
    Object v = parent.get(key);
    assertThat(v).as("field %s", key).isInstanceOf(List.class);
    return (List<Object>) v;
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> listOfMaps(Map<String, Object> parent, String key) {
    return (List<Map<String, Object>>) (List<?>) list(parent, key);
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> objects(String yaml) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object doc : new Yaml(new LoaderOptions()).loadAll(yaml)) {
      if (doc != null) {
        out.add((Map<String, Object>) doc);
      }
    }
    return out;
  }

  static List<Path> kustomizations() {
    try (Stream<Path> files = Files.walk(K8S)) {
      return files.filter(p -> p.getFileName().toString().equals("kustomization.yaml"))
          .filter(p -> !p.toString().contains("node_modules")).map(Path::getParent).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code kubectl kustomize dir}; skips the test when kubectl is not installed (fails it in CI). */
  static String render(Path dir) {
    String configured = System.getenv("KUBECTL");
    Optional<Path> kubectl = configured != null && !configured.isBlank() ? Optional.of(Path.of(configured))
        : onPath("kubectl");
    RequiredTool.check(kubectl.isPresent() && Files.isExecutable(kubectl.get()),
        "kubectl is not installed (Debian: apt-get install kubernetes-client; .ci/run does)");
    Result r = run(List.of(kubectl.get().toString(), "kustomize", dir.toString()), "");
    assertThat(r.exit).as("kubectl kustomize %s failed:%n%s", dir, r.err).isZero();
    return r.out;
  }

  record Result(int exit, String out, String err) {}

  static Result run(List<String> command, String stdin) {
    try {
      Process p = new ProcessBuilder(command).start();
      CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> drain(p.getInputStream()));
      CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(p.getErrorStream()));
      try (var in = p.getOutputStream()) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("timed out: " + command);
      }
      return new Result(p.exitValue(), out.get(), err.get());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static String drain(InputStream in) {
    try (in) {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      in.transferTo(b);
      return b.toString(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Optional<Path> onPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    return Stream.of(path.split(java.io.File.pathSeparator)).map(d -> Path.of(d, name))
        .filter(Files::isExecutable).findFirst();
  }

  static Path repositoryRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isDirectory(p.resolve("k8s"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new AssertionError("no k8s/ folder above " + Path.of("").toAbsolutePath());
    }
    return p;
  }
}
