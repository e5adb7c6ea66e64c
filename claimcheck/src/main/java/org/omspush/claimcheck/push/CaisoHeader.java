package org.omspush.claimcheck.push;

import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import org.w3c.dom.Element;

/**
 * The ISO's {@code CAISOWSHeader}: who sent the message, its MessageID and its validity window.
 */
public record CaisoHeader(
    String username,
    String nonce,
    OffsetDateTime usernameCreated,
    String messageId,
    OffsetDateTime created,
    OffsetDateTime expires) {

  static final int MAX_MESSAGE_ID_LENGTH = 256;

  /** Reads the header; every missing or malformed field is named in the refusal. */
  static CaisoHeader read(Element header) throws PushRejectedException {
    String ns = Ns.CAISO_WS_HEADER;
    try {
      Element info = Dom.child(header, ns, "CAISOMessageInfo");
      if (info == null) {
        throw invalid("CAISOWSHeader has no CAISOMessageInfo", null);
      }
      String messageId = Dom.text(info, ns, "MessageID");
      if (messageId == null || messageId.isEmpty()) {
        throw invalid("CAISOWSHeader/CAISOMessageInfo/MessageID is missing or empty", null);
      }
      if (messageId.length() > MAX_MESSAGE_ID_LENGTH) {
        throw invalid("MessageID is longer than " + MAX_MESSAGE_ID_LENGTH + " characters", null);
      }
      Element timestamp = Dom.child(info, ns, "Timestamp");
      if (timestamp == null) {
        throw invalid("CAISOWSHeader/CAISOMessageInfo/Timestamp is missing", messageId);
      }
      OffsetDateTime created = dateTime(timestamp, ns, "Created", "Timestamp/Created", messageId, true);
      OffsetDateTime expires = dateTime(timestamp, ns, "Expires", "Timestamp/Expires", messageId, true);
      if (expires.isBefore(created)) {
        throw invalid("Timestamp/Expires is before Timestamp/Created", messageId);
      }
      Element token = Dom.child(header, ns, "CAISOUsernameToken");
      if (token == null) {
        throw invalid("CAISOWSHeader has no CAISOUsernameToken", messageId);
      }
      String username = Dom.text(token, ns, "Username");
      if (username == null || username.isEmpty()) {
        throw invalid("CAISOUsernameToken/Username is missing or empty", messageId);
      }
      String nonce = Dom.text(token, ns, "Nonce");
      OffsetDateTime usernameCreated = dateTime(token, ns, "Created", "CAISOUsernameToken/Created", messageId, false);
      return new CaisoHeader(username, nonce, usernameCreated, messageId, created, expires);
    } catch (Dom.DuplicateElementException e) {
      throw invalid("CAISOWSHeader: " + e.getMessage(), null);
    }
  }

  private static OffsetDateTime dateTime(Element parent, String ns, String name, String label, String messageId,
      boolean required) throws PushRejectedException, Dom.DuplicateElementException {
    String text = Dom.text(parent, ns, name);
    if (text == null || text.isEmpty()) {
      if (required) {
        throw invalid(label + " is missing", messageId);
      }
      return null;
    }
    try {
      return OffsetDateTime.parse(text);
    } catch (DateTimeParseException e) {
      throw invalid(label + " is not an xs:dateTime with a time zone: '" + Texts.clip(text) + "'", messageId);
    }
  }

  private static PushRejectedException invalid(String description, String messageId) {
    return new PushRejectedException(PushFault.Reason.INVALID_HEADER, description, messageId, null);
  }
}
