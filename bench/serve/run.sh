#!/usr/bin/env bash
# Load test of `umbra serve` on the demo scenario, on loopback, with wrk.
#
# Builds umbra, runs the demo into a data dir (kept in $UMBRA_BENCH_DATA when
# set, so later runs skip it), issues a reader token cleared for TLP:GREEN,
# starts `umbra serve` on 127.0.0.1 and runs wrk (--latency) RUNS times against
#   - the TAXII objects GET of the "all" collection (a full 100-object page), and
#   - GET /api/alerts (skipped while the REST API answers 404),
# then prints each run's requests/s, p99 latency and non-2xx count, the
# medians, and the server's RSS before and after (memory must stay bounded).
#
# The per-token rate limit is raised for the run (--rate/--burst): one token
# makes every request here, and the default 50 req/s would turn the test into
# a test of the limiter.
#
# Usage: bench/serve/run.sh [runs=5] [seconds=10] [connections=32] [threads=1]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}; secs=${2:-10}; conns=${3:-32}; threads=${4:-1}
command -v wrk >/dev/null || { echo "wrk not installed (apt-get install -y wrk)" >&2; exit 1; }
work=$(mktemp -d /tmp/umbra-serve-bench.XXXXXX)
data=${UMBRA_BENCH_DATA:-$work/data}
bin=$work/umbra
go build -o "$bin" ./cmd/umbra
if [ ! -f "$data/knowledge.db" ]; then
	"$bin" demo --data "$data" >"$work/demo.log" 2>&1 || { cat "$work/demo.log" >&2; exit 1; }
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
export UMBRA_TOKEN
UMBRA_TOKEN=$("$bin" --data "$data" token create --name "bench-$$" --role reader --tlp-max green 2>/dev/null)
tokid=${UMBRA_TOKEN:4:16}
"$bin" --data "$data" serve --addr "127.0.0.1:$port" --rate 1e9 --burst 1000000000 ${UMBRA_PPROF:+--pprof "$UMBRA_PPROF"} 2>"$work/serve.log" &
srv=$!
cleanup() { kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null; "$bin" --data "$data" token revoke "$tokid" 2>/dev/null; rm -rf "$work/umbra"; }
trap cleanup EXIT
for _ in $(seq 100); do curl -sf -o /dev/null -H "Authorization: Bearer $UMBRA_TOKEN" "$base/taxii2/" && break; sleep 0.1; done
rss() { awk '/^VmRSS/ {print $2/1024 " MiB"}' "/proc/$srv/status"; }
# server CPU time (user+system) in clock ticks, to report requests per
# CPU-second of the server: the figure to compare when others load the machine
cpu() { awk '{print $14+$15}' "/proc/$srv/stat"; }
hz=$(getconf CLK_TCK)
coll=$(curl -sf -H "Authorization: Bearer $UMBRA_TOKEN" "$base/taxii2/umbra/collections/" |
	python3 -c 'import json,sys; print(next(c["id"] for c in json.load(sys.stdin)["collections"] if c.get("alias")=="all"))')
taxii_url="$base/taxii2/umbra/collections/$coll/objects/"
nobj=$(curl -sf -H "Authorization: Bearer $UMBRA_TOKEN" "$taxii_url" | python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("objects",[])))')
bytes=$(curl -sf -H "Authorization: Bearer $UMBRA_TOKEN" "$taxii_url" | wc -c)
echo "load: $(uptime | sed 's/.*load average: //')"
echo "server pid $srv, RSS at start $(rss); TAXII page: $nobj objects, $bytes bytes"

# one URL ACCEPT: prints "req/s p99 non2xx" per run, then the medians
bench() {
	local name=$1 url=$2 accept=$3 i out rps p99 errs
	export UMBRA_ACCEPT=$accept
	wrk -t"$threads" -c"$conns" -d2s -s bench/serve/auth.lua "$url" >/dev/null # warm-up
	: >"$work/$name.txt"
	for i in $(seq "$runs"); do
		c0=$(cpu)
		out=$(wrk -t"$threads" -c"$conns" -d"${secs}s" --latency -s bench/serve/auth.lua "$url")
		c1=$(cpu)
		rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
		total=$(awk '/requests in/ {print $1}' <<<"$out")
		percpu=$(awk -v n="$total" -v t=$((c1 - c0)) -v hz="$hz" 'BEGIN {printf "%.0f", (t > 0) ? n / (t / hz) : 0}')
		p99=$(awk '$1=="99%" {print $2}' <<<"$out")
		errs=$(awk '/Non-2xx or 3xx responses/ {print $NF}' <<<"$out"); errs=${errs:-0}
		sock=$(awk '/Socket errors/ {print $0}' <<<"$out")
		echo "$name run $i: $rps req/s, p99 $p99, non-2xx $errs, $percpu req per server CPU-second, RSS $(rss), load $(cut -d' ' -f1 /proc/loadavg) ${sock:+($sock)}"
		echo "$rps $p99 $errs $percpu" >>"$work/$name.txt"
	done
	python3 - "$work/$name.txt" "$name" <<'PY'
import statistics, sys
def ms(s):
    for suf, f in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if s.endswith(suf): return float(s[:-len(suf)]) * f
rows = [l.split() for l in open(sys.argv[1])]
print(f"{sys.argv[2]} median: {statistics.median(float(r[0]) for r in rows):.0f} req/s, "
      f"p99 {statistics.median(ms(r[1]) for r in rows):.2f} ms, non-2xx total {sum(int(r[2]) for r in rows)}, "
      f"{statistics.median(float(r[3]) for r in rows):.0f} req per server CPU-second")
PY
}
bench taxii-objects "$taxii_url" "application/taxii+json;version=2.1"
echo "RSS after TAXII: $(rss)"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $UMBRA_TOKEN" "$base/api/alerts")
if [ "$code" = 200 ]; then
	bench api-alerts "$base/api/alerts" "application/json"
	echo "RSS after API: $(rss)"
else
	echo "GET /api/alerts answers $code: API not built into this umbra, skipped"
fi
