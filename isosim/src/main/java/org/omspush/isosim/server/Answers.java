package org.omspush.isosim.server;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.omspush.isosim.push.ClaimCheck;
import org.omspush.isosim.push.OutageStatusChange;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/** The envelopes the retrieve services answer with, before they are signed. */
final class Answers {

  static final String SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/";
  static final String BODY_NS = "urn:omspush:v1";
  static final String ISO_ATTACHMENT_NS = "http://www.caiso.com/soa/2006-10-26/ISOAttachment.xsd";
  static final String ATTACHMENT_HASH_NS =
      "http://www.caiso.com/mrtu/soa/schemas/2005/09/attachmenthash";
  static final String ATTACHMENT_INFO_NS =
      "http://www.caiso.com/soa/2006-06-13/StandardAttachmentInfor.xsd";
  static final String STANDARD_OUTPUT_NS =
      "http://www.caiso.com/soa/2006-06-13/StandardOutput.xsd";

  private Answers() {}

  /**
   * The attachment answer: header {@code attachmentHash/hashValue} and
   * {@code standardAttachmentInfor/Attachment/{id, compressMethod}}, body {@code ISOAttachment/
   * AttachmentValue}.
   */
  static Document attachment(Attachment attachment) {
    Document document = Dom.newDocument();
    Element envelope = envelope(document);
    Element header = Dom.element(envelope, SOAP_NS, "soap:Header");
    Element hash = Dom.root(header, ATTACHMENT_HASH_NS, "attachmentHash");
    Dom.text(hash, ATTACHMENT_HASH_NS, "hashValue", attachment.hashValue());
    Element info = Dom.root(header, ATTACHMENT_INFO_NS, "standardAttachmentInfor");
    Element item = Dom.element(info, ATTACHMENT_INFO_NS, "Attachment");
    Dom.text(item, ATTACHMENT_INFO_NS, "id", "1");
    Dom.text(item, ATTACHMENT_INFO_NS, "compressMethod", "gzip");
    Element body = Dom.element(envelope, SOAP_NS, "soap:Body");
    Element iso = Dom.root(body, ISO_ATTACHMENT_NS, "ISOAttachment");
    Dom.text(iso, ISO_ATTACHMENT_NS, "AttachmentValue", attachment.value());
    return document;
  }

  /** The changes answer: {@code OutageChanges} with the changes, {@code more} and {@code cursor}. */
  static Document changes(List<OutageStatusChange> changes, boolean more, String cursor) {
    Document document = Dom.newDocument();
    Element envelope = envelope(document);
    Dom.element(envelope, SOAP_NS, "soap:Header");
    Element body = Dom.element(envelope, SOAP_NS, "soap:Body");
    Element root = Dom.root(body, BODY_NS, "OutageChanges");
    for (OutageStatusChange change : changes) {
      appendStatusChange(root, change);
    }
    Dom.text(root, BODY_NS, "more", Boolean.toString(more));
    Dom.text(root, BODY_NS, "cursor", cursor);
    return document;
  }

  /** A SOAP 1.1 Fault whose detail holds a StandardOutput Event with result Failure. */
  static Document fault(RetrieveFault fault) {
    Document document = Dom.newDocument();
    Element envelope = envelope(document);
    Dom.element(envelope, SOAP_NS, "soap:Header");
    Element body = Dom.element(envelope, SOAP_NS, "soap:Body");
    Element soapFault = Dom.element(body, SOAP_NS, "soap:Fault");
    Dom.text(soapFault, null, "faultcode", fault.clientFault() ? "soap:Client" : "soap:Server");
    Dom.text(soapFault, null, "faultstring", fault.description());
    Element detail = Dom.element(soapFault, null, "detail");
    Element output = Dom.root(detail, STANDARD_OUTPUT_NS, "outputDataType");
    Element eventLog = Dom.element(output, STANDARD_OUTPUT_NS, "EventLog");
    Element event = Dom.element(eventLog, STANDARD_OUTPUT_NS, "Event");
    Dom.text(event, STANDARD_OUTPUT_NS, "result", "Failure");
    Dom.text(event, STANDARD_OUTPUT_NS, "description", fault.description());
    Dom.text(event, STANDARD_OUTPUT_NS, "creationTime",
        Instant.now().truncatedTo(ChronoUnit.MILLIS).toString());
    return document;
  }

  /** The same element shape as the push body. */
  private static void appendStatusChange(Element parent, OutageStatusChange change) {
    Element root = Dom.element(parent, BODY_NS, "OutageStatusChange");
    Dom.text(root, BODY_NS, "outageMRID", change.outageMRID());
    Dom.text(root, BODY_NS, "outageType", change.outageType());
    Dom.text(root, BODY_NS, "version", Long.toString(change.version()));
    Dom.text(root, BODY_NS, "status", change.status());
    if (change.version() != 1 && change.previousStatus() != null) {
      Dom.text(root, BODY_NS, "previousStatus", change.previousStatus());
    }
    Dom.text(root, BODY_NS, "lastModified", change.lastModified().toString());
    ClaimCheck check = change.claimCheck();
    if (check != null) {
      Element element = Dom.element(root, BODY_NS, "claimCheck");
      Dom.text(element, BODY_NS, "token", check.token());
      Dom.text(element, BODY_NS, "service", check.service());
      Dom.text(element, BODY_NS, "expires", check.expires().toString());
    }
  }

  private static Element envelope(Document document) {
    Element envelope = document.createElementNS(SOAP_NS, "soap:Envelope");
    envelope.setAttributeNS(Dom.XMLNS_NS, "xmlns:soap", SOAP_NS);
    document.appendChild(envelope);
    return envelope;
  }
}
