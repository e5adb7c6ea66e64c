package org.omspush.claimcheck.push;

import org.omspush.store.MarketEvent;
import org.omspush.store.OutageChange;

/** What a push body says, independent of the XML it came in. */
public sealed interface ParsedPush {
  record Outage(OutageChange change) implements ParsedPush {}

  record Market(MarketEvent event) implements ParsedPush {}
}
