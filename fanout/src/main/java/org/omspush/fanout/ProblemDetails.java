package org.omspush.fanout;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * An error answer as RFC 9457 problem details ({@code application/problem+json}).
 *
 * @param type   a URI naming the kind of problem ({@code urn:omspush:problem:…})
 * @param title  short, the same for every problem of this type
 * @param detail what went wrong this time, for a person to act on
 */
public record ProblemDetails(int status, String type, String title, String detail) {
  public static final String CONTENT_TYPE = "application/problem+json";

  public static ProblemDetails of(int status, String code, String title, String detail) {
    return new ProblemDetails(status, "urn:omspush:problem:" + code, title, detail);
  }

  public JsonObject toJson() {
    JsonObject j = new JsonObject().put("type", type).put("title", title).put("status", status);
    if (detail != null) {
      j.put("detail", detail);
    }
    return j;
  }

  /** Writes this problem as the response (unless one was already sent). */
  public void send(HttpServerResponse response) {
    if (response.ended() || response.headWritten()) {
      return;
    }
    response.setStatusCode(status).putHeader("Content-Type", CONTENT_TYPE).end(toJson().encode());
  }
}
