package misp

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/umbra-cti/umbra/internal/corpus"
)

// FuzzParse checks that no input panics the reader and that whatever it
// accepts is written out in a form it reads back to the same bytes.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	feed, _ := filepath.Glob("testdata/feed/*.json")
	for _, p := range append(files, feed...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{`{}`, `[]`, `{"response":[{"Event":{"info":"x"}}]}`, `{"info":1,"Attribute":[{"type":"ip-dst","value":"1.2.3.4/33","to_ids":"1"}]}`,
		`{"Event":{"Object":[{"name":"x509","Attribute":[{"type":"text","object_relation":"serial-number","value":"0a"}]}]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, _, err := Parse(data)
		if err != nil {
			return
		}
		for i := range evs {
			ev := &evs[i]
			b, err := Encode(ev)
			if err != nil {
				t.Fatalf("accepted event does not encode: %v", err)
			}
			back, skipped, err := Parse(b)
			if err != nil || len(skipped) > 0 || len(back) != 1 {
				t.Fatalf("own output does not read back: %v %v\n%s", err, skipped, b)
			}
			b2, err := Encode(&back[0])
			if err != nil || !bytes.Equal(b, b2) {
				t.Fatalf("encoding not stable:\n%s\n%s", b, b2)
			}
			Indicators(evs, "fuzz")
			if _, err := ev.STIX(); err != nil {
				t.Fatalf("STIX: %v", err)
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("testdata/types.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseCIRCL reads a real 146 kB CIRCL OSINT event (Sednit,
// 250 attributes, objects, galaxies).
func BenchmarkParseCIRCL(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(corpus.Path(b, "misp-pymisp", "tests", "mispevent_testfiles"), "existing_event.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
