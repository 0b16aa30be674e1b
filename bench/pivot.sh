#!/bin/sh
# The pivots of `umbra hunt` (talked-to, resolved-to, seen, around) over a
# simulated studio's stored history, against the same questions put to the
# raw Zeek logs with grep -F and awk, the analyst's usual tools, in the same
# run. Each figure is the median of RUNS runs: wall seconds and CPU seconds
# (user+sys, which the shared machine's load does not inflate). Both sides
# must name the same hosts / domains / counts, or the script fails.
#
# Usage: bench/pivot.sh [HOSTS] [DAYS] [RUNS]     (defaults 50 7 5)
# OLD=<git revision> also times the pivots of umbra built at that revision
# on the same store (an extra pair of columns), for a before/after in one run.
# Needs GNU time (/usr/bin/time) and python3. Work files go to a temp dir,
# removed afterwards (set KEEP=1 to keep them).
set -eu
hosts=${1:-50}
days=${2:-7}
runs=${3:-5}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
[ "${KEEP:-}" = 1 ] || trap 'rm -rf "$work"' EXIT
bin=$work/umbra
go build -o "$bin" ./cmd/umbra
if [ -n "${OLD:-}" ]; then
	mkdir "$work/oldsrc"
	git archive "$OLD" | tar -x -C "$work/oldsrc"
	(cd "$work/oldsrc" && go build -o "$work/umbra-old" ./cmd/umbra)
	echo "old: $(git rev-parse --short "$OLD")"
fi
sc=$work/sc
data=$work/data
"$bin" simulate --out "$sc" --hosts "$hosts" --days "$days" --seed 1 >/dev/null
/usr/bin/time -f 'ingest: wall %e s, cpu %U+%S s, peak RSS %M KB' \
	"$bin" --data "$data" ingest "$sc/zeek" "$sc/signin" >/dev/null 2>"$work/ingest.err" || { cat "$work/ingest.err"; exit 1; }
tail -2 "$work/ingest.err"
"$bin" --data "$data" memory stats | sed 's/^/  /'
z=$sc/zeek
echo "zeek logs: $(du -sh "$z" | cut -f1), $(cat "$z"/*.log | grep -vc '^#') records; load: $(uptime | sed 's/.*load/load/')"

# The moment patient zero fetched the implant, from the scenario's truth.
at=$(python3 -c '
import json,sys
for l in open(sys.argv[1]):
    t=json.loads(l)
    if t["kind"]=="signed-malware" and t["log"]=="files":
        print(t["ts"]); break' "$sc/truth.jsonl")
atunix=$(python3 -c 'import sys,datetime;print(datetime.datetime.fromisoformat(sys.argv[1].replace("Z","+00:00")).timestamp())' "$at")
p0=$(python3 -c '
import json,sys
for l in open(sys.argv[1]):
    t=json.loads(l)
    if t["kind"]=="scan":
        print(t["indicator"].split(" ")[0]); break' "$sc/truth.jsonl")

# median FILE: median of the numbers in FILE
median() { sort -g "$1" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

# timed NAME CMD...: run CMD RUNS times, output of the last run in $work/NAME.out
timed() {
	name=$1
	shift
	: >"$work/$name.wall"
	: >"$work/$name.cpu"
	i=0
	while [ $i -lt "$runs" ]; do
		/usr/bin/time -f '%e %U %S' -o "$work/$name.t" sh -c '"$@" >"$0" 2>/dev/null' "$work/$name.out" "$@"
		awk '{print $1}' "$work/$name.t" >>"$work/$name.wall"
		awk '{print $2+$3}' "$work/$name.t" >>"$work/$name.cpu"
		i=$((i + 1))
	done
	echo "$(median "$work/$name.wall") $(median "$work/$name.cpu")"
}

# compare LABEL UMBRA PEER: both answer files must hold the same sorted lines.
row() {
	label=$1 u=$2 p=$3
	if ! cmp -s "$work/$u.ans" "$work/$p.ans"; then
		echo "MISMATCH for $label:"
		diff "$work/$u.ans" "$work/$p.ans" | head
		exit 1
	fi
	old=
	if [ -n "${OLD:-}" ]; then
		if ! cmp -s "$work/$u.ans" "$work/old_$u.ans"; then
			echo "MISMATCH (old binary) for $label:"
			diff "$work/$u.ans" "$work/old_$u.ans" | head
			exit 1
		fi
		set -- $(cat "$work/old_$u.res")
		old=" $1 s | $2 s |"
	fi
	set -- $(cat "$work/$u.res") $(cat "$work/$p.res")
	printf '| %s | %s |%s %s s | %s s | %s s | %s s |\n' "$label" "$(wc -l <"$work/$u.ans")" "$old" "$1" "$2" "$3" "$4"
}

# both NAME ARGS...: times `umbra ARGS` as NAME, and with OLD set the old
# binary as old_NAME.
both() {
	name=$1
	shift
	timed "$name" "$bin" --data "$data" "$@" >"$work/$name.res"
	if [ -n "${OLD:-}" ]; then
		timed "old_$name" "$work/umbra-old" --data "$data" "$@" >"$work/old_$name.res"
	fi
}

hosts_json() { python3 -c '
import json,sys
s=set()
for l in open(sys.argv[1]):
    c=json.loads(l)
    if c["host"] and not c.get("inbound"): s.add(c["host"])
print("\n".join(sorted(s)))' "$1" | sed '/^$/d'; }

c2=gamecdn-sync.net
c2ip=45.142.214.9
lure=hr-talentbox.com

both u_dom hunt talked-to "$c2" --json
hosts_json "$work/u_dom.out" >"$work/u_dom.ans"
[ -z "${OLD:-}" ] || hosts_json "$work/old_u_dom.out" >"$work/old_u_dom.ans"
# grep -F finds the name anywhere in a line; awk keeps the lines whose query,
# HTTP host or TLS server name is it or a subdomain of it.
timed p_dom sh -c "grep -hF '$c2' '$z/dns.log' '$z/http.log' '$z/ssl.log' | awk -F'\t' '{for (i=9;i<=10;i++) if (\$i==\"$c2\" || \$i ~ /\\.gamecdn-sync\\.net\$/) {print \$3; next}}' | sort -u" >"$work/p_dom.res"
sed '/^$/d' "$work/p_dom.out" >"$work/p_dom.ans"

both u_ip hunt talked-to "$c2ip" --json
hosts_json "$work/u_ip.out" >"$work/u_ip.ans"
[ -z "${OLD:-}" ] || hosts_json "$work/old_u_ip.out" >"$work/old_u_ip.ans"
# files.log puts the addresses one column later (after fuid).
timed p_ip sh -c "grep -F '$c2ip' '$z'/*.log | awk -F'\t' '{o=3; if (\$1 ~ /files.log:/) o=4; if (\$(o+2)==\"$c2ip\") print \$o}' | sort -u" >"$work/p_ip.res"
sed '/^$/d' "$work/p_ip.out" >"$work/p_ip.ans"

both u_res hunt resolved-to "$c2ip" --json
domains_json() { python3 -c '
import json,sys
for l in open(sys.argv[1]): print(json.loads(l)["domain"])' "$1" | sort; }
domains_json "$work/u_res.out" >"$work/u_res.ans"
[ -z "${OLD:-}" ] || domains_json "$work/old_u_res.out" >"$work/old_u_res.ans"
timed p_res sh -c "grep -F '$c2ip' '$z/dns.log' | awk -F'\t' '{n=split(\$22,a,\",\"); for (i=1;i<=n;i++) if (a[i]==\"$c2ip\") {print \$10; next}}' | sort -u" >"$work/p_res.res"
sed '/^$/d' "$work/p_res.out" >"$work/p_res.ans"

both u_seen hunt seen "$lure" --json
events_json() { python3 -c '
import json,sys
f=json.loads(open(sys.argv[1]).read())
print(f["events"])' "$1"; }
events_json "$work/u_seen.out" >"$work/u_seen.ans"
[ -z "${OLD:-}" ] || events_json "$work/old_u_seen.out" >"$work/old_u_seen.ans"
timed p_seen sh -c "grep -hF '$lure' '$z/dns.log' '$z/http.log' | awk -F'\t' '\$10==\"$lure\" || \$9==\"$lure\" {n++; if (f==\"\"||\$1<f) f=\$1; if (\$1>l) l=\$1} END {print n+0}'" >"$work/p_seen.res"
sed '/^$/d' "$work/p_seen.out" >"$work/p_seen.ans"

both u_around hunt around "$p0" --at "$at" --window 1h --limit 100000 --json
wc -l <"$work/u_around.out" | tr -d ' ' >"$work/u_around.ans"
[ -z "${OLD:-}" ] || wc -l <"$work/old_u_around.out" | tr -d ' ' >"$work/old_u_around.ans"
timed p_around sh -c "awk -F'\t' -v a=$atunix '\$1 !~ /^#/ && \$1>=a-3600 && \$1<=a+3600 {o=3; if (FILENAME ~ /files.log/) o=4; if (\$o==\"$p0\" || \$(o+2)==\"$p0\") n++} END {print n+0}' '$z'/*.log" >"$work/p_around.res"
sed '/^$/d' "$work/p_around.out" >"$work/p_around.ans"

# A popular name: most DNS, HTTP and TLS segments hold it, so statistics
# skip little and the rows that do not name it must be passed over cheaply.
pop=microsoft.com
both u_pop hunt talked-to "$pop" --json
hosts_json "$work/u_pop.out" >"$work/u_pop.ans"
[ -z "${OLD:-}" ] || hosts_json "$work/old_u_pop.out" >"$work/old_u_pop.ans"
timed p_pop sh -c "grep -hF '$pop' '$z/dns.log' '$z/http.log' '$z/ssl.log' | awk -F'\t' '{for (i=9;i<=10;i++) if (\$i==\"$pop\" || \$i ~ /\\.microsoft\\.com\$/) {print \$3; next}}' | sort -u" >"$work/p_pop.res"
sed '/^$/d' "$work/p_pop.out" >"$work/p_pop.ans"

echo
echo "$hosts hosts, $days days; medians of $runs runs"
echo
if [ -n "${OLD:-}" ]; then
	echo '| pivot | answer lines | umbra before wall | umbra before cpu | umbra wall | umbra cpu | grep/awk wall | grep/awk cpu |'
	echo '|---|---|---|---|---|---|---|---|'
else
	echo '| pivot | answer lines | umbra wall | umbra cpu | grep/awk wall | grep/awk cpu |'
	echo '|---|---|---|---|---|---|'
fi
row "talked-to $c2 (and subdomains)" u_dom p_dom
row "talked-to $c2ip" u_ip p_ip
row "resolved-to $c2ip" u_res p_res
row "seen $lure (events)" u_seen p_seen
row "around $p0 ±1h (events)" u_around p_around
row "talked-to $pop (popular; and subdomains)" u_pop p_pop
"$bin" --data "$data" hunt talked-to "$c2" 2>&1 >/dev/null | sed 's/^/umbra talked-to: /'
"$bin" --data "$data" hunt around "$p0" --at "$at" --window 1h 2>&1 >/dev/null | sed 's/^/umbra around: /'
"$bin" --data "$data" hunt talked-to "$pop" 2>&1 >/dev/null | sed 's/^/umbra talked-to popular: /'
