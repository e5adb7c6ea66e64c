-- The check of the claims written before V11, under SHARE UPDATE EXCLUSIVE: writes go on meanwhile.
ALTER TABLE claim VALIDATE CONSTRAINT claim_state_check;
