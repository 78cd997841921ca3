-- When the business answers: weekly hours and holidays in a time zone, as the API takes them
-- (JSON, checked on saving). Team 0 is the whole workspace (team ids start at 1); teams may
-- keep their own later. Without a row, the workspace is open around the clock in UTC.
CREATE TABLE business_hours (
    team_id    INTEGER PRIMARY KEY,
    settings   TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);
