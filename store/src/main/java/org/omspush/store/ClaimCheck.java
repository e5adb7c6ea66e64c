package org.omspush.store;

import java.time.OffsetDateTime;

/** The reference a push carries: redeemed later through the named ISO retrieve service. */
public record ClaimCheck(String token, String service, OffsetDateTime expires) {}
