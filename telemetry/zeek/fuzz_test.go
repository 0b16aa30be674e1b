package zeek

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/source"
)

// FuzzReader feeds arbitrary logs to the decoder: it must never panic,
// must end, and every error must be a bad record or EOF (the input is in
// memory, so nothing else can fail).
func FuzzReader(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.log")
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, filepath.Base(p))
		}
	}
	f.Add([]byte("1517336042.090842\tC1\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\n"), "conn.log")
	f.Add([]byte(`{"id":{"orig_h":"::1","orig_p":1},"answers":["1.2.3.4",5],"ts":"2018-01-01T00:00:00Z"}`), "dns.log")
	f.Fuzz(func(t *testing.T, b []byte, name string) {
		r := NewReader(bytes.NewReader(b), name)
		var e event.Event
		for i := 0; ; i++ {
			if i > len(b)+1 {
				t.Fatalf("more records than lines")
			}
			err := r.Next(&e)
			if err == io.EOF {
				break
			}
			var re *source.RecordError
			if err != nil && !errors.As(err, &re) {
				t.Fatalf("unexpected error %v", err)
			}
			if re != nil && (re.Line < 1 || re.Reason == "") {
				t.Fatalf("record error without line or reason: %+v", re)
			}
		}
		st := r.Stats()
		if st.Bad < int64(len(st.Errors)) {
			t.Fatalf("stats %d bad but %d errors", st.Bad, len(st.Errors))
		}
	})
}
