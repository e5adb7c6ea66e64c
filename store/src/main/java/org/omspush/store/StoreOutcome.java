package org.omspush.store;

/** What storing one push did. Every outcome is committed and may be acknowledged. */
public enum StoreOutcome {
  /** First time this MessageID was seen: message and its rows written. */
  STORED,
  /** MessageID seen before with the same document: nothing new written. */
  DUPLICATE,
  /** MessageID seen before with a different document: the first is kept, the conflict counted. */
  DUPLICATE_CONFLICT
}
