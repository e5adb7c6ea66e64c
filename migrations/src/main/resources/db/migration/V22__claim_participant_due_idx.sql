-- V22: one redemption scheduler per replica takes, across all participants, the earliest due
-- claim whose AUP gate is open. It looks at the head of each (participant, service) queue; this
-- index gives that head in one probe, however long another participant's backlog is. Partial:
-- only PENDING claims, so it stays as small as the backlog.
--
-- Locks: not CONCURRENTLY (Flyway runs a migration in one transaction), so writes of claims wait
-- while it is built; the build reads the claim table once but writes only its PENDING rows.
CREATE INDEX claim_participant_due_idx ON claim (participant, service, next_attempt_at, id) WHERE state = 'PENDING';
