-- A desk's and an operator's newest sessions, in order: an operator's desk
-- lists "its own" sessions newest first (home's recent five, the first
-- page). Without these a desk with few sessions of its own walked the
-- whole history backwards to find them (0003's indexes order by
-- created_at, for the reports' day ranges).
CREATE INDEX sessions_desk_num ON sessions (desk, num);
CREATE INDEX sessions_operator_num ON sessions (operator, num);
