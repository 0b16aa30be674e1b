package memory

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/umbra-cti/umbra/internal/corpus"
	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/source"
	"github.com/umbra-cti/umbra/telemetry/zeek"
)

// encodeEvents builds one segment file from evs.
func encodeEvents(tb testing.TB, evs []event.Event) []byte {
	tb.Helper()
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		tb.Fatal(err)
	}
	defer enc.Close()
	var b builder
	for i := range evs {
		b.add(&evs[i], evs[i].Time.UnixNano())
	}
	file, _ := b.encode(enc, nil)
	return file
}

// decodeAll decodes every row of a segment file.
func decodeAll(file []byte) ([]event.Event, error) {
	dec, err := newDecoder()
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	s, _, err := decodeSegment(file, dec, nil, false)
	if err != nil {
		return nil, err
	}
	var out []event.Event
	var e event.Event
	for {
		ok, err := s.next(&e)
		if err != nil {
			return out, err
		}
		if !ok {
			return out, nil
		}
		out = append(out, e.Clone())
	}
}

// rawColumns is the decompressed column block of a segment file.
func rawColumns(tb testing.TB, file []byte) []byte {
	tb.Helper()
	dec, err := newDecoder()
	if err != nil {
		tb.Fatal(err)
	}
	defer dec.Close()
	_, raw, err := decodeSegment(file, dec, nil, false)
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// Every damaged byte, and every truncation, of a segment is an error that
// says the segment is corrupt: the checksums cover all of it.
func TestEveryByteFlipIsDetected(t *testing.T) {
	file := encodeEvents(t, oddEvents()[:1])
	for i := range file {
		bad := append([]byte(nil), file...)
		bad[i] ^= 0x04
		if _, err := decodeAll(bad); !errors.Is(err, errCorrupt) {
			t.Fatalf("flip at byte %d of %d: err = %v", i, len(file), err)
		}
	}
	for n := range len(file) {
		if _, err := decodeAll(file[:n]); !errors.Is(err, errCorrupt) {
			t.Fatalf("truncated to %d bytes: err = %v", n, err)
		}
	}
}

// FuzzDecodeSegment feeds damaged segments to the decoder, which must
// answer with an error, never a panic or a huge allocation. The checksums
// would reject nearly every mutation before the columns are parsed, so the
// fuzzer also drives the column parser directly.
func FuzzDecodeSegment(f *testing.F) {
	gen := newTraffic(9, day0)
	var evs []event.Event
	var e event.Event
	for range 40 {
		gen.next(&e)
		evs = append(evs, e.Clone())
	}
	for _, set := range [][]event.Event{oddEvents()[:1], evs, oddEvents()[2:]} {
		file := encodeEvents(f, set)
		f.Add(file)
		// And the decompressed columns behind the magic, which the second
		// half of the target parses.
		f.Add(append([]byte(segMagic), rawColumns(f, file)...))
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		decodeAll(file)
		// The same bytes as the decompressed column block.
		if len(file) > len(segMagic) {
			s, err := parseColumns(file[len(segMagic):], false)
			if err != nil {
				return
			}
			// The late-materialising path (nextIDs, the row filter, fill),
			// with its dictionaries as views of the buffer as a filtered
			// scan has them, must read the same rows and fail at the same
			// row; and the rows it built must not change when the buffer
			// is reused.
			buf := bytes.Clone(file[len(segMagic):])
			s2, err := parseColumns(buf, true)
			if err != nil {
				t.Fatalf("second parse failed: %v", err)
			}
			rf := newRowFilter(compileProbes([]string{"example.com", "10.0.0.1", "10.0.0.0/8", "d41d8cd98f00b204e9800998ecf8427e"}))
			rf.prepare(s2)
			var e, e2 event.Event
			var ids rowIDs
			var fromNext, fromFill []event.Event
			for row := 0; ; row++ {
				ok, err := s.next(&e)
				ok2, err2 := s2.nextIDs(&ids)
				if ok != ok2 || (err == nil) != (err2 == nil) {
					t.Fatalf("row %d: next says %v, %v; nextIDs says %v, %v", row, ok, err, ok2, err2)
				}
				if !ok || err != nil {
					break
				}
				rf.hit(&ids)
				s2.fill(&ids, &e2)
				if !reflect.DeepEqual(e, e2) {
					t.Fatalf("row %d: next built %+v, fill built %+v", row, e, e2)
				}
				fromNext, fromFill = append(fromNext, e.Clone()), append(fromFill, e2.Clone())
			}
			for i := range buf {
				buf[i] = 'X'
			}
			if !reflect.DeepEqual(fromNext, fromFill) {
				t.Fatal("rows built from dictionary views changed when the buffer was reused")
			}
		}
	})
}

// Real Zeek logs (the RITA test corpus) come back from the memory exactly
// as the Zeek decoder produced them.
func TestRealZeekLogsRoundTrip(t *testing.T) {
	root := corpus.Path(t, "zeek-rita-testdata", "test_data")
	var want []event.Event
	var tsvBytes int64
	for _, dir := range []string{"proxy", "proxy_rolling"} {
		files, _ := filepath.Glob(filepath.Join(root, dir, "*.log*"))
		for _, path := range files {
			evs, n := readZeek(t, path)
			want = append(want, evs...)
			tsvBytes += n
		}
	}
	if len(want) < 1000 {
		t.Fatalf("only %d events in the corpus", len(want))
	}
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if err := s.Append(&want[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	got, _ := scanAll(t, s, Filter{})
	s.Close()
	if len(got) != len(want) {
		t.Fatalf("%d events back, %d stored", len(got), len(want))
	}
	// Zeek uids repeat across logs (conn and dns of one flow), so compare
	// as multisets of the whole event.
	count := map[string]int{}
	key := func(e event.Event) string { return fmt.Sprintf("%+v", norm(e)) }
	for _, w := range want {
		count[key(w)]++
	}
	for _, g := range got {
		count[key(g)]--
	}
	for k, n := range count {
		if n != 0 {
			t.Fatalf("event differs (%+d): %s", n, k)
		}
	}
	st := Stats{}
	s2, _ := Open(dir)
	st = s2.Stats()
	s2.Close()
	t.Logf("%d real Zeek events: %d TSV bytes (%.0f/event), memory %.1f bytes/event", len(want), tsvBytes, float64(tsvBytes)/float64(len(want)), st.BytesPerEvent)
}

// readZeek decodes one Zeek log and returns its events and its size as
// plain TSV.
func readZeek(t testing.TB, path string) ([]event.Event, int64) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	cw := &countingReader{r: r}
	zr := zeek.NewReader(cw, filepath.Base(path))
	var out []event.Event
	var e event.Event
	for {
		err := zr.Next(&e)
		if err == io.EOF {
			break
		}
		var rec *source.RecordError
		if errors.As(err, &rec) {
			continue // the decoder's bad records are its own tests' business
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e.Clone())
	}
	return out, cw.n
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
