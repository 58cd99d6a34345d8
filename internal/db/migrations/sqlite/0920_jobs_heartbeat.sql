-- Background jobs beat a heartbeat while they run, so a server that starts after a crash can
-- tell a job left "running" by a dead process (no heartbeat for a while) from a live one.
ALTER TABLE jobs ADD COLUMN heartbeat_at TIMESTAMP;
CREATE INDEX jobs_running ON jobs(state) WHERE state = 'running';
