package org.omspush.claimcheck.push;

import java.util.Set;
import org.w3c.dom.Element;

/**
 * One body schema of the push. The ISO has not published its own; when it does, its mapping
 * goes beside {@link OmsPushV1Mapping} and the receiver dispatches on SOAPAction as before.
 */
public interface PushBodyMapping {
  /** The SOAPActions (unquoted) this mapping reads. */
  Set<String> actions();

  /** Reads the single child of {@code soap:Body}; refuses what it cannot read with {@code INVALID_BODY}. */
  ParsedPush read(String action, Element document) throws PushRejectedException;
}
