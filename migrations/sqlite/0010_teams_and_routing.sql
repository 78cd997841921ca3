-- Teams and routing: teams of members, each conversation in at most one team, a default team
-- per business number, members' availability, and what routing needs to take turns.

CREATE TABLE teams (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    -- The name in lower case: names are unique whatever their case.
    name_key   TEXT    NOT NULL UNIQUE,
    assignment TEXT    NOT NULL DEFAULT 'none'
               CHECK (assignment IN ('none', 'round_robin', 'least_busy')),
    -- Open conversations a member may hold before routing passes them over; NULL: no limit.
    capacity   INTEGER CHECK (capacity > 0),
    created_at INTEGER NOT NULL
);

CREATE TABLE team_members (
    team_id          INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id          INTEGER NOT NULL REFERENCES users (id),
    -- When this team last gave them a conversation: round-robin's turn order.
    last_assigned_at INTEGER,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

ALTER TABLE conversations ADD COLUMN team_id INTEGER REFERENCES teams (id);
-- A team's queue: its open, unassigned conversations, oldest first.
CREATE INDEX conversations_team_queue ON conversations (team_id, last_message_at)
    WHERE assignee_id IS NULL AND status = 'open';
CREATE INDEX conversations_team ON conversations (team_id, last_message_at, id);

ALTER TABLE business_numbers ADD COLUMN default_team_id INTEGER REFERENCES teams (id);

ALTER TABLE users ADD COLUMN availability TEXT NOT NULL DEFAULT 'offline'
    CHECK (availability IN ('online', 'away', 'offline'));
-- When a node last saw an event stream of theirs open (or they set their availability):
-- members whose streams have all been closed for a while go offline.
ALTER TABLE users ADD COLUMN last_stream_at INTEGER;
