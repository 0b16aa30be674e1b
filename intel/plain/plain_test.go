package plain

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/intel/indicator/readbench"
)

func read(t *testing.T, path string, opts Options) ([]indicator.Record, indicator.Summary) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var recs []indicator.Record
	sum, err := Read(bytes.NewReader(b), path, opts, func(r indicator.Record) error {
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return recs, sum
}

func TestPastedReport(t *testing.T) {
	recs, sum := read(t, "testdata/report.txt", Options{Source: "report"})
	type tv struct {
		t    indicator.Type
		v    string
		line int
	}
	var got []tv
	for _, r := range recs {
		got = append(got, tv{r.Type, r.Value, r.Line})
	}
	want := []tv{
		{indicator.URL, "http://login-micros0ft.example.com/owa/auth.php", 3},
		{indicator.Domain, "evil.example.net", 4},
		{indicator.IPv4, "203.0.113.7", 5},
		{indicator.CIDR, "198.51.100.0/24", 6},
		{indicator.IPv6, "2001:db8:bad::1", 7},
		{indicator.Phone, "+8613800000000", 8},
		{indicator.Email, "registrant@example.org", 9},
		{indicator.MD5, "d41d8cd98f00b204e9800998ecf8427e", 12},
		{indicator.SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 15},
		{indicator.ASN, "AS4808", 16},
		{indicator.IPv4, "198.51.100.20", 19},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("records:\n got  %v\n want %v", got, want)
	}
	if sum.Reasons["not an indicator"] != 2 {
		t.Errorf("reasons %v; want both rejections as \"not an indicator\"", sum.Reasons)
	}
	if sum.Duplicates != 1 || sum.Rejected != 2 {
		t.Errorf("summary %s; want 1 duplicate, 2 rejected", sum)
	}
	for i, wantLine := range []int{17, 18} {
		if i >= len(sum.Errors) || sum.Errors[i].Line != wantLine {
			t.Errorf("errors %v; want lines 17 and 18", sum.Errors)
			break
		}
	}
	if recs[0].Description != "phishing page" || recs[2].Description != "C2 over TLS" || recs[8].Description != "loader.dll" {
		t.Errorf("descriptions %q %q %q", recs[0].Description, recs[2].Description, recs[8].Description)
	}
	if last := recs[len(recs)-1]; !reflect.DeepEqual(last.Tags, []string{"port:8443"}) || last.Description != "C2 port" {
		t.Errorf("address with port: %+v", last)
	}
	if recs[0].Source != "report" {
		t.Errorf("source %q", recs[0].Source)
	}
}

func TestHeadingsAreNotSilentDrops(t *testing.T) {
	sum, err := Read(strings.NewReader("C2 servers:\nevil.example.com:\n"), "h.txt", Options{}, nil)
	if err != nil || sum.Rejected != 1 || sum.Errors[0].Line != 2 {
		t.Errorf("summary %s %v %v; want line 2 rejected, line 1 skipped as a heading", sum, sum.Errors, err)
	}
}

func TestTypedList(t *testing.T) {
	recs, sum := read(t, "testdata/agents.txt", Options{Type: indicator.UserAgent})
	if sum.Imported != 2 || sum.Rejected != 1 || sum.Errors[0].Line != 4 {
		t.Fatalf("summary %s %v", sum, sum.Errors)
	}
	if recs[0].Value != "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 5.1)" || recs[1].Value != "WinHTTP loader/1.0" {
		t.Errorf("values %q %q", recs[0].Value, recs[1].Value)
	}
	if !strings.HasPrefix(sum.Errors[0].Error(), "testdata/agents.txt:4: bad user-agent") {
		t.Errorf("error %q", sum.Errors[0])
	}
}

func TestLongLine(t *testing.T) {
	in := "evil.example.com\n" + strings.Repeat("a", maxLineBytes+10) + "\n1.2.3.4\n" + strings.Repeat("b", 3*maxLineBytes)
	sum, err := Read(strings.NewReader(in), "long.txt", Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Imported != 2 || sum.Rejected != 2 || sum.Errors[0].Line != 2 || sum.Errors[1].Line != 4 {
		t.Errorf("summary %s %v", sum, sum.Errors)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, fmt.Errorf("disk on fire") }

func TestReadError(t *testing.T) {
	_, err := Read(failingReader{}, "broken.txt", Options{}, nil)
	if err == nil || !strings.Contains(err.Error(), "broken.txt") {
		t.Errorf("err = %v", err)
	}
}

func FuzzRead(f *testing.F) {
	for _, p := range []string{"testdata/report.txt", "testdata/agents.txt"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(0))
	}
	f.Add([]byte("\ufeff1.2.3.4\r\n"), uint8(indicator.UserAgent))
	f.Fuzz(func(t *testing.T, in []byte, typ uint8) {
		ty := indicator.Type(int(typ) % (len(indicator.Types()) + 1))
		n := 0
		sum, err := Read(bytes.NewReader(in), "fuzz.txt", Options{Type: ty}, func(r indicator.Record) error {
			n++
			if v, err := indicator.Normalize(r.Type, r.Value); err != nil || v != r.Value {
				t.Fatalf("record %s %q is not normalised (%q, %v)", r.Type, r.Value, v, err)
			}
			return nil
		})
		if err != nil || sum.Imported != n {
			t.Fatalf("err %v, summary %s, emitted %d", err, sum, n)
		}
	})
}

func synthetic(n int) []byte {
	rng := rand.New(rand.NewSource(2))
	var b bytes.Buffer
	b.WriteString("# synthetic list\n")
	for i := 0; i < n; i++ {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "%d.%d.%d.%d\n", 1+rng.Intn(223), rng.Intn(256), rng.Intn(256), rng.Intn(256))
		case 1:
			fmt.Fprintf(&b, "host%d.evil%d[.]com\n", rng.Intn(1e6), i)
		case 2:
			fmt.Fprintf(&b, "%032x\n", rng.Uint64())
		case 3:
			fmt.Fprintf(&b, "hxxp://evil%d.example.net/gate.php?id=%d\n", i, rng.Intn(1000))
		}
	}
	return b.Bytes()
}

// BenchmarkImport measures reading, detecting, normalising and converting
// to STIX a plain list of mixed, partly defanged indicators.
func BenchmarkImport(b *testing.B) {
	const rows = 200000
	readbench.Serial(b, rows, synthetic(rows), benchRead)
}

// BenchmarkImportPipelined is BenchmarkImport with the two stages an
// importer naturally runs on two cores: this package's reader (read,
// normalise, de-duplicate) in one goroutine, ToSTIX in another, handing
// records over in batches so the channel costs little.
func BenchmarkImportPipelined(b *testing.B) {
	const rows = 200000
	readbench.Pipelined(b, rows, synthetic(rows), benchRead)
}

// benchRead is this package's reader as readbench runs it.
func benchRead(r io.Reader, emit func(indicator.Record) error) error {
	_, err := Read(r, "bench.txt", Options{}, emit)
	return err
}
