package org.omspush.claimcheck.push;

/** The namespaces of the ISO contract. */
public final class Ns {
  public static final String SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/";
  public static final String CAISO_WS_HEADER = "http://www.caiso.com/soa/2006-09-30/CAISOWSHeader.xsd";
  public static final String STANDARD_OUTPUT = "http://www.caiso.com/soa/2006-06-13/StandardOutput.xsd";
  public static final String OMS_PUSH_V1 = "urn:omspush:v1";
  public static final String WSSE =
      "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
  public static final String DSIG = "http://www.w3.org/2000/09/xmldsig#";

  private Ns() {}
}
