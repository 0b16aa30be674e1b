package zeek

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/internal/corpus"
	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/source"
)

// oracleRecord is what a deliberately naive reader (strings.Split,
// encoding/json) finds in one data line, to compare the fast decoder with.
type oracleRecord struct {
	line   int64
	bad    bool
	uid    string
	hasUID bool // files and x509 logs take UID from other columns
	origH  string
	respP  string
	extra  string // conn orig_bytes, dns query, http host, ssl server_name
	extraK event.Kind
}

// oracle reads a Zeek log the slow, obvious way.
func oracle(t *testing.T, path string) []oracleRecord {
	t.Helper()
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
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 64<<20)
	var out []oracleRecord
	var fields []string
	path0 := ""
	var n int64
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "#fields\t"):
			fields = strings.Split(strings.TrimSuffix(line, "\t"), "\t")[1:]
			continue
		case strings.HasPrefix(line, "#path\t"):
			path0 = strings.TrimPrefix(line, "#path\t")
			continue
		case strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(line, "{"):
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				out = append(out, oracleRecord{line: n, bad: true})
				continue
			}
			_, hasUID := m["uid"]
			rec := oracleRecord{line: n, uid: str(m["uid"]), hasUID: hasUID, origH: str(m["id.orig_h"]), respP: str(m["id.resp_p"])}
			for _, k := range []string{"id.orig_p", "id.resp_p"} {
				if p, ok := m[k].(float64); ok && (p > 65535 || p < 0 || p != math.Trunc(p)) {
					rec.bad = true
				}
			}
			out = append(out, rec)
			continue
		}
		if fields == nil {
			fields = defaultFields[kindOfName(path)]
		}
		vals := strings.Split(line, "\t")
		if len(vals) == len(fields)+1 && vals[len(vals)-1] == "" {
			vals = vals[:len(vals)-1]
		}
		if len(vals) != len(fields) {
			out = append(out, oracleRecord{line: n, bad: true})
			continue
		}
		col := map[string]string{}
		for i, f := range fields {
			col[f] = vals[i]
		}
		_, hasUID := col["uid"]
		rec := oracleRecord{line: n, uid: col["uid"], hasUID: hasUID, origH: col["id.orig_h"], respP: col["id.resp_p"]}
		switch kindOfPath(path0) {
		case event.KindConn:
			rec.extra, rec.extraK = col["orig_bytes"], event.KindConn
		case event.KindDNS:
			rec.extra, rec.extraK = col["query"], event.KindDNS
		case event.KindHTTP:
			rec.extra, rec.extraK = col["host"], event.KindHTTP
		case event.KindTLS:
			rec.extra, rec.extraK = col["server_name"], event.KindTLS
		}
		out = append(out, rec)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func str(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func unset(s string) string {
	if s == "-" || s == "(empty)" {
		return ""
	}
	return s
}

// TestCorpus decodes every file of the RITA test data through
// source.Open, and checks each record against the naive oracle: the same
// lines good and bad, the same values in the good ones.
func TestCorpus(t *testing.T) {
	root := corpus.Path(t, "zeek-rita-testdata", "test_data")
	ins, err := source.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) < 50 {
		t.Fatalf("found %d files under %s, want the 55 of the corpus", len(ins), root)
	}
	var files, records, bads int
	for _, in := range ins {
		rel, _ := filepath.Rel(root, in.Path)
		if rel == "../LICENSE" {
			continue
		}
		s, err := in.Open()
		if rel == filepath.Join("text_file", "conn.log") {
			if !errors.Is(err, source.ErrUnknownFormat) || !strings.Contains(err.Error(), in.Path) {
				t.Errorf("%s: got %v, want an unknown-format error naming the file", rel, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		dec, err := s.Decoder()
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		good, bad := readAll(t, dec)
		s.Close()
		files++
		records += len(good)
		bads += len(bad)

		want := oracle(t, in.Path)
		gi, bi := 0, 0
		for _, w := range want {
			if w.bad {
				if bi >= len(bad) || bad[bi].Line != w.line {
					t.Errorf("%s:%d: the oracle finds a bad record the decoder did not report (bad: %v)", rel, w.line, bad)
					return
				}
				bi++
				continue
			}
			if gi >= len(good) {
				t.Errorf("%s:%d: missing good record", rel, w.line)
				return
			}
			e := good[gi]
			gi++
			if w.hasUID && e.UID != unset(w.uid) && !strings.Contains(w.uid, `\`) {
				t.Errorf("%s:%d: uid %q, oracle %q", rel, w.line, e.UID, w.uid)
			}
			if o := unset(w.origH); o != "" && e.SrcIP.String() != o {
				t.Errorf("%s:%d: orig_h %v, oracle %q", rel, w.line, e.SrcIP, o)
			}
			if p := unset(w.respP); p != "" && strconv.Itoa(int(e.DstPort)) != p {
				t.Errorf("%s:%d: resp_p %d, oracle %q", rel, w.line, e.DstPort, p)
			}
			x := unset(w.extra)
			if strings.Contains(x, `\`) {
				continue
			}
			var got string
			switch w.extraK {
			case event.KindConn:
				if x != "" {
					got = strconv.FormatUint(e.OrigBytes, 10)
				}
			case event.KindDNS:
				got = e.Domain
			case event.KindHTTP:
				got = e.Host
			case event.KindTLS:
				got = e.SNI
			}
			if got != x {
				t.Errorf("%s:%d: %v value %q, oracle %q", rel, w.line, w.extraK, got, x)
			}
		}
		if gi != len(good) || bi != len(bad) {
			t.Errorf("%s: decoder gave %d good %d bad, oracle %d good %d bad", rel, len(good), len(bad), gi, bi)
		}
		for _, b := range bad {
			if !strings.HasPrefix(b.Error(), in.Path+":") {
				t.Errorf("%s: error %q does not start with file:line", rel, b)
			}
		}
	}
	// The corpus holds 4 malformed files with 5 bad lines in all; make
	// sure the oracle comparison above did not pass vacuously.
	if files < 50 || records < 40000 || bads != 5 {
		t.Errorf("decoded %d files, %d records, %d bad; want >= 50, >= 40000, 5", files, records, bads)
	}
}

// TestCorpusTSVMatchesJSON decodes the same connections logged as TSV and
// as JSON and expects identical events.
func TestCorpusTSVMatchesJSON(t *testing.T) {
	root := corpus.Path(t, "zeek-rita-testdata", "test_data")
	pairs := [][2]string{
		{"open_conns/open/conn.log", "json_with_all_fields/conn.log"},
		{"open_conns/open/dns.log", "json_with_all_fields/dns.log"},
		{"open_conns/open/http.log", "json_with_all_fields/http.log"},
		{"open_conns/open/ssl.log", "json_with_all_fields/ssl.log"},
		{"open_conns/closed/conn.log", "json_with_all_fields/open_conn.log"},
	}
	for _, p := range pairs {
		tsv, bad1 := readFile(t, filepath.Join(root, p[0]))
		js, bad2 := readFile(t, filepath.Join(root, p[1]))
		if len(bad1)+len(bad2) > 0 || len(tsv) != len(js) || len(tsv) == 0 {
			t.Errorf("%s vs %s: %d/%d events, bad %v %v", p[0], p[1], len(tsv), len(js), bad1, bad2)
			continue
		}
		for i := range tsv {
			a, b := fmt.Sprintf("%+v", tsv[i]), fmt.Sprintf("%+v", js[i])
			if a != b {
				t.Errorf("%s vs %s record %d:\n tsv  %s\n json %s", p[0], p[1], i, a, b)
				break
			}
		}
	}
}

// TestCorpusEach runs the whole RITA corpus through source.Each, as
// "umbra ingest DIR" does.
func TestCorpusEach(t *testing.T) {
	root := corpus.Path(t, "zeek-rita-testdata", "test_data")
	var problems []error
	kinds := map[event.Kind]int{}
	sum, err := source.Each(root, func(in source.Input, e *event.Event) error {
		kinds[e.Kind]++
		return nil
	}, func(err error) { problems = append(problems, err) })
	if err != nil {
		t.Fatal(err)
	}
	// 56 files: one is lorem ipsum; 4 malformed files hold 5 bad lines.
	if sum.Inputs != 55 || sum.Unreadable != 1 || sum.Bad != 5 || len(problems) != 6 {
		t.Errorf("summary %+v, %d problems: %v", sum, len(problems), problems)
	}
	for _, k := range []event.Kind{event.KindConn, event.KindDNS, event.KindHTTP, event.KindTLS, event.KindX509, event.KindFile, event.KindWeird, event.KindGeneric} {
		if kinds[k] == 0 {
			t.Errorf("no %v events from the corpus (%v)", k, kinds)
		}
	}
}
