-- V7: keep the delivery queue's own churn cheap. Every delivery is updated at least twice
-- (leased, then DELIVERED); at a few hundred deliveries a second the dead row versions of those
-- updates, left in every index of the table, became most of the fan-out's Postgres time.

-- Taking and giving back a lease change only lease_owner, lease_until, attempts and
-- updated_at. With no index naming them the update is HOT (no new index entries) when the row's
-- page has room. The claim counts deliveries in flight at the head of a subscriber's due order
-- instead (FanoutSql.CLAIM).
DROP INDEX delivery_leased_idx;

-- Covered by delivery_event_subscriber_key (event_id, subscriber_id), whose first column it is.
DROP INDEX delivery_event_idx;

-- Room on each page for the HOT versions of its rows (new pages; existing ones as they fill).
-- Vacuum after a fixed number of dead versions rather than a fraction of the table, without
-- throttling: the queue's dead versions are what the claim scans past, and their number, not
-- the table's size (mostly delivered rows), is what slows it.
ALTER TABLE delivery SET (
    fillfactor = 80,
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 5000,
    autovacuum_vacuum_cost_delay = 0
);
