-- The check of the rows written before V9, under SHARE UPDATE EXCLUSIVE: writes go on meanwhile.
ALTER TABLE delivery VALIDATE CONSTRAINT delivery_lease_only_pending;
