#!/bin/sh
# End-to-end import into the knowledge store (issue #3: >= 200,000
# indicators/s from lists, >= 50,000 objects/s from STIX), through the CLI as
# a user runs it: `umbra intel import` into a fresh data dir, COUNT runs each,
# medians of wall clock and CPU (user+sys) from /usr/bin/time, and the peak
# RSS.
#
# Peer / floor: the C sqlite3 shell copying the very rows umbra wrote (objects,
# correlation; versions and sources, which since migration 6 hold only later
# versions and further publishers) into an empty database of the same schema,
# in one INSERT ... SELECT transaction per table: SQLite's own cost for the
# same B-trees with no Go, no JSON and no driver in the loop. The issue's
# named peer, MISP, is a PHP/MySQL server and does not run here.
#
# usage: bench/import-store.sh [COUNT] [ROWS]
set -eu
cd "$(dirname "$0")/.."
count=${1:-5}
rows=${2:-200000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/umbra" ./cmd/umbra
awk -v n="$rows" 'BEGIN { printf "Indicator,Type,Description,Reference\r\n"
	for (i = 0; i < n; i++) {
		m = i % 3
		if (m == 0) printf "c2-%d.example-%d.com,DOMAIN,,r\r\n", i, i % 97
		else if (m == 1) printf "%d.%d.%d.%d,IP,,r\r\n", 11 + i % 200, int(i / 256) % 256, i % 256, 1 + i % 250
		else printf "%08x%08x%08x%08x,MD5,,r\r\n", i, i * 7, i * 13, i * 7919
	} }' > "$tmp/list.csv"
go run ./bench/stixgen -objects "$rows" -o "$tmp/bundle.json" 2>/dev/null
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
run() { # name input
	: > "$tmp/$1.times"
	for i in $(seq "$count"); do
		rm -rf "$tmp/d"
		/usr/bin/time -f '%e %U %S %M' -o "$tmp/t" "$tmp/umbra" --data "$tmp/d" intel import "$2" > "$tmp/out"
		cat "$tmp/t" >> "$tmp/$1.times"
	done
	wall=$(awk '{ print $1 }' "$tmp/$1.times" | median)
	cpu=$(awk '{ print $2 + $3 }' "$tmp/$1.times" | median)
	rss=$(awk '{ print $4 }' "$tmp/$1.times" | median)
	printf '%-28s %8s s wall %8s s cpu %10.0f /s %10.0f /cpu-s %7.0f MB rss\n' "umbra $1" "$wall" "$cpu" \
		"$(echo "$rows / $wall" | bc -l)" "$(echo "$rows / $cpu" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
}
echo "rows: $rows, runs: $count, load: $(uptime | sed 's/.*load average: //')"
run "csv import" "$tmp/list.csv"
cp -r "$tmp/d" "$tmp/csvstore"
run "stix import" "$tmp/bundle.json"

# The floor, on the rows of the CSV import.
src=$tmp/csvstore/knowledge.db
sqlite3 "$src" "PRAGMA wal_checkpoint(TRUNCATE);" > /dev/null
schema=$(sqlite3 "$src" ".schema versions" ".schema objects" ".schema sources" ".schema correlation" | grep -v sqlite_stat)
: > "$tmp/floor.times"
for i in $(seq "$count"); do
	rm -f "$tmp/f.db" "$tmp/f.db-wal" "$tmp/f.db-shm"
	sqlite3 "$tmp/f.db" "PRAGMA journal_mode=WAL;" > /dev/null
	sqlite3 "$tmp/f.db" "$schema"
	# .timer prints a line per statement; the last six are BEGIN .. COMMIT.
	sqlite3 -cmd "PRAGMA synchronous=NORMAL" -cmd "PRAGMA cache_size=-65536" "$tmp/f.db" <<-SQL | awk '/^Run Time/ { w += $4; c += $6 + $8 } END { print w, c }' >> "$tmp/floor.times"
		ATTACH '$src' AS src;
		CREATE TEMP TABLE stage AS SELECT rowid AS r, * FROM src.objects ORDER BY rowid;
		CREATE TEMP TABLE vstage AS SELECT * FROM src.versions;
		CREATE TEMP TABLE sstage AS SELECT * FROM src.sources;
		CREATE TEMP TABLE cstage AS SELECT * FROM src.correlation ORDER BY obj;
		.timer on
		BEGIN;
		INSERT INTO versions SELECT * FROM vstage;
		INSERT INTO sources SELECT * FROM sstage;
		INSERT INTO objects(rowid, id, type, modified, name, confidence, tlp, first_seen, last_seen, revoked, json, added, updated) SELECT r, id, type, modified, name, confidence, tlp, first_seen, last_seen, revoked, json, added, updated FROM stage;
		INSERT INTO correlation SELECT * FROM cstage;
		COMMIT;
	SQL
done
wall=$(awk '{ print $1 }' "$tmp/floor.times" | median)
cpu=$(awk '{ print $2 }' "$tmp/floor.times" | median)
printf '%-28s %8s s wall %8s s cpu %10.0f /s %10.0f /cpu-s\n' "sqlite3 shell, same rows" "$wall" "$cpu" \
	"$(echo "$rows / $wall" | bc -l)" "$(echo "$rows / $cpu" | bc -l)"
