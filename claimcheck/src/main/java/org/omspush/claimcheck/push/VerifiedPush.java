package org.omspush.claimcheck.push;

import org.omspush.store.InboundMessage;

/** A push that passed every check and may be stored. */
public record VerifiedPush(InboundMessage message, CaisoHeader header, ParsedPush body) {}
