package org.omspush.store.fanout;

/** Pending deliveries of enabled subscribers, and how old the oldest one's event is. */
public record QueueState(long pending, double oldestSeconds) {}
