package org.omspush.receiver.console;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Escaping and the page frame. Every value from the database or a request goes through {@link #e}. */
final class Html {
  static final String HTMX = "/console/webjars/htmx.org/2.0.4/dist/htmx.min.js";
  static final String UPLOT_JS = "/console/webjars/uplot/1.6.30/dist/uPlot.iife.min.js";
  static final String UPLOT_CSS = "/console/webjars/uplot/1.6.30/dist/uPlot.min.css";
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'");

  private Html() {}

  static String e(Object value) {
    if (value == null) {
      return "";
    }
    String s = value.toString();
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  /** A URL path segment or query value. */
  static String u(String value) {
    return java.net.URLEncoder.encode(value == null ? "" : value, java.nio.charset.StandardCharsets.UTF_8)
        .replace("+", "%20");
  }

  static String time(OffsetDateTime t) {
    return t == null ? "—" : "<time datetime=\"" + e(t.withOffsetSameInstant(ZoneOffset.UTC)) + "\">"
        + e(TIME.format(t.withOffsetSameInstant(ZoneOffset.UTC))) + "</time>";
  }

  static String age(double seconds) {
    Duration d = Duration.ofSeconds((long) seconds);
    if (d.toDays() > 0) {
      return d.toDays() + " d " + d.toHoursPart() + " h";
    }
    if (d.toHours() > 0) {
      return d.toHours() + " h " + d.toMinutesPart() + " min";
    }
    if (d.toMinutes() > 0) {
      return d.toMinutes() + " min " + d.toSecondsPart() + " s";
    }
    return d.toSeconds() + " s";
  }

  /** A state as a badge; the text says it, the colour only repeats it. */
  static String badge(String state) {
    if (state == null) {
      return "—";
    }
    String kind = switch (state) {
      case "DEAD", "UNSERVICEABLE", "open" -> "bad";
      case "PENDING", "half-open" -> "wait";
      case "REDEEMED", "DELIVERED", "closed" -> "good";
      default -> "plain";
    };
    return "<span class=\"badge " + kind + "\">" + e(state) + "</span>";
  }

  static String hidden(String csrf) {
    return "<input type=\"hidden\" name=\"csrf\" value=\"" + e(csrf) + "\">";
  }

  /** The whole page: navigation, the signed-in role, sign-out, and the body. */
  static String page(String title, String current, Page.Context c, String body) {
    StringBuilder nav = new StringBuilder();
    String[][] items = {{"overview", "Overview"}, {"outages", "Outages"}, {"subscribers", "Subscribers"},
        {"dead-letters", "Dead letters"}, {"claims", "Claims"}, {"participants", "Participants"}};
    for (String[] i : items) {
      nav.append("<li><a href=\"/console/").append(i[0]).append("\"")
          .append(i[0].equals(current) ? " aria-current=\"page\"" : "").append(">").append(i[1]).append("</a></li>");
    }
    String headers = "{\"X-CSRF-Token\": \"" + e(c.csrf()) + "\"}";
    return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        + "<meta name=\"htmx-config\" content='{\"includeIndicatorStyles\":false,\"allowEval\":false}'>"
        + "<title>" + e(title) + " · OMS push console</title>"
        + "<link rel=\"stylesheet\" href=\"/console/assets/console.css\">"
        + "<link rel=\"stylesheet\" href=\"" + UPLOT_CSS + "\">"
        + "<script src=\"" + HTMX + "\" defer></script>"
        + "<script src=\"" + UPLOT_JS + "\" defer></script>"
        + "<script src=\"/console/assets/console.js\" defer></script>"
        + "</head><body hx-headers='" + headers + "'>"
        + "<a class=\"skip\" href=\"#main\">Skip to content</a>"
        + "<header><p class=\"brand\">OMS push console</p><nav aria-label=\"Sections\"><ul>" + nav + "</ul></nav>"
        + "<form method=\"post\" action=\"/console/sign-out\" class=\"signout\">" + hidden(c.csrf())
        + "<span class=\"role\" data-role=\"" + e(c.role()) + "\">Signed in: "
        + (c.admin() ? "admin" : "view only") + "</span> <button type=\"submit\">Sign out</button></form>"
        + "</header><main id=\"main\" tabindex=\"-1\"><h1>" + e(title) + "</h1>"
        + (c.flash() == null ? "" : "<p class=\"flash\" role=\"status\">" + e(c.flash()) + "</p>")
        + body + "</main></body></html>";
  }

  /** A page without a session (sign-in). */
  static String bare(String title, String body) {
    return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        + "<title>" + e(title) + " · OMS push console</title>"
        + "<link rel=\"stylesheet\" href=\"/console/assets/console.css\"></head><body>"
        + "<main id=\"main\" class=\"narrow\"><h1>" + e(title) + "</h1>" + body + "</main></body></html>";
  }
}
