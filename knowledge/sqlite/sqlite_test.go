package sqlite

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/stix"
)

func malware(i int, modified string) stix.Object {
	o, err := stix.Build("malware", stix.DeterministicID("malware", strconv.Itoa(i)), stix.Props{
		"name": fmt.Sprintf("family %d", i), "is_family": true, "created": "2020-01-01T00:00:00.000Z", "modified": modified})
	if err != nil {
		panic(err)
	}
	return o
}

func importN(ctx context.Context, st *Store, n int, progress func(int)) (knowledge.ImportSummary, error) {
	return st.Import(ctx, knowledge.ImportInfo{Source: "test", Progress: progress}, func(put func(stix.Object) error) error {
		for i := 0; i < n; i++ {
			if err := put(malware(i, "2020-01-01T00:00:00.000Z")); err != nil {
				return err
			}
		}
		return nil
	})
}

const killImportSize = 60000

// TestHelperKilledImport is the child process of TestSIGKILLDuringImport.
func TestHelperKilledImport(t *testing.T) {
	dir := os.Getenv("UMBRA_TEST_KILL_DIR")
	if dir == "" {
		t.Skip("child process only")
	}
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = importN(context.Background(), st, killImportSize, func(n int) {
		fmt.Printf("progress %d\n", n)
	})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("committed")
	st.Close()
}

// An import killed with SIGKILL at any point leaves the store holding all
// of it or none of it, and the store opens.
func TestSIGKILLDuringImport(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	for round, killAt := range []int{1000, 20000, 45000} {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperKilledImport$", "-test.v")
		cmd.Env = append(os.Environ(), "UMBRA_TEST_KILL_DIR="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		killed := false
		for sc.Scan() {
			line := sc.Text()
			if n, ok := strings.CutPrefix(line, "progress "); ok {
				if v, _ := strconv.Atoi(n); v >= killAt {
					cmd.Process.Signal(syscall.SIGKILL)
					killed = true
					break
				}
			}
			if line == "committed" {
				break
			}
		}
		cmd.Wait()
		if !killed {
			t.Fatalf("round %d: the import finished before it could be killed", round)
		}
		st, err := Open(dir)
		if err != nil {
			t.Fatalf("round %d: store does not open after SIGKILL: %v", round, err)
		}
		s, err := st.Stats(context.Background())
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
		if s.Objects != 0 && s.Objects != killImportSize || s.Versions != s.Objects {
			t.Fatalf("round %d: killed at %d, store holds %d objects and %d versions: a partial import", round, killAt, s.Objects, s.Versions)
		}
	}
}

func TestImportRollsBackOnError(t *testing.T) {
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	importN(ctx, st, 10, nil)
	_, err = st.Import(ctx, knowledge.ImportInfo{Source: "t"}, func(put func(stix.Object) error) error {
		put(malware(100, "2020-01-01T00:00:00.000Z"))
		put(malware(1, "2021-01-01T00:00:00.000Z")) // an update
		return fmt.Errorf("reader failed at line 3")
	})
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("err = %v", err)
	}
	s, _ := st.Stats(ctx)
	o, _ := st.Object(ctx, malware(1, "").ID)
	if s.Objects != 10 || s.Versions != 10 || o.Modified != "2020-01-01T00:00:00.000Z" {
		t.Fatalf("failed import changed the store: %+v, modified %s", s, o.Modified)
	}
}

func TestImportIsIdempotentAndKeepsSources(t *testing.T) {
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	sum, _ := importN(ctx, st, 50, nil)
	if sum.New != 50 {
		t.Fatalf("%+v", sum)
	}
	sum, _ = importN(ctx, st, 50, nil)
	if sum.Unchanged != 50 || sum.New != 0 {
		t.Fatalf("%+v", sum)
	}
	s, _ := st.Stats(ctx)
	if s.Imports != 1 {
		t.Fatalf("a no-op import was recorded: %d imports", s.Imports)
	}
	st.Import(ctx, knowledge.ImportInfo{Source: "other"}, func(put func(stix.Object) error) error { return put(malware(3, "2020-01-01T00:00:00.000Z")) })
	src, _ := st.Sources(ctx, malware(3, "").ID)
	if strings.Join(src, ",") != "other,test" {
		t.Fatalf("sources %v", src)
	}
	// Publishing again changes nothing: the first publisher is the object's
	// row, the second a sources row.
	for _, src := range []string{"test", "other"} {
		st.Import(ctx, knowledge.ImportInfo{Source: src}, func(put func(stix.Object) error) error { return put(malware(3, "2020-01-01T00:00:00.000Z")) })
	}
	if s, _ := st.Stats(ctx); s.Sources["test"] != 50 || s.Sources["other"] != 1 || len(s.Sources) != 2 {
		t.Fatalf("sources %v", s.Sources)
	}
}

func TestMigrationsAreRecorded(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var v int
	st.db.QueryRow(`PRAGMA user_version`).Scan(&v)
	st.Close()
	if v != len(migrations) {
		t.Fatalf("user_version %d, want %d", v, len(migrations))
	}
	// Re-opening applies nothing twice.
	st, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	// A store from a newer umbra is refused, not damaged.
	st, _ = Open(dir)
	st.db.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, len(migrations)+1))
	st.Close()
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("err = %v", err)
	}
}

func BenchmarkImport(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, _ := Open(b.TempDir())
		b.StartTimer()
		importN(context.Background(), st, 10000, nil)
		b.StopTimer()
		st.Close()
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "objects/s")
}

func indicatorWith(value, source string) stix.Object {
	o, err := stix.Build("indicator", stix.DeterministicID("indicator", source+value), stix.Props{
		"pattern": "[domain-name:value = '" + value + "']", "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00.000Z",
		"created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z", "x_umbra_type": "domain", "x_umbra_value": value})
	if err != nil {
		panic(err)
	}
	return o
}

func TestCorrelationIndexAndOverCorrelation(t *testing.T) {
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	_, err = st.Import(ctx, knowledge.ImportInfo{Source: "t"}, func(put func(stix.Object) error) error {
		put(indicatorWith("evil.example", "a"))
		put(indicatorWith("evil.example", "b"))
		for i := 0; i <= OverCorrelation; i++ {
			put(indicatorWith("sinkhole.example", strconv.Itoa(i)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ids, over, n, err := st.Correlate(ctx, "evil.example")
	if err != nil || over || n != 2 || len(ids) != 2 {
		t.Fatalf("evil.example: %v %v %d %v", ids, over, n, err)
	}
	ids, over, n, _ = st.Correlate(ctx, "sinkhole.example")
	if !over || n != OverCorrelation+1 || ids != nil {
		t.Fatalf("sinkhole: over=%v n=%d ids=%d", over, n, len(ids))
	}
	var rows int
	st.db.QueryRow(`SELECT COUNT(*) FROM correlation`).Scan(&rows)
	if rows != 2 {
		t.Fatalf("the over-correlating value left %d rows behind", rows-2)
	}
	// A later import counts the flagged value on, and indexes nothing.
	_, err = st.Import(ctx, knowledge.ImportInfo{Source: "later"}, func(put func(stix.Object) error) error {
		// One object for the flagged value: not several in a batch, which
		// would take the row-at-a-time path anyway.
		put(indicatorWith("sinkhole.example", "later"))
		return put(indicatorWith("evil.example", "later"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, over, n, _ = st.Correlate(ctx, "sinkhole.example"); !over || n != OverCorrelation+2 {
		t.Fatalf("sinkhole after a later import: over=%v n=%d", over, n)
	}
	if ids, _, n, _ = st.Correlate(ctx, "evil.example"); n != 3 || len(ids) != 3 {
		t.Fatalf("evil.example after a later import: %v %d", ids, n)
	}
	st.db.QueryRow(`SELECT COUNT(*) FROM correlation`).Scan(&rows)
	if rows != 3 {
		t.Fatalf("%d correlation rows, want evil.example's 3", rows)
	}
}

// oldStore writes, in dir, a store at schema version n holding objs as
// umbra wrote them then: an objects row, a versions row with the JSON
// (empty from version 4 on, when the current version's JSON moved into
// objects; none from version 6 on) and a sources row for each publisher
// (from version 6 on, the first is a column of the objects row).
func oldStore(t *testing.T, dir string, n int, objs []stix.Object, sources ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, m := range migrations[:n] {
		if _, err := db.Exec(m); err != nil {
			t.Fatal(err)
		}
	}
	exec := func(q string, args ...any) {
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(fmt.Sprintf(`PRAGMA user_version = %d`, n))
	for i, o := range objs {
		added := fmt.Sprintf("2024-01-01T00:00:%02d.000Z", i)
		exec(`INSERT INTO objects(id, type, modified, name, tlp, json, added, updated) VALUES(?,?,?,?,0,?,?,?)`,
			o.ID, o.Type, o.Version(), o.Common.Name, []byte(o.Raw), added, added)
		switch {
		case n < 4:
			exec(`INSERT INTO versions(id, modified, type, json, added) VALUES(?,?,?,?,?)`, o.ID, o.Version(), o.Type, []byte(o.Raw), added)
		case n < 6:
			exec(`INSERT INTO versions(id, modified, type, json, added) VALUES(?,?,?,x'',?)`, o.ID, o.Version(), o.Type, added)
		}
		for j, src := range sources {
			if j == 0 && n >= 6 {
				exec(`UPDATE objects SET source = ? WHERE id = ?`, src, o.ID)
				continue
			}
			exec(`INSERT INTO sources(id, source, added) VALUES(?,?,?)`, o.ID, src, fmt.Sprintf("2024-01-0%dT00:00:%02d.000Z", j+1, i))
		}
	}
}

// A store written before the correlation index existed gets it filled
// when the migration runs.
func TestMigrationBackfillsDerivedTables(t *testing.T) {
	dir := t.TempDir()
	oldStore(t, dir, 1, []stix.Object{indicatorWith("old.example", "a")}, "t")
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ids, _, _, err := st.Correlate(context.Background(), "old.example")
	if err != nil || len(ids) != 1 {
		t.Fatalf("not backfilled: %v %v", ids, err)
	}
}

// A store written when only umbra's own indicators were indexed gets the
// values of other indicators' simple patterns indexed when it migrates.
func TestMigrationIndexesPatternValues(t *testing.T) {
	dir := t.TempDir()
	o, err := stix.Parse([]byte(`{"type":"indicator","spec_version":"2.1","id":"indicator--00000001-0000-4000-8000-000000000000","created":"2024-03-01T10:00:00.000Z","modified":"2024-03-01T10:00:00.000Z","pattern":"[ipv4-addr:value = '203.0.113.9']","pattern_type":"stix","valid_from":"2024-03-01T10:00:00Z"}`))
	if err != nil {
		t.Fatal(err)
	}
	oldStore(t, dir, 6, []stix.Object{o}, "vendor")
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ids, _, _, err := st.Correlate(context.Background(), "203.0.113.9")
	if err != nil || len(ids) != 1 || ids[0] != o.ID {
		t.Fatalf("not indexed on migration: %v %v", ids, err)
	}
}

// Stores of every earlier layout read the same after migrating: versions
// whole (the current one's JSON kept once), every publisher with when it
// published, the counts.
func TestMigrationKeepsVersionsAndSources(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{3, 5} {
		t.Run(fmt.Sprint("from version ", n), func(t *testing.T) {
			dir := t.TempDir()
			objs := []stix.Object{malware(1, "2021-01-01T00:00:00.000Z"), malware(2, "2021-01-01T00:00:00.000Z")}
			oldStore(t, dir, n, objs, "zeta", "alpha")
			st, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			var stored, rows, srcRows int
			st.db.QueryRow(`SELECT COUNT(*) FROM versions WHERE length(json) > 0`).Scan(&stored)
			st.db.QueryRow(`SELECT COUNT(*) FROM versions`).Scan(&rows)
			st.db.QueryRow(`SELECT COUNT(*) FROM sources`).Scan(&srcRows)
			if stored != 0 || rows != 0 || srcRows != 2 {
				t.Fatalf("after migration: %d versions rows (%d with JSON), %d sources rows; want 0, 0, 2", rows, stored, srcRows)
			}
			vs, err := st.Versions(ctx, objs[0].ID)
			if err != nil || len(vs) != 1 || vs[0].Common.Name != "family 1" {
				t.Fatalf("versions: %v %v", vs, err)
			}
			srcs, err := st.Sources(ctx, objs[0].ID)
			if err != nil || strings.Join(srcs, ",") != "alpha,zeta" {
				t.Fatalf("sources: %v %v", srcs, err)
			}
			// Ordered by source, then id; objs[i] was published by zeta on
			// day 1 and by alpha on day 2, at second i.
			byID := []int{0, 1}
			if objs[1].ID < objs[0].ID {
				byID = []int{1, 0}
			}
			var pairs, wantPairs []string
			for day, src := range []string{"alpha", "zeta"} {
				for _, i := range byID {
					wantPairs = append(wantPairs, fmt.Sprintf("%s %s 2024-01-0%dT00:00:%02d.000Z", objs[i].ID, src, 2-day, i))
				}
			}
			want := strings.Join(wantPairs, "|")
			st.EachSource(ctx, func(id, source, added string) error {
				pairs = append(pairs, id+" "+source+" "+added)
				return nil
			})
			if got := strings.Join(pairs, "|"); got != want {
				t.Fatalf("EachSource:\n got %s\nwant %s", got, want)
			}
			var added []string
			st.EachVersion(ctx, func(v StoredVersion) error {
				if o, err := stix.Parse(v.Raw); err != nil || o.ID != v.ID {
					t.Fatalf("version of %s: %v", v.ID, err)
				}
				added = append(added, v.Added)
				return nil
			})
			if strings.Join(added, ",") != "2024-01-01T00:00:00.000Z,2024-01-01T00:00:01.000Z" {
				t.Fatalf("EachVersion added: %v", added)
			}
			s, err := st.Stats(ctx)
			if err != nil || s.Objects != 2 || s.Versions != 2 || s.Sources["alpha"] != 2 || s.Sources["zeta"] != 2 {
				t.Fatalf("stats %+v %v", s, err)
			}
		})
	}
}

// Each by type reads key ranges of the id: only the asked types, in id
// order, even for types one of which starts with the other's name.
func TestEachTypesByIDRange(t *testing.T) {
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	build := func(typ string, i int) stix.Object {
		o, err := stix.Build(typ, stix.DeterministicID(typ, strconv.Itoa(i)), stix.Props{"name": typ, "created": "2020-01-01T00:00:00.000Z"})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	want := map[string]int{}
	_, err = st.Import(ctx, knowledge.ImportInfo{Source: "t"}, func(put func(stix.Object) error) error {
		for i := 0; i < 700; i++ {
			typ := []string{"x-a", "x-a-b", "malware", "tool"}[i%4]
			want[typ]++
			if err := put(build(typ, i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	prev := ""
	err = st.Each(ctx, []string{"x-a-b", "tool", "x-a", "tool"}, func(o stix.Object) error {
		if o.ID <= prev {
			t.Fatalf("%s after %s", o.ID, prev)
		}
		prev = o.ID
		got[o.Type]++
		return nil
	})
	if err != nil || got["x-a"] != want["x-a"] || got["x-a-b"] != want["x-a-b"] || got["tool"] != want["tool"] || got["malware"] != 0 {
		t.Fatalf("got %v, want %v (no malware): %v", got, want, err)
	}
	s, _ := st.Stats(ctx)
	if s.ByType["x-a"] != want["x-a"] || s.ByType["x-a-b"] != want["x-a-b"] || s.ByType["malware"] != want["malware"] {
		t.Fatalf("stats %v, want %v", s.ByType, want)
	}
}

// EachVersion (the TAXII backend's source) hands out every version whole,
// the current one included, whose JSON lives in objects only.
func TestEachVersionHasCurrentJSON(t *testing.T) {
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	for _, m := range []string{"2021-01-01T00:00:00.000Z", "2022-01-01T00:00:00.000Z"} {
		st.Import(ctx, knowledge.ImportInfo{Source: "t"}, func(put func(stix.Object) error) error { return put(malware(9, m)) })
	}
	n := 0
	err = st.EachVersion(ctx, func(v StoredVersion) error {
		if o, err := stix.Parse(v.Raw); err != nil || o.Version() != v.Modified {
			t.Fatalf("version %s: %v %q", v.Modified, err, v.Raw)
		}
		n++
		return nil
	})
	if err != nil || n != 2 {
		t.Fatalf("%d versions: %v", n, err)
	}
}
