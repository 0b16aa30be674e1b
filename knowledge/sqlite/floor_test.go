package sqlite

import (
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/internal/cputime"
)

// BenchmarkNarrowRowFloor measures what this SQLite driver can write at
// best for an imported list indicator, whatever umbra does around it:
// 200,000 rows of (list, value, type, line) — no JSON, no STIX, no
// provenance rows — into a fresh database with the store's pragmas, 256
// rows per prepared multi-row INSERT, one transaction. It bounds the
// "200,000 indicators/s imported from lists" target of #3: a table with
// no index at all (append only, so no lookup, no correlation, no
// duplicate check), the same with an index on a 64-bit value hash (what
// lookups and the correlation index need at least), a table keyed by the
// value, and the rows appended with their two keys (the id's hash for
// lookups by id, the value's for the correlation index) written after
// loading, sorted, into key tables. See bench/import-store.md.
func BenchmarkNarrowRowFloor(b *testing.B) {
	const rows, batch = 200000, 256
	values := make([]string, rows)
	for i := range values {
		values[i] = "c2-" + strconv.Itoa(i*7919%1000003) + ".example-" + strconv.Itoa(i%977) + ".com"
	}
	const narrow = "CREATE TABLE v(list INTEGER, value TEXT, type INTEGER, line INTEGER, h INTEGER)"
	for _, shape := range []struct{ name, schema, after string }{
		{"append-only", narrow, ""},
		{"hash-index", narrow + "; CREATE INDEX v_h ON v(h)", ""},
		{"keyed-by-value", "CREATE TABLE v(list INTEGER, value TEXT, type INTEGER, line INTEGER, h INTEGER, PRIMARY KEY(value, list)) WITHOUT ROWID", ""},
		{"two-keys-sorted-after-load", narrow + `;
			CREATE TABLE by_id(h INTEGER, row INTEGER, PRIMARY KEY(h, row)) WITHOUT ROWID;
			CREATE TABLE by_value(h INTEGER, row INTEGER, PRIMARY KEY(h, row)) WITHOUT ROWID`,
			`INSERT INTO by_id SELECT h, rowid FROM v ORDER BY 1, 2;
			INSERT INTO by_value SELECT (h * 5) & 0x7fffffffffffffff, rowid FROM v ORDER BY 1, 2`},
	} {
		b.Run(shape.name, func(b *testing.B) {
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dsn := "file:" + filepath.Join(b.TempDir(), "floor.db") + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-65536)&_txlock=immediate"
				db, err := sql.Open("sqlite", dsn)
				if err != nil {
					b.Fatal(err)
				}
				db.SetMaxOpenConns(1)
				if _, err := db.Exec(shape.schema); err != nil {
					b.Fatal(err)
				}
				args := make([]any, 0, batch*5)
				b.StartTimer()
				c0 := cputime.Self()
				tx, err := db.Begin()
				if err != nil {
					b.Fatal(err)
				}
				st, err := tx.Prepare("INSERT INTO v VALUES " + strings.TrimSuffix(strings.Repeat("(?,?,?,?,?),", batch), ","))
				if err != nil {
					b.Fatal(err)
				}
				for off := 0; off+batch <= rows; off += batch {
					args = args[:0]
					for j, v := range values[off : off+batch] {
						args = append(args, 1, v, 3, off+j, int64(uint64(off+j)*0x9e3779b97f4a7c15))
					}
					if _, err := st.Exec(args...); err != nil {
						b.Fatal(err)
					}
				}
				if shape.after != "" {
					if _, err := tx.Exec(shape.after); err != nil {
						b.Fatal(err)
					}
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
				cpu += cputime.Self() - c0
				b.StopTimer()
				db.Close()
				b.StartTimer()
			}
			n := float64(rows / batch * batch * b.N)
			b.ReportMetric(n/b.Elapsed().Seconds(), "rows/s")
			if cpu > 0 {
				b.ReportMetric(n/cpu.Seconds(), "rows/cpu-s")
			}
		})
	}
}
