//go:build duckdb

// Command duckhunt puts issue #5's retro-hunt question to DuckDB: it loads
// the events of an umbra memory and the synthetic million-indicator set
// (synth.Indicators(synth.Million, 1), as BenchmarkHuntLarge uses) into
// DuckDB tables, then times one SQL query that finds every (event,
// indicator) pair umbra's matcher reports, interleaved with hunt.Run over
// the same store, and fails unless both find the same hits.
//
// It lives in a module of its own, built only with -tags duckdb, so that
// umbra's build stays pure Go and its go.mod free of DuckDB and of the
// newer klauspost/compress, lz4 and protobuf that DuckDB's Arrow
// dependency requires. bench/duckhunt.sh builds and runs it.
package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"flag"
	"fmt"
	"log"
	"math"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/umbra-cti/umbra/hunt"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/match/synth"
	"github.com/umbra-cti/umbra/memory"
	"github.com/umbra-cti/umbra/telemetry/event"
)

func main() {
	store := flag.String("store", "", "umbra data directory holding memory/ (a copy: the memory is locked while open)")
	dbPath := flag.String("db", "", "DuckDB database file; loaded from the store unless it already holds its events")
	runs := flag.Int("runs", 3, "timed runs of each side, interleaved")
	threads := flag.Int("threads", 2, "DuckDB threads (umbra's hunt uses 2 workers)")
	memLimit := flag.String("memory-limit", "8GB", "DuckDB memory_limit")
	side := flag.String("side", "both", "both, duckdb or umbra")
	explain := flag.Bool("explain", false, "print DuckDB's EXPLAIN ANALYZE of the hunt query and exit")
	zeekDir := flag.String("load-zeek", "", "instead of the hunt: load the Zeek TSV logs of this directory into a new database at -db and time it (bench/ingest.sh)")
	flag.Parse()
	if *zeekDir != "" && *dbPath != "" {
		if err := loadZeek(*zeekDir, *dbPath, *threads, *memLimit); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *store == "" || *dbPath == "" {
		log.Fatal("usage: duckhunt -store DIR -db FILE [-runs N]")
	}
	if *explain {
		*side = "explain"
	}
	if err := run(*store, *dbPath, *runs, *threads, *memLimit, *side); err != nil {
		log.Fatal(err)
	}
}

func run(storeDir, dbPath string, runs, threads int, memLimit, side string) error {
	ctx := context.Background()
	mem, err := memory.Open(storeDir)
	if err != nil {
		return err
	}
	defer mem.Close()
	n := int64(mem.Stats().Events)
	inds := synth.Indicators(synth.Million, 1)

	conn, err := duckdb.NewConnector(dbPath, nil)
	if err != nil {
		return err
	}
	defer conn.Close()
	db := sql.OpenDB(conn)
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := configure(db, threads, memLimit); err != nil {
		return err
	}
	var have int64
	if err := db.QueryRow("SELECT events FROM meta").Scan(&have); err != nil || have != n {
		t0 := time.Now()
		if err := loadEvents(ctx, conn, db, mem); err != nil {
			return fmt.Errorf("loading events: %w", err)
		}
		log.Printf("events loaded in %s", time.Since(t0).Round(time.Second))
		if err := loadIndicators(ctx, conn, db, inds); err != nil {
			return fmt.Errorf("loading indicators: %w", err)
		}
		if _, err := db.Exec("CREATE OR REPLACE TABLE meta AS SELECT ?::BIGINT AS events", n); err != nil {
			return err
		}
		if _, err := db.Exec("CHECKPOINT"); err != nil {
			return err
		}
		log.Printf("loaded %d events and %d indicators into %s in %s", n, len(inds), dbPath, time.Since(t0).Round(time.Second))
	}
	if _, err := db.Exec(macros); err != nil {
		return fmt.Errorf("macros: %w", err)
	}

	if side == "explain" {
		var k, plan string
		if err := db.QueryRow("EXPLAIN (ANALYZE, FORMAT JSON) "+huntQuery).Scan(&k, &plan); err != nil {
			return err
		}
		fmt.Println(plan)
		return nil
	}
	snap, _ := match.Build(inds, nil)
	values := make([]string, len(inds))
	for i := range inds {
		values[i] = inds[i].Value
	}
	var duckRes, umbraRes []result
	var duckHits, umbraHits map[string]int
	for r := 0; r < runs; r++ {
		if side != "umbra" {
			runtime.GC()
			res, hits, err := timed(func() (map[string]int, error) { return duckHunt(ctx, db) })
			if err != nil {
				return fmt.Errorf("duckdb hunt: %w", err)
			}
			duckRes, duckHits = append(duckRes, res), hits
			log.Printf("run %d duckdb: %s", r+1, res)
		}
		if side != "duckdb" {
			runtime.GC()
			res, hits, err := timed(func() (map[string]int, error) {
				hs, _, err := hunt.Run(ctx, mem, snap, hunt.Options{Values: values})
				byType := map[string]int{}
				for i := range hs {
					byType[hs[i].IndicatorType]++
				}
				return byType, err
			})
			if err != nil {
				return fmt.Errorf("umbra hunt: %w", err)
			}
			umbraRes, umbraHits = append(umbraRes, res), hits
			log.Printf("run %d umbra:  %s", r+1, res)
		}
	}
	var la [3]float64
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Sscan(string(b), &la[0], &la[1], &la[2])
	}
	var version string
	db.QueryRow("SELECT library_version FROM pragma_version()").Scan(&version)
	fmt.Printf("DuckDB %s, events %d, indicators %d, runs %d, load average %.2f %.2f %.2f\n",
		version, n, len(inds), runs, la[0], la[1], la[2])
	d, u := median(duckRes), median(umbraRes)
	if len(duckRes) > 0 {
		fmt.Printf("duckdb  median wall %6.2f s  cpu %6.2f s  hits %d\n", d.wall.Seconds(), d.cpu.Seconds(), d.hits)
	}
	if len(umbraRes) > 0 {
		fmt.Printf("umbra   median wall %6.2f s  cpu %6.2f s  hits %d\n", u.wall.Seconds(), u.cpu.Seconds(), u.hits)
	}
	if len(duckRes) == 0 || len(umbraRes) == 0 {
		return nil
	}
	fmt.Printf("duckdb/umbra  wall %.2fx  cpu %.2fx\n", d.wall.Seconds()/u.wall.Seconds(), d.cpu.Seconds()/u.cpu.Seconds())
	// The last runs' hits by indicator type: both sides must agree on
	// each, not only in total.
	types := map[string]bool{}
	for t := range duckHits {
		types[t] = true
	}
	for t := range umbraHits {
		types[t] = true
	}
	differ := false
	for _, t := range slices.Sorted(mapKeys(types)) {
		fmt.Printf("  %-12s duckdb %9d  umbra %9d\n", t, duckHits[t], umbraHits[t])
		differ = differ || duckHits[t] != umbraHits[t]
	}
	if differ {
		return fmt.Errorf("hit counts differ: duckdb %d, umbra %d", d.hits, u.hits)
	}
	return nil
}

// configure sets DuckDB's threads and memory limit, and lets it ignore
// insertion order (no query here depends on it).
func configure(db *sql.DB, threads int, memLimit string) error {
	for _, q := range []string{
		fmt.Sprintf("SET threads = %d", threads),
		fmt.Sprintf("SET memory_limit = '%s'", memLimit),
		"SET preserve_insertion_order = false",
	} {
		if _, err := db.Exec(q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// result is one timed run.
type result struct {
	wall, cpu time.Duration
	hits      int
}

func (r result) String() string {
	return fmt.Sprintf("wall %.2f s, cpu %.2f s, %d hits", r.wall.Seconds(), r.cpu.Seconds(), r.hits)
}

// timed runs fn and measures its wall and process CPU time (user+sys of
// every thread, DuckDB's included).
func timed(fn func() (map[string]int, error)) (result, map[string]int, error) {
	c0 := cpuNow()
	t0 := time.Now()
	hits, err := fn()
	r := result{wall: time.Since(t0), cpu: cpuNow() - c0}
	for _, c := range hits {
		r.hits += c
	}
	return r, hits, err
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(rs []result) result {
	if len(rs) == 0 {
		return result{}
	}
	w := make([]result, len(rs))
	copy(w, rs)
	sort.Slice(w, func(i, j int) bool { return w[i].wall < w[j].wall })
	c := make([]result, len(rs))
	copy(c, rs)
	sort.Slice(c, func(i, j int) bool { return c[i].cpu < c[j].cpu })
	return result{wall: w[len(w)/2].wall, cpu: c[len(c)/2].cpu, hits: rs[len(rs)-1].hits}
}

const schema = `
DROP TABLE IF EXISTS meta;
CREATE OR REPLACE TABLE events (
	id BIGINT, ts BIGINT, uid VARCHAR, kind UTINYINT,
	src4 UINTEGER, src6h UBIGINT, src6l UBIGINT,
	dst4 UINTEGER, dst6h UBIGINT, dst6l UBIGINT,
	domain VARCHAR, host VARCHAR, url VARCHAR, uri VARCHAR, sni VARCHAR,
	cert_sha1 VARCHAR, cert_sha256 VARCHAR, cert_serial VARCHAR, cert_subject VARCHAR,
	ja3 VARCHAR, ja3s VARCHAR, ja4 VARCHAR, md5 VARCHAR, sha1 VARCHAR, sha256 VARCHAR,
	file_name VARCHAR, usr VARCHAR, user_agent VARCHAR);
CREATE OR REPLACE TABLE answers (id BIGINT, a4 UINTEGER, a6h UBIGINT, a6l UBIGINT);
CREATE OR REPLACE TABLE cert_names (id BIGINT, name VARCHAR);
CREATE OR REPLACE TABLE cookies (id BIGINT, name VARCHAR);
CREATE OR REPLACE TABLE emails (id BIGINT, pos INTEGER, addr VARCHAR);
`

// loadEvents copies every stored event into the tables of schema, as the
// events are: canonical forms are the query's work, as they are the
// matcher's.
func loadEvents(ctx context.Context, conn *duckdb.Connector, db *sql.DB, mem *memory.Store) error {
	if _, err := db.Exec(schema); err != nil {
		return err
	}
	c, err := conn.Connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	apps := map[string]*duckdb.Appender{}
	for _, t := range []string{"events", "answers", "cert_names", "cookies", "emails"} {
		a, err := duckdb.NewAppenderFromConn(c, "", t)
		if err != nil {
			return fmt.Errorf("appender %s: %w", t, err)
		}
		apps[t] = a
	}
	var mu sync.Mutex
	var id int64
	row := make([]driver.Value, 28)
	_, err = mem.Scan(ctx, memory.Filter{}, func(ev *event.Event) error {
		mu.Lock()
		defer mu.Unlock()
		id++
		row[0], row[1], row[2], row[3] = id, ev.Time.UnixNano(), str(ev.UID), uint8(ev.Kind)
		row[4], row[5], row[6] = addr(ev.SrcIP)
		row[7], row[8], row[9] = addr(ev.DstIP)
		for i, s := range []string{ev.Domain, ev.Host, ev.URL, ev.URI, ev.SNI, ev.CertSHA1, ev.CertSHA256, ev.CertSerial,
			ev.CertSubject, ev.JA3, ev.JA3S, ev.JA4, ev.MD5, ev.SHA1, ev.SHA256, ev.FileName, ev.User, ev.UserAgent} {
			row[10+i] = str(s)
		}
		if err := apps["events"].AppendRow(row...); err != nil {
			return err
		}
		for _, a := range ev.Answers {
			a4, h, l := addr(a)
			if err := apps["answers"].AppendRow(id, a4, h, l); err != nil {
				return err
			}
		}
		for _, s := range ev.CertNames {
			if err := apps["cert_names"].AppendRow(id, s); err != nil {
				return err
			}
		}
		for _, s := range ev.Cookies {
			if err := apps["cookies"].AppendRow(id, s); err != nil {
				return err
			}
		}
		for i, s := range ev.Emails {
			if err := apps["emails"].AppendRow(id, int32(i), s); err != nil {
				return err
			}
		}
		return nil
	})
	for _, a := range apps {
		err = errors.Join(err, a.Close())
	}
	return err
}

func str(s string) driver.Value {
	if s == "" {
		return nil
	}
	return s
}

// addr splits an address into the IPv4 column or the two halves of the
// IPv6 ones, unmapping IPv4-mapped IPv6 as the matcher does.
func addr(a netip.Addr) (v4, hi, lo driver.Value) {
	if !a.IsValid() {
		return nil, nil, nil
	}
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]), nil, nil
	}
	h, l := halves(a)
	return nil, h, l
}

func halves(a netip.Addr) (uint64, uint64) {
	b := a.As16()
	var h, l uint64
	for i := 0; i < 8; i++ {
		h = h<<8 | uint64(b[i])
		l = l<<8 | uint64(b[8+i])
	}
	return h, l
}

// loadIndicators loads the indicator set into one table per family, in
// the canonical forms the snapshot gives them (match.Build), and the CIDR
// blocks also by the /16 (IPv4) or /32 (IPv6) buckets they cover, so that
// the containment test is a hash join on the bucket plus a range check.
func loadIndicators(ctx context.Context, conn *duckdb.Connector, db *sql.DB, inds []indicator.Indicator) error {
	if _, err := db.Exec(`
CREATE OR REPLACE TABLE raw_ind (type VARCHAR, value VARCHAR, sub BOOLEAN);
CREATE OR REPLACE TABLE raw_cidr4 (lo UINTEGER, hi UINTEGER);
CREATE OR REPLACE TABLE raw_cidr6 (loh UBIGINT, lol UBIGINT, hih UBIGINT, hil UBIGINT);
CREATE OR REPLACE TABLE ind_v4 (a UINTEGER);
CREATE OR REPLACE TABLE ind_v6 (h UBIGINT, l UBIGINT);`); err != nil {
		return err
	}
	c, err := conn.Connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	apps := map[string]*duckdb.Appender{}
	for _, t := range []string{"raw_ind", "raw_cidr4", "raw_cidr6", "ind_v4", "ind_v6"} {
		a, err := duckdb.NewAppenderFromConn(c, "", t)
		if err != nil {
			return err
		}
		apps[t] = a
	}
	for i := range inds {
		in := &inds[i]
		switch in.Type {
		case indicator.IPv4, indicator.IPv6:
			a, err := netip.ParseAddr(in.Value)
			if err != nil || a.Zone() != "" {
				continue
			}
			v4, h, l := addr(a)
			if v4 != nil {
				err = apps["ind_v4"].AppendRow(v4)
			} else {
				err = apps["ind_v6"].AppendRow(h, l)
			}
			if err != nil {
				return err
			}
		case indicator.CIDR:
			p, err := netip.ParsePrefix(in.Value)
			if err != nil {
				continue
			}
			if p.Addr().Is4In6() && p.Bits() >= 96 {
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			p = p.Masked()
			if p.Addr().Is4() {
				lo, _, _ := addr(p.Addr())
				hi := lo.(uint32) | uint32(math.MaxUint32>>p.Bits())
				if p.Bits() == 0 {
					hi = math.MaxUint32
				}
				err = apps["raw_cidr4"].AppendRow(lo, hi)
			} else {
				loh, lol := halves(p.Addr())
				hih, hil := loh, lol
				if b := p.Bits(); b < 64 {
					hih, hil = loh|math.MaxUint64>>b, math.MaxUint64
				} else if b < 128 {
					hil = lol | math.MaxUint64>>(b-64)
				}
				err = apps["raw_cidr6"].AppendRow(loh, lol, hih, hil)
			}
			if err != nil {
				return err
			}
		default:
			if err := apps["raw_ind"].AppendRow(in.Type.String(), in.Value, in.Subdomains); err != nil {
				return err
			}
		}
	}
	for _, a := range apps {
		err = errors.Join(err, a.Close())
	}
	if err != nil {
		return err
	}
	if _, err := db.Exec(macros); err != nil {
		return err
	}
	// One row per distinct canonical value, as the snapshot merges
	// indicators of equal value: a hit names the value once.
	_, err = db.Exec(`
CREATE OR REPLACE TABLE ind_domain AS
	SELECT canon_domain(value) AS name, bool_or(sub) AS sub FROM raw_ind
	WHERE type = 'domain' AND valid_domain(value) GROUP BY ALL;
CREATE OR REPLACE TABLE ind_url AS
	SELECT DISTINCT canon_url(value) AS v FROM raw_ind WHERE type = 'url' AND canon_url(value) IS NOT NULL;
CREATE OR REPLACE TABLE ind_str AS
	SELECT DISTINCT type, CASE type WHEN 'email' THEN canon_email(value) WHEN 'cert-serial' THEN canon_serial(value) ELSE value END AS v
	FROM raw_ind WHERE type IN ('email', 'cert-serial', 'cookie', 'user-agent', 'ja4', 'file-name');
DELETE FROM ind_str WHERE v IS NULL;
CREATE OR REPLACE TABLE ind_hex AS
	SELECT DISTINCT type, lower(value) AS v FROM raw_ind
	WHERE type IN ('md5', 'sha1', 'sha256', 'ja3', 'ja3s', 'cert-sha1', 'cert-sha256')
	AND regexp_full_match(value, '[0-9a-fA-F]+');
CREATE OR REPLACE TABLE ind_v4 AS SELECT DISTINCT a FROM ind_v4;
CREATE OR REPLACE TABLE ind_v6 AS SELECT DISTINCT h, l FROM ind_v6;
CREATE OR REPLACE TABLE ind_cidr4 AS
	SELECT b::UINTEGER AS b, lo, hi FROM (SELECT DISTINCT lo, hi FROM raw_cidr4),
	LATERAL (SELECT unnest(range((lo >> 16)::BIGINT, (hi >> 16)::BIGINT + 1)) AS b);
CREATE OR REPLACE TABLE ind_cidr6 AS
	SELECT b::UINTEGER AS b, loh, lol, hih, hil FROM (SELECT DISTINCT loh, lol, hih, hil FROM raw_cidr6),
	LATERAL (SELECT unnest(range((loh >> 32)::BIGINT, (hih >> 32)::BIGINT + 1)) AS b);
`)
	return err
}

// macros are the matcher's canonical forms (match/canon.go) in SQL. They
// assume ASCII names: DuckDB's lower() also folds non-ASCII letters, which
// the matcher leaves alone. canon_url, like the matcher, takes URLs that
// are already canonical as they are (one regular expression) and takes
// them apart only otherwise; valid_domain tests the name as stored, before
// canon_domain, so that the optimiser does not evaluate lower() once per
// test.
const macros = `
CREATE OR REPLACE TEMP MACRO canon_domain(n) AS lower(CASE WHEN ends_with(n, '.') THEN n[:-2] ELSE n END);
CREATE OR REPLACE TEMP MACRO valid_domain(n) AS
	n <> '' AND NOT starts_with(n, '.') AND NOT contains(n, '..') AND strlen(n) - ends_with(n, '.')::INT <= 253;
CREATE OR REPLACE TEMP MACRO host_only(h) AS
	CASE WHEN contains(h, ':') THEN regexp_replace(h, '^([^:]*):[^:\]]*$', '\1') ELSE h END;
CREATE OR REPLACE TEMP MACRO url_parts(u) AS
	regexp_extract(trim(split_part(u, '#', 1)), '^(.+?)://([^/?]*)(.*)$', ['scheme', 'host', 'rest']);
CREATE OR REPLACE TEMP MACRO url_join(p) AS
	CASE WHEN p.host = '' OR p.host IS NULL THEN NULL ELSE
	lower(p.scheme) || '://' ||
	lower(CASE
		WHEN regexp_matches(p.host, ':[^\]]*$') AND (ends_with(p.host, ':')
			OR (ends_with(p.host, ':80') AND lower(p.scheme) = 'http')
			OR (ends_with(p.host, ':443') AND lower(p.scheme) = 'https'))
		THEN p.host[:strlen(p.host) - strlen(regexp_extract(p.host, ':[^:]*$')) ]
		ELSE p.host END) ||
	CASE WHEN p.rest = '' OR starts_with(p.rest, '?') THEN '/' ELSE '' END || p.rest END;
CREATE OR REPLACE TEMP MACRO canon_url(u) AS
	CASE WHEN strlen(u) <= 2048 AND regexp_full_match(u, 'https?://[a-z0-9.-]+/[!-"$-~]*') THEN u
	WHEN strlen(trim(split_part(u, '#', 1))) <= 2048 THEN url_join(url_parts(u)) END;
CREATE OR REPLACE TEMP MACRO canon_email(e) AS (
	SELECT CASE WHEN strlen(x) BETWEEN 3 AND 320 AND strpos(x, '@') > 1 THEN lower(x) END
	FROM (SELECT CASE WHEN ends_with(y, '>') THEN y[:-2] ELSE y END AS x
		FROM (SELECT CASE WHEN starts_with(trim(e), '<') THEN trim(e)[2:] ELSE trim(e) END AS y)));
CREATE OR REPLACE TEMP MACRO canon_serial(s) AS (
	SELECT CASE WHEN s = '' OR NOT regexp_full_match(x, '[0-9A-F]*') OR strlen(ltrim(x, '0')) > 128 THEN NULL
		WHEN ltrim(x, '0') = '' THEN '0' ELSE ltrim(x, '0') END
	FROM (SELECT upper(replace(replace(s, ':', ''), ' ', '')) AS x));
`

// huntQuery finds every (event, field, indicator) triple the matcher
// reports, one row each, tagged with the indicator type.
const huntQuery = `
WITH
addrs AS NOT MATERIALIZED (
	SELECT id, src4 AS a4, src6h AS h, src6l AS l FROM events WHERE src4 IS NOT NULL OR src6h IS NOT NULL
	UNION ALL SELECT id, dst4, dst6h, dst6l FROM events WHERE dst4 IS NOT NULL OR dst6h IS NOT NULL
	UNION ALL SELECT id, a4, a6h, a6l FROM answers),
names AS (
	SELECT id, domain AS n FROM events WHERE domain IS NOT NULL
	UNION ALL SELECT id, host_only(host) FROM events WHERE host IS NOT NULL
	UNION ALL SELECT id, sni FROM events WHERE sni IS NOT NULL
	UNION ALL SELECT id, CASE WHEN starts_with(name, '*.') THEN name[3:] ELSE name END FROM cert_names
	UNION ALL SELECT id, CASE WHEN starts_with(cn, '*.') THEN cn[3:] ELSE cn END FROM (
		SELECT id, lower(list_filter(list_transform(string_split(cert_subject, ','), x -> trim(x)),
			x -> strlen(x) > 3 AND (starts_with(x, 'CN=') OR starts_with(x, 'cn=')))[1][4:]) AS cn
		FROM events WHERE cert_subject IS NOT NULL) WHERE strpos(cn, '.') > 1),
canon AS (SELECT id, canon_domain(n) AS n FROM names WHERE valid_domain(n)),
parents AS (
	WITH RECURSIVE p(id, n) AS (
		SELECT id, substr(n, strpos(n, '.') + 1) FROM canon WHERE strpos(n, '.') > 0
		UNION ALL SELECT id, substr(n, strpos(n, '.') + 1) FROM p WHERE strpos(n, '.') > 0)
	SELECT * FROM p),
urls AS (
	SELECT id, canon_url(coalesce(url, uri)) AS k FROM events WHERE url IS NOT NULL OR contains(uri, '://')
	UNION ALL
	SELECT id, 'http://' || lower(CASE WHEN ends_with(host, ':80') THEN host[:-4] ELSE host END)
		|| CASE WHEN starts_with(u, '/') THEN '' ELSE '/' END || u
	FROM (SELECT id, host, split_part(uri, '#', 1) AS u FROM events
		WHERE url IS NULL AND uri IS NOT NULL AND NOT contains(uri, '://') AND strlen(host) + strlen(uri) <= 2048)),
strs AS (
	SELECT id, 'user-agent' AS type, user_agent AS v FROM events WHERE user_agent IS NOT NULL
	UNION ALL SELECT id, 'ja4', ja4 FROM events WHERE ja4 IS NOT NULL
	UNION ALL SELECT id, 'file-name', file_name FROM events WHERE file_name IS NOT NULL
	UNION ALL SELECT id, 'cookie', name FROM cookies
	UNION ALL SELECT id, 'cert-serial', canon_serial(cert_serial) FROM events WHERE cert_serial IS NOT NULL
	UNION ALL SELECT id, 'email', canon_email(addr) FROM emails
	UNION ALL SELECT id, 'email', canon_email(usr) FROM events WHERE strpos(usr, '@') > 1),
hexes AS (
	SELECT id, 'md5' AS type, lower(md5) AS v FROM events WHERE md5 IS NOT NULL
	UNION ALL SELECT id, 'sha1', lower(sha1) FROM events WHERE sha1 IS NOT NULL
	UNION ALL SELECT id, 'sha256', lower(sha256) FROM events WHERE sha256 IS NOT NULL
	UNION ALL SELECT id, 'ja3', lower(ja3) FROM events WHERE ja3 IS NOT NULL
	UNION ALL SELECT id, 'ja3s', lower(ja3s) FROM events WHERE ja3s IS NOT NULL
	UNION ALL SELECT id, 'cert-sha1', lower(cert_sha1) FROM events WHERE cert_sha1 IS NOT NULL
	UNION ALL SELECT id, 'cert-sha256', lower(cert_sha256) FROM events WHERE cert_sha256 IS NOT NULL)
SELECT 'ipv4' AS type, a.id, i.a::VARCHAR AS v FROM addrs a JOIN ind_v4 i ON a.a4 = i.a
UNION ALL SELECT 'ipv6', a.id, i.h::VARCHAR FROM addrs a JOIN ind_v6 i ON a.h = i.h AND a.l = i.l
UNION ALL SELECT 'cidr', a.id, c.lo::VARCHAR FROM addrs a JOIN ind_cidr4 c ON (a.a4 >> 16) = c.b AND a.a4 BETWEEN c.lo AND c.hi
UNION ALL SELECT 'cidr', a.id, c.loh::VARCHAR FROM addrs a JOIN ind_cidr6 c ON (a.h >> 32) = c.b
	AND (a.h > c.loh OR (a.h = c.loh AND a.l >= c.lol)) AND (a.h < c.hih OR (a.h = c.hih AND a.l <= c.hil))
UNION ALL SELECT 'domain', n.id, d.name FROM canon n JOIN ind_domain d ON n.n = d.name
UNION ALL SELECT 'domain', p.id, d.name FROM parents p JOIN ind_domain d ON p.n = d.name AND d.sub
UNION ALL SELECT 'url', u.id, coalesce(e.v, q.v) FROM urls u
	LEFT JOIN ind_url e ON e.v = u.k
	LEFT JOIN ind_url q ON q.v = CASE WHEN contains(u.k, '?') THEN split_part(u.k, '?', 1) END
	WHERE e.v IS NOT NULL OR q.v IS NOT NULL
UNION ALL SELECT s.type, s.id, s.v FROM strs s JOIN ind_str i ON s.type = i.type AND s.v = i.v
UNION ALL SELECT x.type, x.id, x.v FROM hexes x JOIN ind_hex i ON x.type = i.type AND x.v = i.v
`

// duckHunt runs huntQuery and reads every row, counting them by type.
func duckHunt(ctx context.Context, db *sql.DB) (map[string]int, error) {
	rows, err := db.QueryContext(ctx, huntQuery)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	hits := map[string]int{}
	var typ, v string
	var id int64
	for rows.Next() {
		if err := rows.Scan(&typ, &id, &v); err != nil {
			return nil, err
		}
		hits[typ]++
	}
	return hits, rows.Err()
}
