-- How a claim is redeemed: by its claim-check token, or by its key (the outage mRID, the
-- market event's eventId) once the token is past its expiry or unknown to the ISO.
ALTER TABLE claim
    ADD COLUMN lookup text NOT NULL DEFAULT 'TOKEN' CONSTRAINT claim_lookup_check CHECK (lookup IN ('TOKEN', 'KEY'));

-- A claim with no token (a push without a claim check, or one found by catch-up) is redeemed by key.
UPDATE claim SET lookup = 'KEY' WHERE token IS NULL;
