-- V24: a push's supersession step (store_outage_change, step 2) and a redemption's (RedemptionSql)
-- look up the outage's other PENDING claims by participant and outage. The pending index held
-- only (outage_mrid, version), so a plan made on a young table's statistics (a new database, the
-- generic plan plpgsql settles on after five calls) preferred claim_participant_due_idx on the
-- participant alone, and every push then read the participant's whole pending queue. With the
-- participant first here, both equalities are index conditions and this index wins on any
-- statistics. Not CONCURRENTLY (Flyway runs a migration in a transaction): outage pushes wait
-- while it is built; it holds PENDING claims only.
DROP INDEX claim_pending_by_outage_idx;
CREATE INDEX claim_pending_by_outage_idx ON claim (participant, outage_mrid, version) WHERE state = 'PENDING';
