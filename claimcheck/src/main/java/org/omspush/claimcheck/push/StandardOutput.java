package org.omspush.claimcheck.push;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** The ISO's answers: {@code StandardOutput} on success, a SOAP Fault carrying it on failure. */
public final class StandardOutput {
  public static final String CONTENT_TYPE = "text/xml; charset=utf-8";

  private StandardOutput() {}

  public static byte[] success(String description, Instant now) {
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        + "<soap:Envelope xmlns:soap=\"" + Ns.SOAP11 + "\"><soap:Body>"
        + outputData("Success", description, now)
        + "</soap:Body></soap:Envelope>").getBytes(StandardCharsets.UTF_8);
  }

  public static byte[] fault(PushFault fault, Instant now) {
    String code = fault.reason().clientFault() ? "soap:Client" : "soap:Server";
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        + "<soap:Envelope xmlns:soap=\"" + Ns.SOAP11 + "\"><soap:Body><soap:Fault>"
        + "<faultcode>" + code + "</faultcode>"
        + "<faultstring>" + escape(fault.reason().code() + ": " + fault.description()) + "</faultstring>"
        + "<detail>" + outputData("Failure", fault.description(), now) + "</detail>"
        + "</soap:Fault></soap:Body></soap:Envelope>").getBytes(StandardCharsets.UTF_8);
  }

  private static String outputData(String result, String description, Instant now) {
    return "<outputDataType xmlns=\"" + Ns.STANDARD_OUTPUT + "\"><EventLog><Event>"
        + "<result>" + result + "</result>"
        + "<description>" + escape(description) + "</description>"
        + "<creationTime>" + now.truncatedTo(ChronoUnit.MILLIS) + "</creationTime>"
        + "</Event></EventLog></outputDataType>";
  }

  static String escape(String s) {
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        default -> {
          // Control characters are not allowed in XML 1.0.
          if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            b.append('?');
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.toString();
  }
}
