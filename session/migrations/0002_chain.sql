-- The record's chain: every event carries a MAC under the store key over
-- its content and the previous event's MAC (session/chain.go). Events
-- written before this version are sealed into the chain when the store is
-- opened by a release that has the key (the store says so once).
ALTER TABLE events ADD COLUMN mac TEXT NOT NULL DEFAULT '';
