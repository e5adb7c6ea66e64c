-- Indexes that keep a fan-out claim proportional to what it takes, not to the backlog
-- (tens of thousands of PENDING deliveries after an outage of the subscribers or a burst).

-- The free slots of a subscriber: its deliveries in flight. Only leased PENDING rows, a handful
-- per subscriber; without it the count walked the subscriber's whole backlog on every claim.
CREATE INDEX delivery_leased_idx ON delivery (subscriber_id)
    WHERE state = 'PENDING' AND lease_until IS NOT NULL;

-- A subscriber's due deliveries in the order they are sent (the claim's ORDER BY), so the
-- claim reads the first few rows of each subscriber and stops. Replaces delivery_due_idx,
-- whose columns are its prefix (the "has due work" probe uses it the same way).
CREATE INDEX delivery_next_idx ON delivery (subscriber_id, next_attempt_at, event_created_at, outage_version)
    WHERE state = 'PENDING';
DROP INDEX delivery_due_idx;

-- Supersession looks at pending outage deliveries only; market events (no mRID) are not in it.
CREATE INDEX delivery_pending_outage_idx ON delivery (subscriber_id, outage_mrid, outage_version)
    WHERE state = 'PENDING' AND outage_mrid IS NOT NULL;
