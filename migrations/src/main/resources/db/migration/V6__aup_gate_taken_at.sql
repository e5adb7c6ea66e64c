-- When the gate was last taken (database clock). Once a call's answer is back, the gate is set to
-- the answer's time plus the AUP interval, so next_allowed_at no longer tells when it was taken;
-- operators and the benchmark read it here.
ALTER TABLE aup_gate ADD COLUMN last_taken_at timestamptz;
