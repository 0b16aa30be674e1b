#!/bin/sh
# On-disk size of the correlation index per distinct value (issue #3: at
# most 64 bytes at 10M values).
#
# Part 1 builds the index table exactly as knowledge/sqlite's migration 2
# declares it (WITHOUT ROWID, (h, obj) primary key), fills it with N
# distinct values in random key order (as imports insert them: h is a hash),
# one transaction per million values, and reads the table's bytes from
# SQLite's dbstat. The page format is SQLite's own, so the C sqlite3 shell
# builds in minutes what the Go driver would build in an hour; part 2 checks
# the same figure on a store that umbra itself wrote.
#
# usage: bench/corrsize.sh [N...]        (default: 1000000 3000000 10000000)
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sizes=${*:-1000000 3000000 10000000}
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 shell (apt-get install sqlite3)"; exit 1; }
printf '%12s %14s %14s %10s\n' values table_bytes file_bytes bytes/value
for n in $sizes; do
	db=$tmp/c$n.db
	sqlite3 "$db" "PRAGMA journal_mode=WAL;" >/dev/null
	sqlite3 "$db" "CREATE TABLE correlation(h INTEGER NOT NULL, obj INTEGER NOT NULL, PRIMARY KEY(h, obj)) WITHOUT ROWID;
		CREATE TABLE overcorrelated(h INTEGER PRIMARY KEY, value TEXT NOT NULL, objects INTEGER NOT NULL);"
	done_=0
	while [ "$done_" -lt "$n" ]; do
		step=$((n - done_)); [ "$step" -gt 1000000 ] && step=1000000
		sqlite3 "$db" "BEGIN; INSERT INTO correlation SELECT random(), value FROM generate_series($((done_ + 1)), $((done_ + step))); COMMIT;"
		done_=$((done_ + step))
	done
	sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
	bytes=$(sqlite3 "$db" "SELECT SUM(pgsize) FROM dbstat WHERE name IN ('correlation', 'overcorrelated')")
	file=$(stat -c %s "$db")
	printf '%12d %14d %14d %10.1f\n' "$n" "$bytes" "$file" "$(echo "$bytes / $n" | bc -l)"
	rm -f "$db" "$db-wal" "$db-shm"
done

# Part 2: a store written by umbra (200,000 list indicators, one value each).
csv=$tmp/list.csv
awk 'BEGIN { print "Indicator,Type,Description,Reference"; for (i = 0; i < 200000; i++) printf "c2-%d.example-%d.com,DOMAIN,,r\n", i, i % 97 }' > "$csv"
go run ./cmd/umbra --data "$tmp/store" intel import "$csv" >/dev/null
db=$tmp/store/knowledge.db
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
n=$(sqlite3 "$db" "SELECT COUNT(DISTINCT h) FROM correlation")
bytes=$(sqlite3 "$db" "SELECT SUM(pgsize) FROM dbstat WHERE name IN ('correlation', 'overcorrelated')")
printf '\numbra store, %d values: %d bytes, %.1f bytes/value\n' "$n" "$bytes" "$(echo "$bytes / $n" | bc -l)"
