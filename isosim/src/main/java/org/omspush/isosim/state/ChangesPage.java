package org.omspush.isosim.state;

import java.util.List;

/**
 * One page of {@code RetrieveOutageChanges}: the newest version of each outage modified after
 * the position asked for, oldest first; whether more follow; and the cursor for the next page
 * (the position of the last entry, or the position asked for when the page is empty).
 */
public record ChangesPage(List<OutageVersion> changes, boolean more, ChangePosition next) {

  public ChangesPage {
    changes = List.copyOf(changes);
  }
}
