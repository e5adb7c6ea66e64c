-- A lease is held only by a PENDING delivery: every statement that ends one (DELIVERED,
-- FAILED, SKIPPED, DEAD) clears it. Stated here so that recording an answer can find its row
-- by id and lease alone: with "state = 'PENDING'" in that WHERE, the planner may walk the
-- partial index of pending deliveries instead of the primary key, and it does whenever the
-- table's statistics were taken while nothing was pending (a backlog then costs a scan of
-- the whole queue per answer).
-- NOT VALID here (a short lock: new writes are checked from now on) and validated in V10, its
-- own transaction, so that the check of existing rows does not hold this lock and block writes.
ALTER TABLE delivery ADD CONSTRAINT delivery_lease_only_pending
    CHECK (lease_owner IS NULL OR state = 'PENDING') NOT VALID;
