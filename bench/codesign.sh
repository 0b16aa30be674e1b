#!/usr/bin/env bash
# Compares `umbra pe scan` with `osslsigncode verify` on the same signed PE
# files in the same run and prints medians and the ratio.
#
#   bench/codesign.sh [FILES] [RUNS]     (defaults: 200 files, 5 runs)
#   REAL=1 bench/codesign.sh 0 [RUNS]
#
# Input: osslsigncode's own tests/files/unsigned.exe (96 KB) from
# ../shared/data/authenticode-pe, signed once with a throwaway CA made here,
# copied FILES times under Zeek-style names. With REAL=1 the input is
# instead the vendor-signed Windows binaries (Microsoft, PuTTY, Brave, ...)
# in the test folder of the github.com/saferwall/pe module in the Go module
# cache. Needs go, openssl, osslsigncode.
set -euo pipefail
files=${1:-200}
runs=${2:-5}
repo=$(cd "$(dirname "$0")/.." && pwd)
src=$repo/../shared/data/authenticode-pe/osslsigncode/tests/files/unsigned.exe
for tool in openssl osslsigncode go; do
  command -v $tool >/dev/null || { echo "need $tool" >&2; exit 2; }
done
[ -f "$src" ] || { echo "missing $src" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 \
  -subj "/CN=Bench Root/O=Throwaway" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout signer.key -out signer.csr \
  -subj "/CN=Acme Games/O=Acme Games Ltd" 2>/dev/null
printf 'extendedKeyUsage=codeSigning\nkeyUsage=digitalSignature\n' > ext.cnf
openssl x509 -req -in signer.csr -CA ca.crt -CAkey ca.key -set_serial 0x0F66842B4F9C458B72136F0AE96924B7 \
  -days 10 -extfile ext.cnf -out signer.crt 2>/dev/null
cat signer.crt ca.crt > chain.pem
osslsigncode sign -certs chain.pem -key signer.key -h sha256 -in "$src" -out signed.exe >/dev/null
mkdir files
if [ -n "${REAL:-}" ]; then
  real=$(go env GOMODCACHE)/github.com/saferwall/pe@v1.6.5/test
  (cd "$repo" && go build -o "$tmp/umbra" ./cmd/umbra)
  # Only the signed ones: osslsigncode verify stops early on the rest.
  for f in "$real"/*; do
    if ./umbra pe scan --json "$f" | grep -q '"signers":\[{'; then cp "$f" files/; fi
  done
  files=$(ls files | wc -l)
else
  for i in $(seq 1 "$files"); do
    cp signed.exe "files/extract-1521911341.$i-HTTP-F$i"
  done
fi
(cd "$repo" && go build -o "$tmp/umbra" ./cmd/umbra)

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
seconds() { local s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; echo "$(date +%s.%N) - $s" | bc -l; }

umbra_dir=(); umbra_each=(); ossl_each=()
for r in $(seq 1 "$runs"); do
  umbra_dir+=("$(seconds ./umbra pe scan --json files)")
  umbra_each+=("$(seconds sh -c 'for f in files/*; do ./umbra pe scan --json "$f"; done')")
  # osslsigncode verify has no directory mode: one process per file, which
  # is how it is used. -CAfile/-TSA-CAfile name the throwaway CA so that it
  # does not load the system bundle (umbra checks no trust store) and the
  # verification succeeds; without them it is several times slower.
  ossl_each+=("$(seconds sh -c 'for f in files/*; do osslsigncode verify -CAfile ca.crt -TSA-CAfile ca.crt -in "$f"; done')")
done
ud=$(printf '%s\n' "${umbra_dir[@]}" | median)
ue=$(printf '%s\n' "${umbra_each[@]}" | median)
oe=$(printf '%s\n' "${ossl_each[@]}" | median)
printf 'files=%d runs=%d total_bytes=%d\n' "$files" "$runs" "$(cat files/* | wc -c)"
printf 'umbra pe scan DIR (1 process)    median %.3fs  %.2f ms/file\n' "$ud" "$(echo "$ud*1000/$files" | bc -l)"
printf 'umbra pe scan FILE (per file)    median %.3fs  %.2f ms/file\n' "$ue" "$(echo "$ue*1000/$files" | bc -l)"
printf 'osslsigncode verify (per file)   median %.3fs  %.2f ms/file\n' "$oe" "$(echo "$oe*1000/$files" | bc -l)"
printf 'ratio osslsigncode/umbra: per-file processes %.2fx, umbra directory mode %.2fx\n' \
  "$(echo "$oe/$ue" | bc -l)" "$(echo "$oe/$ud" | bc -l)"
