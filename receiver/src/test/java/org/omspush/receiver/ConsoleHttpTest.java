package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.scenario.Publisher;
import org.omspush.isosim.state.IsoState;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.testing.TestDatabase;

/**
 * The console's sign-in, session cookie, origin and CSRF checks and roles over plain HTTP (no
 * browser), on a real receiver: what a script, not a browser, can and cannot do.
 */
class ConsoleHttpTest {
  static final String TOKEN = "console-http-admin-" + UUID.randomUUID();
  static final String VIEW_TOKEN = "console-http-view-" + UUID.randomUUID();
  static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"");

  @TempDir static Path dir;
  static DevPki pki;
  static DatabaseUrl db;
  static TestReceiver receiver;
  static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void start() {
    pki = DevPki.generate(dir);
    db = TestDatabase.fresh();
    receiver = TestReceiver.start(pki, db, Map.of("OMS_ADMIN_TOKEN", TOKEN, "OMS_CONSOLE_VIEW_TOKEN", VIEW_TOKEN));
    IsoState state = new IsoState();
    try (Publisher p = new Publisher(receiver.vertx, pki, receiver.url())) {
      var v = state.createOutage("HTTP-1", "RESOURCE", "RECEIVED");
      assertThat(TestReceiver.await(p.publish(state.statusChange(v))).statusCode()).isEqualTo(200);
    }
    TestDatabase.execute(db, "update claim set state = 'DEAD', dead_reason = 'attempts'");
  }

  @AfterAll
  static void stop() throws Exception {
    receiver.close();
  }

  static String origin() {
    return "http://127.0.0.1:" + receiver.app.adminPort();
  }

  static HttpResponse<String> get(String path, String cookie) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(origin() + path)).timeout(Duration.ofSeconds(30));
    if (cookie != null) {
      b.header("Cookie", cookie);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> post(String path, String form, String cookie, String origin) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(origin() + path)).timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofString(form)).header("Content-Type", "application/x-www-form-urlencoded");
    if (cookie != null) {
      b.header("Cookie", cookie);
    }
    if (origin != null) {
      b.header("Origin", origin);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String form(String name, String value) {
    return name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  /** Signs in; the cookie as a browser would send it back. */
  static String signIn(String token) throws Exception {
    HttpResponse<String> r = post("/console/sign-in", form("token", token), null, origin());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(303);
    String setCookie = r.headers().firstValue("set-cookie").orElseThrow();
    return setCookie.substring(0, setCookie.indexOf(';'));
  }

  static String csrf(String cookie) throws Exception {
    Matcher m = CSRF.matcher(get("/console/overview", cookie).body());
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  static String claimState() {
    return TestDatabase.rows(db, "select state from claim").get(0).get("state").toString();
  }

  @Test
  void without_a_session_pages_go_to_sign_in_and_actions_are_refused() throws Exception {
    for (String path : List.of("/console/overview", "/console/claims", "/console/outages/default/HTTP-1",
        "/console/documents/1", "/console/no-such-page")) {
      HttpResponse<String> r = get(path, null);
      assertThat(r.statusCode()).as(path).isEqualTo(303);
      assertThat(r.headers().firstValue("location")).as(path).hasValue("/console/sign-in");
    }
    HttpResponse<String> r = post("/console/claims/retry", form("state", "DEAD"), null, origin());
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.body()).contains("Sign in");
    assertThat(claimState()).isEqualTo("DEAD");
  }

  @Test
  void the_sign_in_sets_an_http_only_same_site_strict_cookie_and_a_wrong_token_none() throws Exception {
    HttpResponse<String> wrong = post("/console/sign-in", form("token", "not-the-token-0000000"), null, origin());
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.headers().firstValue("set-cookie")).isEmpty();
    HttpResponse<String> r = post("/console/sign-in", form("token", TOKEN), null, origin());
    assertThat(r.statusCode()).isEqualTo(303);
    String setCookie = r.headers().firstValue("set-cookie").orElseThrow();
    assertThat(setCookie).startsWith("oms_console=").contains("Path=/console/", "SameSite=Strict")
        .containsIgnoringCase("; HttpOnly")
        .doesNotContain("Secure").doesNotContain(TOKEN);
    HttpResponse<String> crossSite = post("/console/sign-in", form("token", TOKEN), null, "http://evil.example");
    assertThat(crossSite.statusCode()).isEqualTo(403);
    assertThat(crossSite.headers().firstValue("set-cookie")).isEmpty();
  }

  @Test
  void pages_forbid_anything_from_another_host_and_the_libraries_come_from_the_jar() throws Exception {
    String cookie = signIn(TOKEN);
    HttpResponse<String> page = get("/console/overview", cookie);
    assertThat(page.statusCode()).isEqualTo(200);
    String csp = page.headers().firstValue("content-security-policy").orElseThrow();
    assertThat(csp).contains("default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
        "form-action 'self'").doesNotContain("unsafe-inline", "unsafe-eval", "http:", "https:");
    assertThat(page.headers().firstValue("cache-control")).hasValue("no-store");
    assertThat(page.body()).doesNotContain("http://", "https://").doesNotContain("<script>");
    Matcher sources = Pattern.compile("(?:src|href)=\"(/console/(?:webjars|assets)/[^\"]+)\"").matcher(page.body());
    int n = 0;
    while (sources.find()) {
      HttpResponse<String> asset = get(sources.group(1), null);
      assertThat(asset.statusCode()).as(sources.group(1)).isEqualTo(200);
      assertThat(asset.body()).as(sources.group(1)).isNotBlank();
      n++;
    }
    assertThat(n).as("htmx, uPlot (script and style), the console's script and style").isEqualTo(5);
  }

  @Test
  void htmx_refreshes_only_the_live_part_of_the_overview() throws Exception {
    String cookie = signIn(TOKEN);
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(origin() + "/console/overview"))
        .header("Cookie", cookie).header("HX-Request", "true").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).startsWith("<div id=\"live\"").contains("data-stat=\"pushes-1h\">1<", "1 DEAD claim")
        .doesNotContain("<html", "data-chart");
  }

  @Test
  void an_action_needs_the_sessions_csrf_token_and_this_origin() throws Exception {
    String cookie = signIn(TOKEN);
    String token = csrf(cookie);
    String otherSessionToken = csrf(signIn(TOKEN));
    assertThat(post("/console/claims/retry", form("state", "DEAD"), cookie, origin()).statusCode()).isEqualTo(403);
    assertThat(post("/console/claims/retry", form("state", "DEAD") + "&" + form("csrf", otherSessionToken), cookie,
        origin()).statusCode()).as("another session's token").isEqualTo(403);
    assertThat(post("/console/claims/retry", form("state", "DEAD") + "&" + form("csrf", token), cookie,
        "http://evil.example").statusCode()).isEqualTo(403);
    assertThat(post("/console/claims/retry", form("state", "DEAD") + "&" + form("csrf", token), cookie, null)
        .statusCode()).as("neither Origin nor Sec-Fetch-Site").isEqualTo(403);
    assertThat(claimState()).isEqualTo("DEAD");
    HttpResponse<String> done = post("/console/claims/retry", form("state", "DEAD") + "&" + form("csrf", token),
        cookie, origin());
    assertThat(done.statusCode()).isEqualTo(303);
    assertThat(done.headers().firstValue("location").orElseThrow()).startsWith("/console/claims?done=1%20DEAD");
    assertThat(claimState()).isEqualTo("PENDING");
    TestDatabase.execute(db, "update claim set state = 'DEAD'");
  }

  @Test
  void an_altered_cookie_is_no_session() throws Exception {
    String cookie = signIn(VIEW_TOKEN);
    String admin = cookie.replace("oms_console=view.", "oms_console=admin.");
    assertThat(admin).isNotEqualTo(cookie);
    HttpResponse<String> r = get("/console/overview", admin);
    assertThat(r.statusCode()).isEqualTo(303);
    assertThat(r.headers().firstValue("location")).hasValue("/console/sign-in?expired=1");
    assertThat(r.headers().firstValue("set-cookie").orElseThrow()).contains("Max-Age=0");
  }

  @Test
  void a_view_only_session_reads_but_every_action_is_refused() throws Exception {
    String cookie = signIn(VIEW_TOKEN);
    String token = csrf(cookie);
    HttpResponse<String> page = get("/console/claims", cookie);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("HTTP-1").doesNotContain("/retry\"");
    String subscriber = UUID.randomUUID().toString();
    for (String path : List.of("/console/claims/retry", "/console/claims/1/retry", "/console/subscribers",
        "/console/subscribers/" + subscriber, "/console/subscribers/" + subscriber + "/rotate",
        "/console/subscribers/" + subscriber + "/replay", "/console/subscribers/" + subscriber + "/enabled")) {
      HttpResponse<String> r = post(path, form("state", "DEAD") + "&" + form("csrf", token), cookie, origin());
      assertThat(r.statusCode()).as(path).isEqualTo(403);
      assertThat(r.body()).as(path).contains("view only");
    }
    assertThat(claimState()).isEqualTo("DEAD");
    assertThat(post("/console/sign-out", form("csrf", token), cookie, origin()).statusCode()).isEqualTo(303);
  }

  @Test
  void listings_filter_by_participant_and_refuse_what_is_no_participant_key() throws Exception {
    String cookie = signIn(VIEW_TOKEN);
    assertThat(get("/console/claims?participant=default", cookie).body()).contains("HTTP-1");
    assertThat(get("/console/claims?participant=SC_OTHER", cookie).body()).doesNotContain("HTTP-1");
    assertThat(get("/console/claims", cookie).body()).contains("HTTP-1");
    for (String page : List.of("claims", "dead-letters", "subscribers", "outages")) {
      HttpResponse<String> r = get("/console/" + page + "?participant=" + URLEncoder.encode("<b>no key",
          StandardCharsets.UTF_8), cookie);
      assertThat(r.statusCode()).as(page).isEqualTo(400);
      assertThat(r.body()).as(page).contains("participant key is 1 to 32").contains("&lt;b&gt;no key")
          .doesNotContain("<b>no key");
    }
  }

  @Test
  void the_session_cookie_does_not_open_the_admin_api() throws Exception {
    String cookie = signIn(TOKEN);
    HttpResponse<String> r = get("/api/v1/claims", cookie);
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/problem+json");
  }

  @Test
  void with_tls_on_the_admin_port_the_cookie_is_secure() throws Exception {
    DatabaseUrl other = TestDatabase.fresh();
    try (TestReceiver tls = TestReceiver.start(pki, other, Map.of("OMS_ADMIN_TOKEN", TOKEN,
        "OMS_ADMIN_TLS_CERT", pki.receiverServer().certificateFile().toString(),
        "OMS_ADMIN_TLS_KEY", pki.receiverServer().keyFile().toString()))) {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      trust.setCertificateEntry("server-ca", pki.serverCa().certificate());
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      HttpClient https = HttpClient.newBuilder().sslContext(ssl).version(HttpClient.Version.HTTP_1_1).build();
      String base = "https://localhost:" + tls.app.adminPort();
      HttpResponse<String> r = https.send(HttpRequest.newBuilder(URI.create(base + "/console/sign-in"))
          .POST(HttpRequest.BodyPublishers.ofString(form("token", TOKEN))).header("Origin", base)
          .header("Content-Type", "application/x-www-form-urlencoded").build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(303);
      assertThat(r.headers().firstValue("set-cookie").orElseThrow()).contains("; Secure", "SameSite=Strict")
          .containsIgnoringCase("; HttpOnly");
    }
  }
}
