package intel

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/umbra-cti/umbra/internal/cputime"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
)

// BenchmarkImportSTIXToStore measures a STIX bundle's whole import path:
// stream, parse, store in SQLite (bench/stixgen's shape: indicators with a
// relationship per ten and a malware per fifty objects), per object.
// Issue #3 asks for at least 50,000 objects/s.
func BenchmarkImportSTIXToStore(b *testing.B) {
	const n = 50000
	path := filepath.Join(b.TempDir(), "bundle.json")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprint(w, `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			w.WriteString(",\n")
		}
		switch {
		case i%50 == 49:
			fmt.Fprintf(w, `{"type":"malware","spec_version":"2.1","id":"malware--%08x-0000-4000-8000-000000000000","created":"2024-03-01T10:00:00.000Z","modified":"2024-03-01T10:00:00.000Z","name":"family %d","is_family":true}`, i, i)
		case i%10 == 9:
			fmt.Fprintf(w, `{"type":"relationship","spec_version":"2.1","id":"relationship--%08x-0000-4000-8000-000000000000","created":"2024-03-01T10:00:00.000Z","modified":"2024-03-01T10:00:00.000Z","relationship_type":"indicates","source_ref":"indicator--%08x-0000-4000-8000-000000000000","target_ref":"malware--%08x-0000-4000-8000-000000000000"}`, i, i-1, i|49)
		default:
			fmt.Fprintf(w, `{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-0000-4000-8000-000000000000","created":"2024-03-01T10:00:00.000Z","modified":"2024-03-01T10:00:00.000Z","name":"c2-%d.example.com","description":"C2 domain","indicator_types":["malicious-activity"],"pattern":"[domain-name:value = 'c2-%d.example.com']","pattern_type":"stix","valid_from":"2024-03-01T10:00:00Z","object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]}`, i, i, i)
		}
	}
	w.WriteString("]}\n")
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	b.ResetTimer()
	var cpu float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := sqlite.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		cpu0 := cputime.Self()
		res, err := Import(context.Background(), st, path, Options{Source: "bench"})
		cpu += (cputime.Self() - cpu0).Seconds()
		if err != nil || res.Summary.New != n {
			b.Fatalf("%+v %v", res.Summary, err)
		}
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "objects/s")
	b.ReportMetric(float64(n*b.N)/cpu, "objects/cpu-s")
}
