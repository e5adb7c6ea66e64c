-- V8: data retention. A job in every replica deletes what is old and no longer referenced, in
-- small batches (RetentionSql). This adds the lease that lets one replica run it per interval,
-- and the indexes its "is this row still referenced?" checks need.
--
-- These CREATE INDEX statements are not CONCURRENTLY: Flyway runs a migration in a transaction,
-- where CONCURRENTLY is not allowed. On a large existing database they block writes to event and
-- claim while they are built (reads go on).

-- One row per periodic maintenance task. Taken and checked on the database clock (now()), never
-- a pod's, so every replica agrees on who holds it and until when.
CREATE TABLE maintenance_lease (
    name        text        PRIMARY KEY CHECK (name <> ''),
    owner       text        NOT NULL,
    lease_until timestamptz NOT NULL
);

-- Foreign keys PostgreSQL does not index by itself. Without them, every payload, claim and
-- inbound message considered for deletion would scan event (or claim) in full, and so would the
-- foreign-key check of each delete. The lease updates of the redemption worker never change
-- these columns, so they stay HOT-eligible (event rows are never updated).
CREATE INDEX event_payload_idx ON event (payload_id) WHERE payload_id IS NOT NULL;
CREATE INDEX event_claim_idx ON event (claim_id) WHERE claim_id IS NOT NULL;
CREATE INDEX event_inbound_message_idx ON event (inbound_message_id) WHERE inbound_message_id IS NOT NULL;
CREATE INDEX claim_payload_idx ON claim (payload_id) WHERE payload_id IS NOT NULL;
