package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.receiver.TestReceiver.await;

import com.standardwebhooks.Webhook;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.scenario.Publisher;
import org.omspush.isosim.server.IsoSim;
import org.omspush.isosim.server.IsoSimOptions;
import org.omspush.store.DatabaseUrl;
import org.omspush.store.testing.TestDatabase;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The operator console in a real browser (Debian's chromium through chromedriver) against a real
 * receiver: the ISO stand-in pushes and answers, real subscribers verify each delivery's signature
 * with the Standard Webhooks library. Screenshots of each page go to docs/console/.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTest {
  static final String TOKEN = "console-admin-token-" + UUID.randomUUID();
  static final String VIEW_TOKEN = "console-view-token-" + UUID.randomUUID();
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final Path SHOTS = Path.of("..", "docs", "console");

  @TempDir static Path dir;
  static DevPki pki;
  static Vertx vertx;
  static DatabaseUrl db;
  static IsoSim iso;
  static TestReceiver receiver;
  static HttpServer hook;
  static HttpServer flaky;
  static HttpServer elsewhere;
  static Publisher publisher;
  static WebDriver browser;
  static String hookSecret;
  static String hookId;
  static String flakyId;
  /** While true, the flaky subscriber answers 503 (with a single attempt: a dead letter at once). */
  static final AtomicBoolean flakyDown = new AtomicBoolean(true);
  static final List<Map.Entry<Map<String, List<String>>, String>> hookReceived = new CopyOnWriteArrayList<>();
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    RequiredTool.check(present, "chromium and chromium-driver are not installed (/usr/bin/chromium, "
        + "/usr/bin/chromedriver; apt-get install chromium chromium-driver)");
    pki = DevPki.generate(dir);
    vertx = Vertx.vertx();
    db = TestDatabase.fresh();
    iso = await(IsoSim.start(vertx, IsoSimOptions.of(pki).aupInterval(RedemptionTest.AUP)));
    Map<String, String> env = new HashMap<>(RedemptionTest.isoEnvironment(pki, iso));
    env.put("OMS_ADMIN_TOKEN", TOKEN);
    env.put("OMS_CONSOLE_VIEW_TOKEN", VIEW_TOKEN);
    env.put("OMS_DELIVERY_RETRY_SCHEDULE", "none");
    env.put("OMS_DELIVERY_BREAKER_THRESHOLD", "1000");
    receiver = TestReceiver.start(pki, db, env);
    hook = await(vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      Map<String, List<String>> headers = new HashMap<>();
      req.headers().forEach(e -> headers.computeIfAbsent(e.getKey().toLowerCase(), k -> new ArrayList<>())
          .add(e.getValue()));
      hookReceived.add(Map.entry(headers, b.toString()));
      req.response().setStatusCode(200).end("thanks");
    })).listen(0, "127.0.0.1"));
    flaky = await(vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      boolean down = flakyDown.get();
      req.response().setStatusCode(down ? 503 : 200).end(down ? "down for maintenance" : "back");
    })).listen(0, "127.0.0.1"));
    // Another origin on the same host: the page of a forged cross-site form.
    elsewhere = await(vertx.createHttpServer().requestHandler(req -> req.response()
        .putHeader("Content-Type", "text/html").end("<!doctype html><title>elsewhere</title>"
            + "<form method=post action=\"" + consoleBase() + "/claims/1/retry\">"
            + "<input type=hidden name=csrf value=guessed><button id=forge type=submit>win a prize</button></form>"))
        .listen(0, "127.0.0.1"));
    JsonObject created = new JsonObject(api("POST", "/api/v1/subscribers", new JsonObject()
        .put("url", "http://127.0.0.1:" + hook.actualPort() + "/hook").put("description", "outage desk")
        .put("eventTypes", new JsonArray().add("outage.status-changed")).encode()));
    hookId = created.getString("id");
    hookSecret = created.getString("secret");
    flakyId = new JsonObject(api("POST", "/api/v1/subscribers", new JsonObject()
        .put("url", "http://127.0.0.1:" + flaky.actualPort() + "/flaky").put("description", "flaky system")
        .put("eventTypes", new JsonArray().add("outage.status-changed")).encode())).getString("id");
    publisher = new Publisher(vertx, pki, receiver.url());
    Files.createDirectories(SHOTS);

    String profile = Files.createTempDirectory(dir, "chromium-profile").toString();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + profile, "--window-size=1366,900", "--disable-dev-shm-usage");
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(CHROMEDRIVER.toString())).usingAnyFreePort().build();
    browser = new ChromeDriver(service, options);
    browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
  }

  @AfterAll
  static void stop() throws Exception {
    if (browser != null) {
      browser.quit();
    }
    if (publisher != null) {
      publisher.close();
    }
    if (receiver != null) {
      receiver.close();
    }
    if (iso != null) {
      await(iso.close());
    }
    if (vertx != null) {
      await(vertx.close());
    }
  }

  static String consoleBase() {
    return "http://127.0.0.1:" + receiver.app.adminPort() + "/console";
  }

  static String api(String method, String path, String body) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
            + receiver.app.adminPort() + path)).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(path + ": " + r.body()).isBetween(200, 299);
    return r.body();
  }

  static void pushOutage(String mrid, String status) {
    var v = iso.state().outage(mrid).isEmpty() ? iso.state().createOutage(mrid, "RESOURCE", status)
        : iso.state().change(mrid, status);
    assertThat(await(publisher.publish(iso.state().statusChange(v))).statusCode()).isEqualTo(200);
  }

  static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 60 s: " + what);
      }
      Thread.sleep(50);
    }
  }

  static void open(String path) {
    browser.get(consoleBase() + path);
  }

  static void screenshot(String name) throws Exception {
    byte[] png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
    Files.write(SHOTS.resolve(name + ".png"), png);
  }

  static String text() {
    return browser.findElement(By.tagName("body")).getText();
  }

  static void signIn(String token) {
    open("/sign-in");
    browser.findElement(By.id("token")).sendKeys(token);
    navigate(browser.findElement(By.cssSelector("form button[type=submit]")));
  }

  static void signOut() {
    navigate(browser.findElement(By.cssSelector("form.signout button")));
  }

  /** Clicks what submits a form or follows a link, and waits until the next page replaced this one. */
  static void navigate(WebElement element) {
    // A new document has a new window object: the mark set on this one is gone once it replaced it.
    ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("window.consoleOldPage = true;");
    element.click();
    new WebDriverWait(browser, Duration.ofSeconds(30)).ignoring(org.openqa.selenium.WebDriverException.class)
        .until(d -> Boolean.TRUE.equals(((org.openqa.selenium.JavascriptExecutor) d).executeScript(
            "return window.consoleOldPage === undefined && document.readyState === 'complete';")));
  }

  /** Every field of the page has its label (screen readers name it by that). */
  static void assertLabelled() {
    List<WebElement> inputs = browser.findElements(By.cssSelector("main input:not([type=hidden])"));
    assertThat(inputs).isNotEmpty();
    for (WebElement input : inputs) {
      assertThat(browser.findElements(By.cssSelector("label[for='" + input.getAttribute("id") + "']")))
          .as("a label for " + input.getAttribute("name")).hasSize(1);
    }
  }

  static String stat(String key) {
    return browser.findElement(By.cssSelector("[data-stat='" + key + "']")).getText();
  }

  /** A POST as a script would forge it: the session cookie and CSRF token of the browser's session. */
  static HttpResponse<String> forge(String path, String form, String origin, String site) throws Exception {
    Cookie c = browser.manage().getCookieNamed("oms_console");
    String csrf = browser.findElement(By.name("csrf")).getAttribute("value");
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(consoleBase() + path))
        .POST(HttpRequest.BodyPublishers.ofString("csrf=" + URLEncoder.encode(csrf, StandardCharsets.UTF_8)
            + (form.isEmpty() ? "" : "&" + form)))
        .header("Content-Type", "application/x-www-form-urlencoded").header("Cookie", "oms_console=" + c.getValue());
    if (origin != null) {
      b.header("Origin", origin);
    }
    if (site != null) {
      b.header("Sec-Fetch-Site", site);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static long claimId(String mrid, long version) {
    return ((Number) TestDatabase.rows(db, "select id from claim where outage_mrid = ? and version = ?", mrid, version)
        .get(0).get("id")).longValue();
  }

  static String claimState(long id) {
    return TestDatabase.rows(db, "select state from claim where id = ?", id).get(0).get("state").toString();
  }

  @Test
  @Order(1)
  void signing_in_with_a_wrong_token_is_refused_and_the_admin_token_opens_the_overview() throws Exception {
    open("/overview");
    assertThat(browser.getCurrentUrl()).endsWith("/console/sign-in");
    signIn("not-the-token-at-all-1234");
    assertThat(text()).contains("That token is not the admin token");
    assertThat(browser.manage().getCookieNamed("oms_console")).isNull();
    screenshot("sign-in");
    signIn(TOKEN);
    assertThat(browser.getCurrentUrl()).endsWith("/console/overview");
    Cookie c = browser.manage().getCookieNamed("oms_console");
    assertThat(c.isHttpOnly()).isTrue();
    assertThat(c.getSameSite()).isEqualTo("Strict");
    assertThat(c.getExpiry()).as("a browser session cookie; the signed expiry ends it on the server").isNull();
    assertThat(text()).contains("Signed in: admin");
    // From the keyboard: the first Tab reaches the skip link, which moves focus to the page's content.
    new org.openqa.selenium.interactions.Actions(browser).sendKeys(org.openqa.selenium.Keys.TAB).perform();
    WebElement skip = browser.switchTo().activeElement();
    assertThat(skip.getText()).isEqualTo("Skip to content");
    skip.sendKeys(org.openqa.selenium.Keys.ENTER);
    assertThat(browser.switchTo().activeElement().getAttribute("id")).isEqualTo("main");
  }

  @Test
  @Order(2)
  void the_overview_shows_the_pushes_deliveries_and_dead_letters_of_the_last_hour() throws Exception {
    // One at a time: a version pushed before the one before it is redeemed would supersede it.
    int n = 0;
    for (String[] push : List.of(new String[] {"CONSOLE-A", "RECEIVED"}, new String[] {"CONSOLE-B", "RECEIVED"},
        new String[] {"CONSOLE-A", "APPROVED"})) {
      pushOutage(push[0], push[1]);
      int expected = ++n;
      eventually(expected + " outage versions delivered to the outage desk", () -> TestDatabase.count(db,
          "delivery", "subscriber_id = ?::uuid AND state = 'DELIVERED'", hookId) == expected);
    }
    eventually("three dead letters at the flaky subscriber",
        () -> TestDatabase.count(db, "delivery", "subscriber_id = ?::uuid AND state = 'DEAD'", flakyId) == 3);
    open("/overview");
    assertThat(stat("pushes-1h")).isEqualTo("3");
    assertThat(stat("pushes-24h")).isEqualTo("3");
    assertThat(stat("delivered-1h")).isEqualTo("3");
    assertThat(stat("dead-1h")).isEqualTo("3");
    assertThat(stat("dead-now")).isEqualTo("3");
    assertThat(stat("waiting")).isEqualTo("0");
    assertThat(browser.findElements(By.cssSelector(".chart canvas"))).as("uPlot drew both charts").hasSize(2);
    assertThat(browser.findElements(By.cssSelector(".countdown"))).isNotEmpty();
    screenshot("overview");
    // htmx (under the console's CSP) refreshes the counts in place: what a script wrote there is replaced.
    ((org.openqa.selenium.JavascriptExecutor) browser).executeScript(
        "document.querySelector(\"[data-stat='dead-now']\").textContent = 'stale';"
            + "document.getElementById('live').dispatchEvent(new Event('refresh'));");
    new WebDriverWait(browser, Duration.ofSeconds(30)).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
        .until(d -> stat("dead-now").equals("3"));
    assertThat(browser.findElements(By.cssSelector(".chart canvas"))).as("the charts stay").hasSize(2);
  }

  @Test
  @Order(3)
  void an_outage_found_by_its_mrid_shows_each_version_its_claim_and_its_deliveries() throws Exception {
    open("/outages");
    assertLabelled();
    browser.findElement(By.id("f-q")).sendKeys("console-a");
    navigate(browser.findElement(By.cssSelector("form.filters button")));
    List<WebElement> rows = browser.findElements(By.cssSelector("main table tbody tr"));
    assertThat(rows).hasSize(1);
    assertThat(rows.get(0).getText()).contains("CONSOLE-A").contains("APPROVED").contains("REDEEMED");
    screenshot("outages");
    navigate(rows.get(0).findElement(By.linkText("CONSOLE-A")));
    List<WebElement> versions = browser.findElements(By.cssSelector("ol.timeline > li"));
    assertThat(versions).hasSize(2);
    for (WebElement v : versions) {
      long version = Long.parseLong(v.getAttribute("data-version"));
      assertThat(v.findElement(By.cssSelector("[data-claim='" + claimId("CONSOLE-A", version) + "']")).getText())
          .contains("REDEEMED");
      String msg = TestDatabase.rows(db, "select m.message_id from claim c join inbound_message m "
          + "on m.id = c.inbound_message_id where c.id = ?", claimId("CONSOLE-A", version)).get(0).get("message_id")
          .toString();
      assertThat(v.getText()).contains(msg).contains("/hook").contains("/flaky");
      assertThat(v.findElements(By.cssSelector("tr[data-delivery]"))).hasSize(2);
      assertThat(v.findElement(By.linkText("download")).getAttribute("href")).contains("/console/documents/");
    }
    assertThat(versions.get(0).getText()).contains("RECEIVED → APPROVED");
    screenshot("outage");
  }

  @Test
  @Order(4)
  void replaying_a_dead_letter_delivers_it() throws Exception {
    flakyDown.set(false);
    open("/dead-letters");
    List<WebElement> replays = browser.findElements(By.cssSelector("tr[data-delivery] button"));
    assertThat(replays).hasSize(3);
    screenshot("dead-letters");
    String id = replays.get(0).findElement(By.xpath("./ancestor::tr")).getAttribute("data-delivery");
    navigate(replays.get(0));
    assertThat(text()).contains("1 dead letter sent again.");
    eventually("the replayed delivery delivered", () -> "DELIVERED".equals(TestDatabase.rows(db,
        "select state from delivery where id = ?::uuid", id).get(0).get("state")));
    open("/subscribers/" + flakyId);
    assertThat(browser.findElements(By.cssSelector("section tr[data-delivery='" + id + "']")).stream()
        .anyMatch(r -> r.getText().contains("DELIVERED"))).isTrue();
    assertThat(TestDatabase.count(db, "delivery", "subscriber_id = ?::uuid AND state = 'DEAD'", flakyId)).isEqualTo(2);
  }

  @Test
  @Order(5)
  void retrying_a_dead_claim_redeems_it() throws Exception {
    long id = claimId("CONSOLE-B", 1);
    TestDatabase.execute(db, "update claim set state = 'DEAD', dead_reason = 'attempts', "
        + "last_error = 'the ISO answered 500 five times' where id = ?", id);
    open("/overview");
    assertThat(browser.findElement(By.cssSelector("section.attention")).getText()).contains("1 DEAD claim");
    screenshot("overview-attention");
    open("/claims");
    WebElement row = browser.findElement(By.cssSelector("tr[data-claim='" + id + "']"));
    assertThat(row.getText()).contains("CONSOLE-B").contains("the ISO answered 500 five times");
    screenshot("claims");
    navigate(row.findElement(By.tagName("button")));
    assertThat(text()).contains("Claim " + id + " is PENDING again.");
    eventually("claim " + id + " redeemed again", () -> "REDEEMED".equals(claimState(id)));
    open("/outages/default/CONSOLE-B");
    assertThat(browser.findElement(By.cssSelector("[data-claim='" + id + "']")).getText()).contains("REDEEMED");
  }

  @Test
  @Order(6)
  void a_rotated_secret_is_shown_once_and_the_subscriber_still_verifies_with_it() throws Exception {
    open("/subscribers");
    assertLabelled();
    screenshot("subscribers");
    open("/subscribers/" + hookId);
    navigate(browser.findElement(By.xpath("//button[text()='Rotate secret']")));
    String secret = browser.findElement(By.id("new-secret")).getText();
    assertThat(secret).startsWith("whsec_").isNotEqualTo(hookSecret);
    screenshot("subscriber-rotated");
    open("/subscribers/" + hookId);
    assertThat(browser.findElements(By.id("new-secret"))).as("shown once").isEmpty();
    assertThat(browser.getPageSource()).doesNotContain(secret);
    hookReceived.clear();
    pushOutage("CONSOLE-C", "RECEIVED");
    eventually("CONSOLE-C delivered to the outage desk",
        () -> hookReceived.stream().anyMatch(r -> r.getValue().contains("CONSOLE-C")));
    var got = hookReceived.stream().filter(r -> r.getValue().contains("CONSOLE-C")).findFirst().orElseThrow();
    new Webhook(secret).verify(got.getValue(), got.getKey());
    new Webhook(hookSecret).verify(got.getValue(), got.getKey()); // the old one during its grace
  }

  @Test
  @Order(7)
  void a_test_event_reaches_the_subscriber_signed_and_its_answer_is_shown() throws Exception {
    hookReceived.clear();
    open("/subscribers/" + hookId);
    navigate(browser.findElement(By.xpath("//button[text()='Send test event']")));
    assertThat(browser.findElement(By.cssSelector(".flash")).getText())
        .isEqualTo("The test event was answered 200: thanks.");
    var got = hookReceived.stream().filter(r -> r.getValue().contains("org.omspush.test")).findFirst().orElseThrow();
    new Webhook(hookSecret).verify(got.getValue(), got.getKey());
    assertThat(new JsonObject(got.getValue()).getString("type")).isEqualTo("org.omspush.test");
    flakyDown.set(true);
    try {
      open("/subscribers/" + flakyId);
      navigate(browser.findElement(By.xpath("//button[text()='Send test event']")));
      assertThat(browser.findElement(By.cssSelector(".flash")).getText())
          .isEqualTo("The test event was answered 503: down for maintenance.");
    } finally {
      flakyDown.set(false);
    }
    assertThat(TestDatabase.count(db, "delivery", "subscriber_id = ?::uuid AND state = 'DEAD'", flakyId))
        .as("not stored as a delivery").isEqualTo(2);
  }

  @Test
  @Order(8)
  void the_participants_page_shows_each_certificates_expiry_and_gates() throws Exception {
    open("/participants");
    assertThat(text()).contains("Days left").contains(pki.participantClient().chain().get(0).getSubjectX500Principal()
        .getName());
    screenshot("participants");
  }

  @Test
  @Order(9)
  void a_forged_cross_site_post_is_refused() throws Exception {
    long id = claimId("CONSOLE-A", 1);
    TestDatabase.execute(db, "update claim set state = 'DEAD', dead_reason = 'attempts' where id = ?", id);
    open("/claims");
    // A script that holds the cookie and the CSRF token still needs the console's own origin.
    assertThat(forge("/claims/" + id + "/retry", "", "http://evil.example", null).statusCode()).isEqualTo(403);
    assertThat(forge("/claims/" + id + "/retry", "", null, "cross-site").statusCode()).isEqualTo(403);
    assertThat(forge("/claims/" + id + "/retry", "", null, null).statusCode()).as("neither header").isEqualTo(403);
    // A page on another origin of the same host (same site: the Strict cookie goes along).
    browser.get("http://127.0.0.1:" + elsewhere.actualPort() + "/");
    navigate(browser.findElement(By.id("forge")));
    assertThat(text()).contains("Refused");
    assertThat(claimState(id)).isEqualTo("DEAD");
    // The console's own form, without the session's CSRF token, is refused too.
    open("/claims");
    ((org.openqa.selenium.JavascriptExecutor) browser).executeScript(
        "document.querySelectorAll('input[name=csrf]').forEach(function (i) { i.value = 'x'; });");
    navigate(browser.findElement(By.cssSelector("tr[data-claim='" + id + "'] button")));
    assertThat(text()).contains("CSRF token");
    assertThat(claimState(id)).isEqualTo("DEAD");
    // ...and with it, the same form works.
    open("/claims");
    navigate(browser.findElement(By.cssSelector("tr[data-claim='" + id + "'] button")));
    assertThat(text()).contains("Claim " + id + " is PENDING again.");
  }

  @Test
  @Order(10)
  void signing_out_ends_the_session() throws Exception {
    open("/overview");
    Cookie before = browser.manage().getCookieNamed("oms_console");
    signOut();
    assertThat(browser.getCurrentUrl()).endsWith("/console/sign-in");
    assertThat(browser.manage().getCookieNamed("oms_console")).isNull();
    open("/subscribers");
    assertThat(browser.getCurrentUrl()).contains("/console/sign-in");
    assertThat(before).isNotNull();
  }

  @Test
  @Order(11)
  void a_view_only_session_sees_no_actions_and_is_refused_one_forged_by_hand() throws Exception {
    long id = claimId("CONSOLE-B", 1);
    TestDatabase.execute(db, "update claim set state = 'DEAD', dead_reason = 'attempts' where id = ?", id);
    signIn(VIEW_TOKEN);
    assertThat(text()).contains("Signed in: view only");
    for (String page : List.of("/overview", "/claims", "/subscribers", "/subscribers/" + flakyId, "/dead-letters",
        "/outages/default/CONSOLE-B")) {
      open(page);
      assertThat(browser.findElements(By.cssSelector("main form[method=post]"))).as(page).isEmpty();
    }
    open("/claims");
    assertThat(browser.findElements(By.cssSelector("section[aria-labelledby=dead] tr[data-claim='" + id + "']")))
        .as("claim " + id + " listed as DEAD").hasSize(1);
    screenshot("claims-view-only");
    HttpResponse<String> r = forge("/claims/" + id + "/retry", "", consoleBase().replace("/console", ""),
        "same-origin");
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("view only");
    assertThat(claimState(id)).isEqualTo("DEAD");
    HttpResponse<String> rotate = forge("/subscribers/" + hookId + "/rotate", "", null, "same-origin");
    assertThat(rotate.statusCode()).isEqualTo(403);
    signOut();
  }

  @Test
  @Order(12)
  void an_expired_session_goes_back_to_sign_in() throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("OMS_ADMIN_TOKEN", TOKEN);
    env.put("OMS_CONSOLE_SESSION_TTL", "2s");
    env.put("OMS_PUSH_PORT", "0");
    try (TestReceiver shortLived = TestReceiver.start(pki, db, env)) {
      String base = "http://127.0.0.1:" + shortLived.app.adminPort() + "/console";
      browser.get(base + "/sign-in");
      browser.findElement(By.id("token")).sendKeys(TOKEN);
      navigate(browser.findElement(By.cssSelector("form button[type=submit]")));
      assertThat(browser.getCurrentUrl()).endsWith("/console/overview");
      Thread.sleep(2_500);
      browser.get(base + "/claims");
      assertThat(browser.getCurrentUrl()).endsWith("/console/sign-in?expired=1");
      assertThat(text()).contains("Your session has ended");
      screenshot("session-ended");
    }
  }
}
