package org.omspush.receiver.console;

import static org.omspush.receiver.console.Html.badge;
import static org.omspush.receiver.console.Html.e;
import static org.omspush.receiver.console.Html.hidden;
import static org.omspush.receiver.console.Html.time;
import static org.omspush.receiver.console.Html.u;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.omspush.claimcheck.retrieve.IsoIdentity;
import org.omspush.fanout.Fanout;
import org.omspush.fanout.SubscriberDraft;
import org.omspush.fanout.SubscriberProblem;
import org.omspush.fanout.Subscribers;
import org.omspush.receiver.participants.Participants;
import org.omspush.receiver.tls.CertificateExpiry;
import org.omspush.store.ActivityCounts;
import org.omspush.store.Claims;
import org.omspush.store.Events;
import org.omspush.store.Outages;
import org.omspush.store.ParticipantKey;
import org.omspush.store.StateCounts;
import org.omspush.store.StoreFailures;
import org.omspush.store.StoreOutcome;
import org.omspush.store.fanout.DeliveryRecord;
import org.omspush.store.fanout.Subscriber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator console under {@code /console/} on the admin port: server-rendered pages over the
 * same store queries as the admin API, signed in with the admin token or the view-only token
 * ({@link Sessions}). Every POST is checked for origin and CSRF token; actions need the admin role.
 */
public final class Console {
  private static final Logger log = LoggerFactory.getLogger(Console.class);
  static final String COOKIE = "oms_console";
  private static final String HTML = "text/html; charset=utf-8";
  private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      + "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
  private static final int CERT_WARN_DAYS = 30;
  private static final Set<String> ACCEPTED = Set.of("abandoned", StoreOutcome.STORED.name().toLowerCase(Locale.ROOT),
      StoreOutcome.DUPLICATE.name().toLowerCase(Locale.ROOT));

  private final Sessions sessions;
  private final boolean secure;
  private final Fanout fanout;
  private final Subscribers subscribers;
  private final Claims claims;
  private final Outages outages;
  private final StateCounts counts;
  private final ActivityCounts activity;
  private final List<IsoIdentity> identities;
  private final Participants participants;
  private final MeterRegistry metrics;
  private final Clock clock;

  /**
   * @param derivedKey   key material derived from the secrets' sealing key (sessions are signed with it)
   * @param viewToken    OMS_CONSOLE_VIEW_TOKEN, or null
   * @param secure       whether the admin port has TLS (the cookie is then Secure)
   * @param participants null when not configured
   */
  public Console(byte[] derivedKey, String adminToken, String viewToken, Duration sessionTtl, boolean secure,
      Fanout fanout, Claims claims, List<IsoIdentity> identities, Participants participants, MeterRegistry metrics,
      Clock clock) {
    this.sessions = new Sessions(derivedKey, adminToken, viewToken, sessionTtl);
    this.secure = secure;
    this.fanout = fanout;
    this.subscribers = fanout.subscribers();
    this.claims = claims;
    this.outages = new Outages(fanout.pool());
    this.counts = new StateCounts(fanout.pool());
    this.activity = new ActivityCounts(fanout.pool());
    this.identities = List.copyOf(identities);
    this.participants = participants;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** Adds /console/ to the admin router (before its catch-all). */
  public void mount(Vertx vertx, Router admin) {
    Router r = Router.router(vertx);
    r.route().handler(this::headers);
    r.get("/assets/*").handler(StaticHandler.create("console/assets").setCachingEnabled(true));
    r.get("/webjars/*").handler(StaticHandler.create("META-INF/resources/webjars").setCachingEnabled(true));
    r.route().handler(BodyHandler.create(false).setBodyLimit(64 * 1024));
    r.get("/").handler(ctx -> redirect(ctx, "/console/overview"));
    r.get("/sign-in").handler(this::signInPage);
    r.post("/sign-in").handler(this::signIn);
    r.route().handler(this::authenticate);
    r.post().handler(this::checkPost);
    r.post("/sign-out").handler(this::signOut);
    r.post().handler(this::requireAdmin);
    r.get("/overview").handler(this::overview);
    r.get("/outages").handler(this::outages);
    r.get("/outages/:participant/:mrid").handler(this::outage);
    r.get("/documents/:id").handler(this::document);
    r.get("/subscribers").handler(this::subscribers);
    r.post("/subscribers").handler(this::createSubscriber);
    r.get("/subscribers/:id").handler(this::subscriber);
    r.post("/subscribers/:id").handler(this::editSubscriber);
    r.post("/subscribers/:id/enabled").handler(this::enableSubscriber);
    r.post("/subscribers/:id/rotate").handler(this::rotate);
    r.post("/subscribers/:id/replay").handler(this::replay);
    r.post("/subscribers/:id/test").handler(this::sendTest);
    r.get("/dead-letters").handler(this::deadLetters);
    r.get("/claims").handler(this::claims);
    r.post("/claims/:id/retry").handler(this::retryClaim);
    r.post("/claims/retry").handler(this::retryClaims);
    r.get("/participants").handler(this::participants);
    r.route().last().handler(ctx -> html(ctx.response().setStatusCode(404), ctx, Html.bare("Not found",
        "<p>No console page at " + e(ctx.request().path()) + ".</p><p><a href=\"/console/overview\">Overview</a></p>")));
    admin.get("/console").handler(ctx -> redirect(ctx, "/console/"));
    admin.route("/console/*").subRouter(r);
  }

  // ---- sessions, CSRF, roles

  private void headers(RoutingContext ctx) {
    ctx.response().putHeader("Content-Security-Policy", CSP).putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "same-origin").putHeader("X-Frame-Options", "DENY")
        .putHeader("Cross-Origin-Opener-Policy", "same-origin");
    ctx.next();
  }

  private void signInPage(RoutingContext ctx) {
    signInForm(ctx, 200, "1".equals(ctx.queryParams().get("expired"))
        ? "Your session has ended. Sign in again." : null);
  }

  private void signInForm(RoutingContext ctx, int status, String message) {
    String body = (message == null ? "" : "<p class=\"flash\" role=\"alert\">" + e(message) + "</p>")
        + "<form method=\"post\" action=\"/console/sign-in\" class=\"stack\">"
        + "<label for=\"token\">Admin token or view-only token</label>"
        + "<input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" required autofocus>"
        + "<button type=\"submit\">Sign in</button></form>"
        + "<p class=\"hint\">The admin token is OMS_ADMIN_TOKEN; OMS_CONSOLE_VIEW_TOKEN signs in to look only. "
        + "A session lasts " + e(Html.age(sessions.ttl().toSeconds())) + ".</p>";
    html(ctx.response().setStatusCode(status), ctx, Html.bare("Sign in", body));
  }

  private void signIn(RoutingContext ctx) {
    if (!sameOrigin(ctx)) {
      refuse(ctx, "the request did not come from this console's own pages");
      return;
    }
    Sessions.Role role = sessions.signIn(ctx.request().getFormAttribute("token"));
    if (role == null) {
      log.warn("console: sign-in refused from {}", ctx.request().remoteAddress());
      signInForm(ctx, 401, "That token is not the admin token or the view-only token.");
      return;
    }
    log.info("console: signed in ({}) from {}", role.code(), ctx.request().remoteAddress());
    // A browser session cookie: the expiry signed into it ends it on every replica.
    ctx.response().addCookie(cookie(sessions.issue(role, clock.instant()), Long.MIN_VALUE));
    redirect(ctx, "/console/overview");
  }

  private void signOut(RoutingContext ctx) {
    ctx.response().addCookie(cookie("", 0));
    redirect(ctx, "/console/sign-in");
  }

  /** @param maxAge Long.MIN_VALUE = until the browser closes */
  private Cookie cookie(String value, long maxAge) {
    Cookie c = Cookie.cookie(COOKIE, value).setPath("/console/").setHttpOnly(true).setSecure(secure)
        .setSameSite(CookieSameSite.STRICT);
    return maxAge == Long.MIN_VALUE ? c : c.setMaxAge(maxAge);
  }

  private void authenticate(RoutingContext ctx) {
    Cookie c = ctx.request().getCookie(COOKIE);
    Sessions.Session s = sessions.verify(c == null ? null : c.getValue(), clock.instant());
    if (s == null) {
      if (c != null) {
        ctx.response().addCookie(cookie("", 0));
      }
      if (ctx.request().method() == HttpMethod.GET || ctx.request().method() == HttpMethod.HEAD) {
        redirect(ctx, "/console/sign-in" + (c != null ? "?expired=1" : ""));
      } else {
        signInForm(ctx, 401, "Your session has ended. Sign in again; the action was not done.");
      }
      return;
    }
    ctx.put("session", s);
    ctx.next();
  }

  /** Every POST: from this console's own pages (origin) and carrying the session's CSRF token. */
  private void checkPost(RoutingContext ctx) {
    if (!sameOrigin(ctx)) {
      refuse(ctx, "the request did not come from this console's own pages");
      return;
    }
    String token = ctx.request().getFormAttribute("csrf");
    if (token == null) {
      token = ctx.request().getHeader("X-CSRF-Token");
    }
    if (!sessions.csrfMatches(session(ctx), token)) {
      refuse(ctx, "the form's CSRF token is missing or not this session's; reload the page and try again");
      return;
    }
    ctx.next();
  }

  private void requireAdmin(RoutingContext ctx) {
    if (session(ctx).role() != Sessions.Role.ADMIN) {
      refuse(ctx, "this session is view only; sign in with the admin token to act");
      return;
    }
    ctx.next();
  }

  /** Sec-Fetch-Site when the browser sends it, else Origin against the Host the request was sent to. */
  private static boolean sameOrigin(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    String site = req.getHeader("Sec-Fetch-Site");
    String origin = req.getHeader("Origin");
    if (site != null) {
      if (!site.equals("same-origin")) {
        return false;
      }
      if (origin == null || origin.equals("null")) {
        return true;
      }
    } else if (origin == null || origin.equals("null")) {
      return false; // a browser sends one or the other; without both the request is not from our pages
    }
    // The Host header, or :authority over HTTP/2
    io.vertx.core.net.HostAndPort authority = req.authority();
    String host = authority == null ? null
        : authority.port() >= 0 ? authority.host() + ":" + authority.port() : authority.host();
    int scheme = origin.indexOf("://");
    return host != null && scheme > 0 && origin.substring(scheme + 3).equalsIgnoreCase(host);
  }

  private void refuse(RoutingContext ctx, String why) {
    log.warn("console: {} {} refused: {} (Origin {}, Sec-Fetch-Site {}, Host {})", ctx.request().method(),
        ctx.request().path(), why, ctx.request().getHeader("Origin"), ctx.request().getHeader("Sec-Fetch-Site"),
        ctx.request().authority());
    html(ctx.response().setStatusCode(403), ctx, Html.bare("Refused", "<p role=\"alert\">Refused: " + e(why)
        + ".</p><p><a href=\"/console/overview\">Back to the overview</a></p>"));
  }

  private static Sessions.Session session(RoutingContext ctx) {
    return ctx.get("session");
  }

  private Page.Context context(RoutingContext ctx) {
    Sessions.Session s = session(ctx);
    return new Page.Context(s.role().code(), sessions.csrf(s), ctx.queryParams().get("done"));
  }

  // ---- overview

  private void overview(RoutingContext ctx) {
    Future<StateCounts.Snapshot> snapshot = counts.read();
    Future<Map<String, ActivityCounts.Window>> windows = activity.windows();
    // htmx's refresh of the live part: no charts or gates to read
    boolean refresh = ctx.request().getHeader("HX-Request") != null;
    Future<List<ActivityCounts.Hour>> hourly = refresh ? Future.succeededFuture(List.of()) : activity.hourly();
    Future<List<Claims.Gate>> gates = claims.gates();
    Future<List<Subscriber>> subs = subscribers.list();
    render(ctx, Future.all(snapshot, windows, hourly, gates, subs), x -> {
      StateCounts.Snapshot s = snapshot.result();
      // htmx refreshes what needs attention and the counts in place every 30 s.
      StringBuilder b = new StringBuilder("<div id=\"live\" hx-get=\"/console/overview\" hx-trigger=\"every 30s, refresh\" "
          + "hx-select=\"#live\" hx-target=\"this\" hx-swap=\"outerHTML\">");
      b.append(attention(s, gates.result(), subs.result()));
      ActivityCounts.Window h = windows.result().get("1h");
      ActivityCounts.Window d = windows.result().get("24h");
      long waiting = s.claims().getOrDefault("PENDING", 0L);
      b.append("<section aria-labelledby=\"activity\"><h2 id=\"activity\">Activity</h2>")
          .append("<table class=\"stats\"><thead><tr><th scope=\"col\">What</th><th scope=\"col\">Last hour</th>")
          .append("<th scope=\"col\">Last 24 h</th></tr></thead><tbody>")
          .append(statRow("pushes", "Pushes stored (each MessageID once)", h.pushes(), d.pushes()))
          .append(statRow("caught-up", "Changes found by catch-up", h.caughtUp(), d.caughtUp()))
          .append(statRow("delivered", "Deliveries", h.delivered(), d.delivered()))
          .append(statRow("dead", "Dead letters", h.dead(), d.dead()))
          .append("</tbody></table><dl class=\"facts\">")
          .append("<div><dt>Claims waiting</dt><dd data-stat=\"waiting\">").append(waiting).append("</dd></div>")
          .append("<div><dt>Oldest waiting claim</dt><dd data-stat=\"oldest\">")
          .append(waiting == 0 ? "—" : e(Html.age(s.oldestPendingClaimSeconds()))).append("</dd></div>")
          .append("<div><dt>Dead letters now</dt><dd data-stat=\"dead-now\">")
          .append(s.deliveries().getOrDefault("DEAD", 0L)).append("</dd></div>")
          .append("<div><dt>Refusals (this replica, since it started)</dt><dd data-stat=\"refusals\">")
          .append(refusals()).append("</dd></div></dl></section></div>");
      if (refresh) {
        return b.toString();
      }
      JsonArray hours = new JsonArray();
      JsonArray pushes = new JsonArray();
      JsonArray delivered = new JsonArray();
      for (ActivityCounts.Hour hour : hourly.result()) {
        hours.add(hour.hour().toEpochSecond());
        pushes.add(hour.pushes());
        delivered.add(hour.delivered());
      }
      b.append("<section aria-labelledby=\"charts\"><h2 id=\"charts\">Last 24 hours, per hour</h2><div class=\"charts\">")
          .append(chart("chart-pushes", "Pushes per hour", hours, pushes))
          .append(chart("chart-delivered", "Deliveries per hour", hours, delivered)).append("</div></section>");
      b.append("<section aria-labelledby=\"gates\"><h2 id=\"gates\">AUP gates</h2>").append(gateTable(gates.result()))
          .append("</section>");
      return Html.page("Overview", "overview", context(ctx), b.toString());
    });
  }

  private static String statRow(String key, String label, long hour, long day) {
    return "<tr><th scope=\"row\">" + e(label) + "</th><td data-stat=\"" + key + "-1h\">" + hour
        + "</td><td data-stat=\"" + key + "-24h\">" + day + "</td></tr>";
  }

  private static String chart(String id, String label, JsonArray x, JsonArray y) {
    JsonObject data = new JsonObject().put("label", label).put("x", x).put("y", y);
    long total = y.stream().mapToLong(v -> ((Number) v).longValue()).sum();
    return "<figure><figcaption id=\"" + id + "-label\">" + e(label) + " (" + total + " in all)</figcaption>"
        + "<div class=\"chart\" data-chart=\"" + id + "-data\" role=\"img\" aria-labelledby=\"" + id + "-label\"></div>"
        + "<script type=\"application/json\" id=\"" + id + "-data\">" + data.encode().replace("<", "\\u003c")
        + "</script></figure>";
  }

  private long refusals() {
    double n = 0;
    for (Counter c : metrics.find("oms.push.requests").counters()) {
      if (!ACCEPTED.contains(c.getId().getTag("outcome"))) {
        n += c.count();
      }
    }
    return (long) n;
  }

  private String attention(StateCounts.Snapshot s, List<Claims.Gate> gates, List<Subscriber> subs) {
    List<String> items = new ArrayList<>();
    long dead = s.claims().getOrDefault("DEAD", 0L);
    long unserviceable = s.claims().getOrDefault("UNSERVICEABLE", 0L);
    if (dead > 0) {
      items.add("<a href=\"/console/claims\">" + dead + " DEAD claim" + (dead == 1 ? "" : "s") + "</a> to retry");
    }
    if (unserviceable > 0) {
      items.add("<a href=\"/console/claims\">" + unserviceable + " UNSERVICEABLE claim"
          + (unserviceable == 1 ? "" : "s") + "</a>");
    }
    OffsetDateTime now = OffsetDateTime.now(clock);
    for (Subscriber sub : subs) {
      if (sub.pausedUntil() != null && sub.pausedUntil().isAfter(now)) {
        items.add("Circuit breaker open for <a href=\"/console/subscribers/" + sub.id() + "\">" + e(sub.url())
            + "</a> until " + time(sub.pausedUntil()));
      }
    }
    for (Gauge g : metrics.find(CertificateExpiry.METRIC).gauges()) {
      double days = g.value();
      if (!Double.isNaN(days) && days < CERT_WARN_DAYS) {
        items.add("Certificate " + e(g.getId().getTag("certificate")) + " (" + e(g.getId().getTag("subject"))
            + ") expires in " + (long) Math.floor(days) + " days");
      }
    }
    for (Claims.Gate g : gates) {
      if (g.refusedAt() != null) {
        items.add("The ISO refused " + e(g.service()) + " for " + e(shortKey(g.identity())) + ": "
            + e(g.refusedReason()) + " (calls stopped)");
      } else if (g.lastOutcome() != null && g.lastOutcome().startsWith("transient")) {
        items.add("The ISO answers " + e(g.service()) + " only transiently: " + e(g.lastOutcome()) + " at "
            + time(g.lastOutcomeAt()));
      }
    }
    if (items.isEmpty()) {
      return "<section aria-labelledby=\"attention\" class=\"attention ok\"><h2 id=\"attention\">Needs attention</h2>"
          + "<p>Nothing needs attention.</p></section>";
    }
    StringBuilder b = new StringBuilder("<section aria-labelledby=\"attention\" class=\"attention\">"
        + "<h2 id=\"attention\">Needs attention</h2><ul>");
    items.forEach(i -> b.append("<li>").append(i).append("</li>"));
    return b.append("</ul></section>").toString();
  }

  private String gateTable(List<Claims.Gate> rows) {
    if (rows.isEmpty()) {
      return "<p>No AUP gate yet: no call to the ISO was made.</p>";
    }
    StringBuilder b = new StringBuilder("<table><thead><tr><th scope=\"col\">Identity</th><th scope=\"col\">Service</th>"
        + "<th scope=\"col\">Next call allowed</th><th scope=\"col\">Last call</th><th scope=\"col\">Last outcome</th>"
        + "<th scope=\"col\">Calls</th><th scope=\"col\">Refused</th></tr></thead><tbody>");
    for (Claims.Gate g : rows) {
      long opensIn = (long) Math.ceil(Math.max(0, g.opensInSeconds()));
      b.append("<tr><td title=\"").append(e(g.identity())).append("\">").append(e(subjectOf(g.identity())))
          .append("</td><td>").append(e(g.service())).append("</td><td><span class=\"countdown\" data-opens-in=\"")
          .append(opensIn).append("\" role=\"timer\" aria-live=\"off\">")
          .append(opensIn == 0 ? "now" : "in " + opensIn + " s").append("</span></td><td>")
          .append(time(g.lastTakenAt())).append("</td><td>").append(e(g.lastOutcome())).append("</td><td>")
          .append(g.calls()).append("</td><td>")
          .append(g.refusedAt() == null ? "no" : "since " + time(g.refusedAt()) + ": " + e(g.refusedReason()))
          .append("</td></tr>");
    }
    return b.append("</tbody></table>").toString();
  }

  private String subjectOf(String gateKey) {
    return identities.stream().filter(i -> i.gateKey().equals(gateKey)).map(IsoIdentity::subjectDn).findFirst()
        .orElse(shortKey(gateKey));
  }

  private static String shortKey(String key) {
    return key != null && key.length() > 20 ? key.substring(0, 20) + "…" : key;
  }

  // ---- outages

  private void outages(RoutingContext ctx) {
    String q = param(ctx, "q");
    String status = param(ctx, "status");
    String type = param(ctx, "type");
    String participant = param(ctx, "participant");
    String problem = null;
    if (participant != null && !ParticipantKey.isValid(participant)) {
      problem = "A participant key is 1 to 32 letters, digits, '_' or '-'.";
    } else if (q != null && q.length() > 40) {
      problem = "An mRID has at most 40 characters.";
    }
    StringBuilder form = new StringBuilder("<form method=\"get\" action=\"/console/outages\" class=\"filters\" "
        + "role=\"search\" aria-label=\"Find outages\">")
        .append(field("q", "mRID contains", q)).append(field("status", "Status", status))
        .append(field("type", "Outage type", type)).append(field("participant", "Participant", participant))
        .append("<button type=\"submit\">Search</button></form>");
    if (problem != null) {
      html(ctx.response().setStatusCode(400), ctx, Html.page("Outages", "outages", context(ctx),
          form + "<p class=\"flash\" role=\"alert\">" + e(problem) + "</p>"));
      return;
    }
    var query = new Outages.Query(participant, status, type, null, q, null, 100);
    render(ctx, outages.list(query), page -> {
      StringBuilder b = new StringBuilder(form);
      if (page.outages().isEmpty()) {
        b.append("<p>No outage matches.</p>");
      } else {
        b.append("<table><caption>Newest change first (up to 100)</caption><thead><tr><th scope=\"col\">mRID</th>"
            + "<th scope=\"col\">Participant</th><th scope=\"col\">Type</th><th scope=\"col\">Version</th>"
            + "<th scope=\"col\">Status</th><th scope=\"col\">Claim</th><th scope=\"col\">Changed</th></tr></thead><tbody>");
        for (Outages.Summary s : page.outages()) {
          b.append("<tr><td><a href=\"/console/outages/").append(u(s.participant())).append("/")
              .append(u(s.outageMRID())).append("\">").append(e(s.outageMRID())).append("</a></td><td>")
              .append(e(s.participant())).append("</td><td>").append(e(s.outageType())).append("</td><td>")
              .append(s.newestVersion()).append("</td><td>").append(e(s.status())).append("</td><td>")
              .append(badge(s.claimState())).append("</td><td>").append(time(s.updatedAt())).append("</td></tr>");
        }
        b.append("</tbody></table>");
      }
      return Html.page("Outages", "outages", context(ctx), b.toString());
    });
  }

  private void outage(RoutingContext ctx) {
    String participant = ctx.pathParam("participant");
    String mrid = ctx.pathParam("mrid");
    Future<Outages.History> found = ParticipantKey.isValid(participant) && mrid.length() <= 40
        ? outages.history(participant, mrid) : Future.succeededFuture(null);
    render(ctx, found, h -> {
      if (h == null) {
        ctx.response().setStatusCode(404);
        return Html.page("Outage not found", "outages", context(ctx),
            "<p>Participant " + e(participant) + " has no outage " + e(mrid) + ".</p>");
      }
      Page.Context c = context(ctx);
      StringBuilder b = new StringBuilder("<dl class=\"facts\"><div><dt>Participant</dt><dd>").append(e(h.participant()))
          .append("</dd></div><div><dt>Type</dt><dd>").append(e(h.outageType()))
          .append("</dd></div><div><dt>Newest version</dt><dd>").append(h.newestVersion())
          .append("</dd></div><div><dt>First seen</dt><dd>").append(time(h.createdAt()))
          .append("</dd></div></dl>");
      if (h.truncated()) {
        b.append("<p class=\"hint\">Only the newest versions and deliveries are shown.</p>");
      }
      b.append("<section aria-labelledby=\"timeline\"><h2 id=\"timeline\">Timeline</h2><ol class=\"timeline\">");
      for (Outages.Version v : h.versions()) {
        b.append("<li data-version=\"").append(v.version()).append("\"><h3>Version ").append(v.version()).append(": ")
            .append(e(v.previousStatus() == null ? "" : v.previousStatus() + " → ")).append(e(v.status()))
            .append("</h3><dl class=\"facts\"><div><dt>Received</dt><dd>").append(time(v.receivedAt()))
            .append("</dd></div><div><dt>MessageID</dt><dd><code>").append(e(v.messageId()))
            .append("</code></dd></div><div><dt>Claim ").append(v.claimId()).append("</dt><dd data-claim=\"")
            .append(v.claimId()).append("\">").append(badge(v.claimState())).append(", attempts: ").append(v.attempts())
            .append(v.lastError() == null ? "" : "; last error: " + e(v.lastError()))
            .append("</dd></div><div><dt>Document</dt><dd>")
            .append(v.payloadId() == null ? "not retrieved yet" : "<a href=\"/console/documents/" + v.payloadId()
                + "\" download>download</a>")
            .append("</dd></div></dl>");
        if (c.admin() && ("DEAD".equals(v.claimState()) || "UNSERVICEABLE".equals(v.claimState()))) {
          b.append(retryForm(v.claimId(), c.csrf(), "/console/outages/" + u(participant) + "/" + u(mrid)));
        }
        List<Events.Delivery> ds = h.deliveries().stream()
            .filter(d -> d.outageVersion() != null && d.outageVersion() == v.version()).toList();
        if (ds.isEmpty()) {
          b.append("<p>No delivery of this version.</p>");
        } else {
          b.append("<table><caption>Deliveries of version ").append(v.version()).append("</caption><thead><tr>"
              + "<th scope=\"col\">Subscriber</th><th scope=\"col\">State</th><th scope=\"col\">Attempts</th>"
              + "<th scope=\"col\">Last status</th><th scope=\"col\">Answer</th><th scope=\"col\">Delivered</th>"
              + "</tr></thead><tbody>");
          for (Events.Delivery d : ds) {
            b.append("<tr data-delivery=\"").append(d.id()).append("\"><td><a href=\"/console/subscribers/")
                .append(d.subscriberId()).append("\">").append(e(d.subscriberUrl())).append("</a></td><td>")
                .append(badge(d.state())).append("</td><td>").append(d.attempts()).append("</td><td>")
                .append(d.lastStatus() == null ? "—" : d.lastStatus()).append("</td><td>")
                .append(e(excerpt(d.responseExcerpt() != null ? d.responseExcerpt() : d.lastError())))
                .append("</td><td>").append(time(d.deliveredAt())).append("</td></tr>");
          }
          b.append("</tbody></table>");
        }
        b.append("</li>");
      }
      b.append("</ol></section>");
      return Html.page("Outage " + h.outageMRID(), "outages", c, b.toString());
    });
  }

  private void document(RoutingContext ctx) {
    String text = ctx.pathParam("id");
    if (!text.matches("\\d{1,18}")) {
      html(ctx.response().setStatusCode(404), ctx, Html.bare("Not found", "<p>No document " + e(text) + ".</p>"));
      return;
    }
    fanout.payloadDownloads().serveAuthorized(ctx, Long.parseLong(text));
  }

  // ---- subscribers

  private void subscribers(RoutingContext ctx) {
    String participant = participant(ctx, "subscribers", "Subscribers");
    if (participant == BAD) {
      return;
    }
    Future<List<Subscriber>> list = subscribers.list().map(all -> forParticipant(all, participant));
    Future<Map<UUID, ActivityCounts.Health>> health = activity.health();
    render(ctx, Future.all(list, health), x -> {
      Page.Context c = context(ctx);
      StringBuilder b = new StringBuilder(participantForm("subscribers", participant));
      if (list.result().isEmpty()) {
        b.append("<p>No subscriber yet.</p>");
      } else {
        b.append("<table><thead><tr><th scope=\"col\">URL</th><th scope=\"col\">Enabled</th>"
            + "<th scope=\"col\">Circuit breaker</th><th scope=\"col\">Pending</th><th scope=\"col\">Dead letters</th>"
            + "<th scope=\"col\">Last success</th></tr></thead><tbody>");
        for (Subscriber s : list.result()) {
          ActivityCounts.Health hl = health.result().getOrDefault(s.id(), ActivityCounts.Health.NONE);
          b.append("<tr data-subscriber=\"").append(s.id()).append("\"><td><a href=\"/console/subscribers/")
              .append(s.id()).append("\">").append(e(s.url())).append("</a>")
              .append(s.description() == null ? "" : "<br><span class=\"hint\">" + e(s.description()) + "</span>")
              .append("</td><td>").append(s.enabled() ? "yes" : "no" + (s.disabledReason() == null ? ""
                  : " (" + e(s.disabledReason()) + ")")).append("</td><td>").append(breaker(s)).append("</td><td>")
              .append(hl.pending()).append("</td><td>").append(hl.dead()).append("</td><td>")
              .append(time(hl.lastSuccess())).append("</td></tr>");
        }
        b.append("</tbody></table>");
      }
      if (c.admin()) {
        b.append("<section aria-labelledby=\"new\"><h2 id=\"new\">New subscriber</h2>")
            .append("<form method=\"post\" action=\"/console/subscribers\" class=\"stack\">").append(hidden(c.csrf()))
            .append(field("url", "URL (https://…)", null)).append(field("description", "Description", null))
            .append("<fieldset><legend>Events</legend>")
            .append(check("eventTypes", "outage.status-changed", "Outage changes", true))
            .append(check("eventTypes", "market.event", "Market events", true))
            .append("</fieldset><button type=\"submit\">Create</button></form></section>");
      }
      return Html.page("Subscribers", "subscribers", c, b.toString());
    });
  }

  private String breaker(Subscriber s) {
    if (s.pausedUntil() != null && s.pausedUntil().isAfter(OffsetDateTime.now(clock))) {
      return badge("open") + " until " + time(s.pausedUntil());
    }
    return badge("closed") + (s.consecutiveFailures() > 0 ? " (" + s.consecutiveFailures() + " failures in a row)" : "");
  }

  private void subscriber(RoutingContext ctx) {
    UUID id = uuid(ctx.pathParam("id"));
    if (id == null) {
      notFound(ctx, "No subscriber " + ctx.pathParam("id") + ".");
      return;
    }
    showSubscriber(ctx, id, null);
  }

  /** @param secret a secret just made, shown this once */
  private void showSubscriber(RoutingContext ctx, UUID id, String secret) {
    Future<Subscriber> sub = subscribers.get(id);
    Future<List<DeliveryRecord>> dead = sub.compose(s -> subscribers.deliveries(id, "DEAD", 100, null, null));
    Future<List<DeliveryRecord>> recent = sub.compose(s -> subscribers.deliveries(id, null, 20, null, null));
    render(ctx, Future.all(sub, dead, recent), x -> {
      Subscriber s = sub.result();
      Page.Context c = context(ctx);
      StringBuilder b = new StringBuilder();
      if (secret != null) {
        b.append("<section class=\"secret\" aria-labelledby=\"secret\"><h2 id=\"secret\">New signing secret</h2>")
            .append("<p>Shown this once: give it to the subscriber now. The previous secret keeps signing too "
                + "until it expires.</p><p><output id=\"new-secret\">").append(e(secret)).append("</output></p></section>");
      }
      b.append("<dl class=\"facts\"><div><dt>Enabled</dt><dd>").append(s.enabled() ? "yes" : "no")
          .append("</dd></div><div><dt>Circuit breaker</dt><dd>").append(breaker(s))
          .append("</dd></div><div><dt>Events</dt><dd>").append(e(String.join(", ", s.eventTypes())))
          .append("</dd></div><div><dt>Participants</dt><dd>")
          .append(s.participants() == null ? "all" : e(String.join(", ", s.participants())))
          .append("</dd></div><div><dt>Secrets signing</dt><dd>").append(s.secrets().size()).append("</dd></div></dl>");
      if (c.admin()) {
        String base = "/console/subscribers/" + s.id();
        b.append("<section aria-labelledby=\"edit\"><h2 id=\"edit\">Edit</h2><form method=\"post\" action=\"")
            .append(base).append("\" class=\"stack\">").append(hidden(c.csrf()))
            .append(field("url", "URL", s.url())).append(field("description", "Description", s.description()))
            .append("<button type=\"submit\">Save</button></form><div class=\"actions\">")
            .append("<form method=\"post\" action=\"").append(base).append("/enabled\">").append(hidden(c.csrf()))
            .append("<input type=\"hidden\" name=\"enabled\" value=\"").append(!s.enabled()).append("\">")
            .append("<button type=\"submit\">").append(s.enabled() ? "Disable" : "Enable").append("</button></form>")
            .append("<form method=\"post\" action=\"").append(base).append("/rotate\">").append(hidden(c.csrf()))
            .append("<button type=\"submit\">Rotate secret</button></form>")
            .append("<form method=\"post\" action=\"").append(base).append("/test\">").append(hidden(c.csrf()))
            .append("<button type=\"submit\">Send test event</button></form></div></section>");
      }
      b.append("<section aria-labelledby=\"dead\"><h2 id=\"dead\">Dead letters</h2>")
          .append(deadTable(s, dead.result(), c, false)).append("</section>");
      b.append("<section aria-labelledby=\"recent\"><h2 id=\"recent\">Recent deliveries</h2>")
          .append(deliveryTable(recent.result(), null, null)).append("</section>");
      return Html.page("Subscriber " + s.url(), "subscribers", c, b.toString());
    });
  }

  private void createSubscriber(RoutingContext ctx) {
    var f = ctx.request().formAttributes();
    List<String> events = f.getAll("eventTypes");
    SubscriberDraft d = new SubscriberDraft(blank(f.get("url")), blank(f.get("description")),
        events.isEmpty() ? null : events, null, null, null, null, null, null, null, false, null, null);
    act(ctx, subscribers.create(d), s -> {
      log.info("console: subscriber {} created", s.id());
      showSubscriber(ctx, s.id(), s.secrets().isEmpty() ? null : s.secrets().get(0).secret());
    }, "/console/subscribers");
  }

  private void editSubscriber(RoutingContext ctx) {
    UUID id = uuid(ctx.pathParam("id"));
    var f = ctx.request().formAttributes();
    SubscriberDraft d = new SubscriberDraft(blank(f.get("url")), f.get("description") == null ? null
        : f.get("description").strip(), null, null, null, null, null, null, null, null, false, null, null);
    act(ctx, id == null ? notFoundFuture(ctx) : subscribers.update(id, d),
        s -> done(ctx, "/console/subscribers/" + id, "Saved."), "/console/subscribers/" + id);
  }

  private void enableSubscriber(RoutingContext ctx) {
    UUID id = uuid(ctx.pathParam("id"));
    boolean enabled = "true".equals(ctx.request().getFormAttribute("enabled"));
    SubscriberDraft d = new SubscriberDraft(null, null, null, null, null, null, enabled, null, null, null, false,
        null, null);
    act(ctx, id == null ? notFoundFuture(ctx) : subscribers.update(id, d), s -> {
      log.info("console: subscriber {} {}", id, enabled ? "enabled" : "disabled");
      done(ctx, "/console/subscribers/" + id, enabled ? "Enabled." : "Disabled.");
    }, "/console/subscribers/" + id);
  }

  private void rotate(RoutingContext ctx) {
    UUID id = uuid(ctx.pathParam("id"));
    act(ctx, id == null ? notFoundFuture(ctx) : subscribers.rotateSecret(id, null, null), s -> {
      log.info("console: secret of subscriber {} rotated", id);
      showSubscriber(ctx, id, s.secrets().get(0).secret());
    }, "/console/subscribers/" + id);
  }

  private void sendTest(RoutingContext ctx) {
    UUID id = uuid(ctx.pathParam("id"));
    String back = "/console/subscribers/" + id;
    if (id == null) {
      notFound(ctx, "No subscriber " + ctx.pathParam("id") + ".");
      return;
    }
    subscribers.sendTest(id).onComplete(ar -> {
      if (ar.failed() && ar.cause() instanceof SubscriberProblem) {
        failed(ctx, ar.cause(), back);
      } else if (ar.failed()) {
        log.info("console: test event to subscriber {} got no answer: {}", id, ar.cause().getMessage());
        done(ctx, back, "The test event got no answer: " + ar.cause().getMessage());
      } else {
        var answer = ar.result();
        log.info("console: test event to subscriber {} answered {}", id, answer.status());
        done(ctx, back, "The test event was answered " + answer.status()
            + (answer.excerpt() == null || answer.excerpt().isBlank() ? "" : ": " + excerpt(answer.excerpt())) + ".");
      }
    });
  }

  private void replay(RoutingContext ctx) {
    UUID id = uuid(ctx.pathParam("id"));
    String one = blank(ctx.request().getFormAttribute("deliveryId"));
    UUID deliveryId = one == null ? null : uuid(one);
    String back = "back".equals(ctx.request().getFormAttribute("from")) ? "/console/dead-letters"
        : "/console/subscribers/" + id;
    if (id == null || (one != null && deliveryId == null)) {
      notFound(ctx, "No such subscriber or delivery.");
      return;
    }
    act(ctx, subscribers.replay(id, deliveryId), ids -> {
      log.info("console: {} dead letters of subscriber {} replayed", ids.size(), id);
      fanout.wake();
      done(ctx, back, ids.size() + " dead letter" + (ids.size() == 1 ? "" : "s") + " sent again.");
    }, back);
  }

  /** @param fromList whether the replay returns to the dead letters page (else the subscriber's) */
  private String deadTable(Subscriber s, List<DeliveryRecord> dead, Page.Context c, boolean fromList) {
    if (dead.isEmpty()) {
      return "<p>No dead letters.</p>";
    }
    String csrf = hidden(c.csrf()) + (fromList ? "<input type=\"hidden\" name=\"from\" value=\"back\">" : "");
    StringBuilder b = new StringBuilder(deliveryTable(dead, c.admin() ? s : null, csrf));
    if (c.admin()) {
      b.append("<form method=\"post\" action=\"/console/subscribers/").append(s.id()).append("/replay\">")
          .append(csrf).append("<button type=\"submit\">Replay all ").append(dead.size())
          .append(" dead letters</button></form>");
    }
    return b.toString();
  }

  /** @param replayFor null = no replay buttons; {@code formFields} the hidden fields of each replay form */
  private static String deliveryTable(List<DeliveryRecord> list, Subscriber replayFor, String formFields) {
    if (list.isEmpty()) {
      return "<p>None.</p>";
    }
    StringBuilder b = new StringBuilder("<table><thead><tr><th scope=\"col\">Outage or event</th>"
        + "<th scope=\"col\">State</th><th scope=\"col\">Attempts</th><th scope=\"col\">Last status</th>"
        + "<th scope=\"col\">Answer or error</th><th scope=\"col\">Updated</th>"
        + (replayFor == null ? "" : "<th scope=\"col\">Action</th>") + "</tr></thead><tbody>");
    for (DeliveryRecord d : list) {
      String what = d.outageMRID() != null ? d.outageMRID() + " v" + d.outageVersion() : d.subject();
      b.append("<tr data-delivery=\"").append(d.id()).append("\"><td>");
      if (d.outageMRID() != null && d.participant() != null) {
        b.append("<a href=\"/console/outages/").append(u(d.participant())).append("/").append(u(d.outageMRID()))
            .append("\">").append(e(what)).append("</a>");
      } else {
        b.append(e(what));
      }
      b.append("</td><td>").append(badge(d.state())).append("</td><td>").append(d.attempts()).append("</td><td>")
          .append(d.lastStatus() == null ? "—" : d.lastStatus()).append("</td><td>")
          .append(e(excerpt(d.lastError() != null ? d.lastError() : d.lastResponse()))).append("</td><td>")
          .append(time(d.updatedAt())).append("</td>");
      if (replayFor != null) {
        b.append("<td><form method=\"post\" action=\"/console/subscribers/").append(replayFor.id())
            .append("/replay\">").append(formFields).append("<input type=\"hidden\" name=\"deliveryId\" value=\"")
            .append(d.id()).append("\"><button type=\"submit\" aria-label=\"Replay ").append(e(what))
            .append("\">Replay</button></form></td>");
      }
      b.append("</tr>");
    }
    return b.append("</tbody></table>").toString();
  }

  // ---- dead letters

  private void deadLetters(RoutingContext ctx) {
    String participant = participant(ctx, "dead-letters", "Dead letters");
    if (participant == BAD) {
      return;
    }
    render(ctx, subscribers.list().map(all -> forParticipant(all, participant)).compose(list -> {
      List<Future<List<DeliveryRecord>>> each = new ArrayList<>();
      list.forEach(s -> each.add(subscribers.deliveries(s.id(), "DEAD", 100, null, participant)));
      return Future.all(each).map(all -> {
        Map<Subscriber, List<DeliveryRecord>> out = new LinkedHashMap<>();
        for (int i = 0; i < list.size(); i++) {
          out.put(list.get(i), each.get(i).result());
        }
        return out;
      });
    }), bySubscriber -> {
      Page.Context c = context(ctx);
      StringBuilder b = new StringBuilder(participantForm("dead-letters", participant));
      boolean any = false;
      for (var entry : bySubscriber.entrySet()) {
        if (entry.getValue().isEmpty()) {
          continue;
        }
        any = true;
        Subscriber s = entry.getKey();
        b.append("<section><h2><a href=\"/console/subscribers/").append(s.id()).append("\">").append(e(s.url()))
            .append("</a></h2>").append(deadTable(s, entry.getValue(), c, true)).append("</section>");
      }
      if (!any) {
        b.append("<p>No dead letters.</p>");
      }
      return Html.page("Dead letters", "dead-letters", c, b.toString());
    });
  }

  // ---- claims

  private void claims(RoutingContext ctx) {
    String participant = participant(ctx, "claims", "Claims");
    if (participant == BAD) {
      return;
    }
    Future<Claims.Page> dead = claims.list(participant, "DEAD", null, null, 200);
    Future<Claims.Page> unserviceable = claims.list(participant, "UNSERVICEABLE", null, null, 200);
    render(ctx, Future.all(dead, unserviceable), x -> {
      Page.Context c = context(ctx);
      StringBuilder b = new StringBuilder(participantForm("claims", participant));
      b.append("<section aria-labelledby=\"dead\"><h2 id=\"dead\">DEAD</h2>")
          .append(claimTable(dead.result().claims(), c));
      // The bulk retry is every participant's: offered on the unfiltered list only.
      if (c.admin() && participant == null && !dead.result().claims().isEmpty()) {
        b.append("<form method=\"post\" action=\"/console/claims/retry\">").append(hidden(c.csrf()))
            .append("<input type=\"hidden\" name=\"state\" value=\"DEAD\">")
            .append("<button type=\"submit\">Retry every DEAD claim</button></form>");
      }
      b.append("</section><section aria-labelledby=\"unserviceable\"><h2 id=\"unserviceable\">UNSERVICEABLE</h2>")
          .append(claimTable(unserviceable.result().claims(), c)).append("</section>");
      return Html.page("Claims", "claims", c, b.toString());
    });
  }

  private String claimTable(List<Claims.Claim> list, Page.Context c) {
    if (list.isEmpty()) {
      return "<p>None.</p>";
    }
    StringBuilder b = new StringBuilder("<table><thead><tr><th scope=\"col\">Claim</th><th scope=\"col\">Outage or event</th>"
        + "<th scope=\"col\">Service</th><th scope=\"col\">Attempts</th><th scope=\"col\">Reason</th>"
        + "<th scope=\"col\">Last error</th><th scope=\"col\">Updated</th>" + (c.admin() ? "<th scope=\"col\">Action</th>" : "")
        + "</tr></thead><tbody>");
    for (Claims.Claim k : list) {
      b.append("<tr data-claim=\"").append(k.id()).append("\"><td>").append(k.id()).append("</td><td>");
      if (k.outageMRID() != null) {
        b.append("<a href=\"/console/outages/").append(u(k.participant())).append("/").append(u(k.outageMRID()))
            .append("\">").append(e(k.outageMRID())).append(" v").append(k.version()).append("</a>");
      } else {
        b.append("market event ").append(e(k.eventId()));
      }
      b.append("</td><td>").append(e(k.service())).append("</td><td>").append(k.attempts()).append("</td><td>")
          .append(e(k.deadReason())).append("</td><td>").append(e(excerpt(k.lastError()))).append("</td><td>")
          .append(time(k.updatedAt())).append("</td>");
      if (c.admin()) {
        b.append("<td>").append(retryForm(k.id(), c.csrf(), "/console/claims")).append("</td>");
      }
      b.append("</tr>");
    }
    return b.append("</tbody></table>").toString();
  }

  private static String retryForm(long id, String csrf, String back) {
    return "<form method=\"post\" action=\"/console/claims/" + id + "/retry\">" + hidden(csrf)
        + "<input type=\"hidden\" name=\"back\" value=\"" + e(back) + "\">"
        + "<button type=\"submit\" aria-label=\"Retry claim " + id + "\">Retry</button></form>";
  }

  private void retryClaim(RoutingContext ctx) {
    String back = ctx.request().getFormAttribute("back");
    String target = back != null && back.startsWith("/console/") && !back.startsWith("/console//") ? back
        : "/console/claims";
    long id;
    try {
      id = Long.parseLong(ctx.pathParam("id"));
    } catch (NumberFormatException e) {
      notFound(ctx, "No claim " + ctx.pathParam("id") + ".");
      return;
    }
    act(ctx, claims.retry(id), r -> {
      if (!r.found()) {
        notFound(ctx, "No claim " + id + ".");
      } else if (!r.retried()) {
        done(ctx, target, "Claim " + id + " is " + r.previousState() + ": only DEAD and UNSERVICEABLE claims are retried.");
      } else {
        log.info("operator (console): claim {} retried ({} before)", id, r.previousState());
        done(ctx, target, "Claim " + id + " is PENDING again.");
      }
    }, target);
  }

  private void retryClaims(RoutingContext ctx) {
    String state = ctx.request().getFormAttribute("state");
    if (!"DEAD".equals(state) && !"UNSERVICEABLE".equals(state)) {
      done(ctx, "/console/claims", "Only DEAD or UNSERVICEABLE claims are retried.");
      return;
    }
    act(ctx, claims.retryAll(state, null, 1000), r -> {
      log.info("operator (console): {} {} claims retried", r.retried(), state);
      done(ctx, "/console/claims", r.retried() + " " + state + " claims are PENDING again"
          + (r.more() ? "; more are left, retry again" : "") + ".");
    }, "/console/claims");
  }

  // ---- participants

  private void participants(RoutingContext ctx) {
    render(ctx, claims.gates(), gates -> {
      StringBuilder b = new StringBuilder();
      List<String[]> rows = new ArrayList<>();
      for (IsoIdentity i : identities) {
        rows.add(row("default (redeems claims)", i));
      }
      if (participants != null) {
        for (Participants.Participant p : participants.list()) {
          if (p.identity() != null && identities.stream().noneMatch(i -> i.gateKey().equals(p.identity().gateKey()))) {
            rows.add(row(p.key(), p.identity()));
          }
        }
      }
      if (rows.isEmpty()) {
        b.append("<p>No ISO identity is configured (OMS_ISO_CERT): claim checks are stored but not redeemed.</p>");
      } else {
        b.append("<table><thead><tr><th scope=\"col\">Participant</th><th scope=\"col\">Certificate</th>"
            + "<th scope=\"col\">Expires</th><th scope=\"col\">Days left</th><th scope=\"col\">Gates</th></tr></thead><tbody>");
        for (String[] r : rows) {
          StringBuilder g = new StringBuilder();
          for (Claims.Gate gate : gates) {
            if (gate.identity().equals(r[4])) {
              long opensIn = (long) Math.ceil(Math.max(0, gate.opensInSeconds()));
              g.append(e(gate.service())).append(": <span class=\"countdown\" data-opens-in=\"").append(opensIn)
                  .append("\">").append(opensIn == 0 ? "now" : "in " + opensIn + " s").append("</span>")
                  .append(gate.refusedAt() == null ? "" : " (refused)").append("<br>");
            }
          }
          b.append("<tr><td>").append(e(r[0])).append("</td><td>").append(e(r[1])).append("</td><td>").append(r[2])
              .append("</td><td>").append(r[3]).append("</td><td>").append(g.length() == 0 ? "no call yet" : g)
              .append("</td></tr>");
        }
        b.append("</tbody></table>");
      }
      return Html.page("Participants", "participants", context(ctx), b.toString());
    });
  }

  private String[] row(String key, IsoIdentity id) {
    X509Certificate c = id.certificate();
    long days = Duration.between(clock.instant(), c.getNotAfter().toInstant()).toDays();
    String left = days < CERT_WARN_DAYS ? "<strong class=\"warn\">" + days + "</strong>" : String.valueOf(days);
    return new String[] {key, id.subjectDn(), time(OffsetDateTime.ofInstant(c.getNotAfter().toInstant(),
        java.time.ZoneOffset.UTC)), left, id.gateKey()};
  }

  // ---- plumbing

  /** What {@link #participant} answers after it answered the request itself (400). */
  private static final String BAD = new String("bad participant");

  /** ?participant=KEY: null when absent; {@link #BAD} after a 400 page when it is no participant key. */
  private String participant(RoutingContext ctx, String current, String title) {
    String key = param(ctx, "participant");
    if (key != null && !ParticipantKey.isValid(key)) {
      html(ctx.response().setStatusCode(400), ctx, Html.page(title, current, context(ctx), participantForm(current, key)
          + "<p class=\"flash\" role=\"alert\">A participant key is 1 to 32 letters, digits, '_' or '-'.</p>"));
      return BAD;
    }
    return key;
  }

  private static String participantForm(String page, String value) {
    return "<form method=\"get\" action=\"/console/" + page + "\" class=\"filters\" role=\"search\" "
        + "aria-label=\"Filter by participant\">" + field("participant", "Participant", value)
        + "<button type=\"submit\">Filter</button></form>";
  }

  /** The subscribers that get this participant's events (those naming none get everyone's). */
  private static List<Subscriber> forParticipant(List<Subscriber> all, String participant) {
    return participant == null ? all
        : all.stream().filter(s -> s.participants() == null || s.participants().contains(participant)).toList();
  }

  private static String field(String name, String label, String value) {
    return "<div class=\"field\"><label for=\"f-" + name + "\">" + e(label) + "</label><input id=\"f-" + name
        + "\" name=\"" + name + "\" value=\"" + e(value) + "\"></div>";
  }

  private static String check(String name, String value, String label, boolean checked) {
    String id = "f-" + name + "-" + value.replaceAll("[^a-z]", "");
    return "<div class=\"check\"><input type=\"checkbox\" id=\"" + id + "\" name=\"" + name + "\" value=\"" + e(value)
        + "\"" + (checked ? " checked" : "") + "><label for=\"" + id + "\">" + e(label) + "</label></div>";
  }

  private static String excerpt(String text) {
    return text == null ? null : text.length() > 160 ? text.substring(0, 160) + "…" : text;
  }

  private static String param(RoutingContext ctx, String name) {
    return blank(ctx.queryParams().get(name));
  }

  private static String blank(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }

  private static UUID uuid(String text) {
    try {
      return UUID.fromString(text);
    } catch (IllegalArgumentException | NullPointerException e) {
      return null;
    }
  }

  private static <T> Future<T> notFoundFuture(RoutingContext ctx) {
    return Future.failedFuture(SubscriberProblem.notFound("no subscriber " + ctx.pathParam("id")));
  }

  private void notFound(RoutingContext ctx, String text) {
    html(ctx.response().setStatusCode(404), ctx, Html.page("Not found", "", context(ctx), "<p>" + e(text) + "</p>"));
  }

  /** Post/redirect/get: the page again, saying what was done. */
  private static void done(RoutingContext ctx, String target, String message) {
    redirect(ctx, target + (target.contains("?") ? "&" : "?") + "done=" + u(message));
  }

  private static void redirect(RoutingContext ctx, String location) {
    ctx.response().setStatusCode(303).putHeader("Location", location).end();
  }

  private static void html(io.vertx.core.http.HttpServerResponse res, RoutingContext ctx, String page) {
    res.putHeader("Content-Type", HTML).putHeader("Cache-Control", "no-store").end(page);
  }

  private <T> void render(RoutingContext ctx, Future<T> data, Function<T, String> page) {
    data.onComplete(ar -> {
      if (ar.failed()) {
        failed(ctx, ar.cause(), null);
        return;
      }
      String text;
      try {
        text = page.apply(ar.result());
      } catch (RuntimeException e) {
        failed(ctx, e, null);
        return;
      }
      html(ctx.response(), ctx, text);
    });
  }

  private <T> void act(RoutingContext ctx, Future<T> action, java.util.function.Consumer<T> then, String back) {
    action.onComplete(ar -> {
      if (ar.failed()) {
        failed(ctx, ar.cause(), back);
      } else {
        then.accept(ar.result());
      }
    });
  }

  /** A mistake in the form goes back to the page with the reason; the database down or a bug: an error page. */
  private void failed(RoutingContext ctx, Throwable e, String back) {
    if (e instanceof SubscriberProblem p) {
      String detail = p.problem().toJson().getString("detail");
      int status = p.problem().toJson().getInteger("status", 400);
      if (back != null && status != 404) {
        done(ctx, back, "Not done: " + detail);
      } else {
        html(ctx.response().setStatusCode(status), ctx, Html.bare("Not done", "<p role=\"alert\">" + e(detail)
            + "</p><p><a href=\"/console/overview\">Overview</a></p>"));
      }
      return;
    }
    boolean unavailable = StoreFailures.unavailable(e);
    if (unavailable) {
      log.warn("console {} {}: database unavailable: {}", ctx.request().method(), ctx.request().path(), e.toString());
    } else {
      log.error("console {} {} failed", ctx.request().method(), ctx.request().path(), e);
    }
    if (!ctx.response().headWritten()) {
      html(ctx.response().setStatusCode(unavailable ? 503 : 500), ctx, Html.bare("Error", "<p role=\"alert\">"
          + (unavailable ? "The receiver's database is unavailable; try again shortly."
              : "The page failed on the receiver's side; its log has the details.") + "</p>"));
    }
  }
}
