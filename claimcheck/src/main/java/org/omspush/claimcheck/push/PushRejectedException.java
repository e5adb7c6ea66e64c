package org.omspush.claimcheck.push;

/** A push that must be answered with a SOAP Fault and not stored. */
public final class PushRejectedException extends Exception {
  private final PushFault fault;
  private final String messageId;

  public PushRejectedException(PushFault.Reason reason, String description) {
    this(reason, description, null, null);
  }

  public PushRejectedException(PushFault.Reason reason, String description, String messageId, Throwable cause) {
    super(description, cause, false, false);
    this.fault = PushFault.of(reason, description);
    this.messageId = messageId;
  }

  public PushFault fault() {
    return fault;
  }

  /** The MessageID when it could be read before the refusal, else null. */
  public String messageId() {
    return messageId;
  }

  PushRejectedException withMessageId(String id) {
    return new PushRejectedException(fault.reason(), fault.description(), id, getCause());
  }
}
