-- Synthetic dataset and benchmarks (SQLite dialect). Keep in step with ../postgres/0400_seed_bench.sql.
-- seed_runs records each `esd seed` step, so `esd bench` knows which dataset (size, seed) it
-- measures and a second seed of the same world is refused rather than duplicated.
CREATE TABLE seed_runs (
	id INTEGER PRIMARY KEY,
	size TEXT NOT NULL,
	seed INTEGER NOT NULL,
	step TEXT NOT NULL,
	rows INTEGER NOT NULL DEFAULT 0,
	seconds REAL NOT NULL DEFAULT 0,
	started_at TIMESTAMP NOT NULL,
	finished_at TIMESTAMP
);
-- bench_scratch is the unindexed table of the raw insert and raw scan baselines; the harness
-- empties it after each run.
CREATE TABLE bench_scratch (
	k INTEGER NOT NULL,
	name TEXT NOT NULL,
	v INTEGER NOT NULL
);
