package source

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/umbra-cti/umbra/internal/corpus"
	"github.com/umbra-cti/umbra/telemetry/event"
)

func TestDetect(t *testing.T) {
	cases := []struct {
		name string
		head string
		want Format
	}{
		{"zeek tsv", "#separator \\x09\n#set_separator\t,\n", FormatZeekTSV},
		{"zeek tsv headerless", "1517336042.090842\tCi85EB2YjUI9a2eql6\t10.55.182.100\t14291\t10.233.233.5\t80\n", FormatZeekTSV},
		{"zeek json flat", `{"ts":1517422326.539915,"uid":"CxHo3m4N8uGxrMlcl2","id.orig_h":"10.55.100.100"}` + "\n", FormatZeekJSON},
		{"zeek json nested", `{"ts":1.5,"uid":"C1","id":{"orig_h":"10.0.0.1"}}`, FormatZeekJSON},
		{"zeek json x509", `{"ts":1.5,"fuid":"F1","certificate.serial":"01"}`, FormatZeekJSON},
		{"eve", `{"timestamp":"2018-05-24T12:00:00.000000+0000","flow_id":1,"event_type":"dns"}`, FormatEVE},
		{"graph signIns", `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns","value":[{"userPrincipalName":"a@b"}]}`, FormatEntra},
		{"azure monitor", `{"records":[{"category":"SignInLogs","properties":{}}]}`, FormatEntra},
		{"o365", `[{"Operation":"UserLoggedIn","ClientIP":"1.2.3.4"}]`, FormatEntra},
		{"o365 other operation first", `[{"CreationTime":"2018-05-24T12:22:00","Operation":"FileAccessed","Workload":"SharePoint"}]`, FormatEntra},
		{"google", `{"kind":"admin#reports#activities","items":[]}`, FormatGoogle},
		{"pretty graph page", "{\n  \"@odata.context\": \"x\",\n  \"value\": [\n    {\"userPrincipalName\": \"a@b\"}]}", FormatEntra},
		{"google ndjson", `{"id":{"time":"2018-05-24T12:00:00Z","applicationName":"login"},"actor":{"email":"a@b"},"events":[]}`, FormatGoogle},
		{"pcap le", "\xd4\xc3\xb2\xa1\x02\x00\x04\x00", FormatPcap},
		{"pcap be ns", "\xa1\xb2\x3c\x4d\x00\x02", FormatPcap},
		{"pcapng", "\x0a\x0d\x0d\x0a\x1c\x00\x00\x00", FormatPcap},
		{"bom and spaces", "\xef\xbb\xbf  \n#separator \\x09\n", FormatZeekTSV},
		{"text", "Lorem ipsum dolor sit amet", FormatUnknown},
		{"other json", `{"hello":"world"}`, FormatUnknown},
		{"comment", "# just a comment\n", FormatUnknown},
		{"number", "12345\n", FormatUnknown},
		{"empty", "", FormatUnknown},
	}
	for _, c := range cases {
		if got := Detect([]byte(c.head)); got != c.want {
			t.Errorf("%s: Detect = %q, want %q", c.name, got, c.want)
		}
	}
}

func gzipBytes(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func zstdBytes(t testing.TB, b []byte) []byte {
	w, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	return w.EncodeAll(b, nil)
}

const zeekLog = "#separator \\x09\n#path\tconn\n#fields\tts\tuid\n#types\ttime\tstring\n1.0\tC1\n"

// TestOpenCompressed checks that compression is recognised by content,
// not by name: the gzip file is called .log and the zstd one .txt.
func TestOpenCompressed(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{
		"conn.2018-03-24-10-00-00.log": gzipBytes(t, []byte(zeekLog)),
		"conn.txt":                     zstdBytes(t, []byte(zeekLog)),
		"plain.log":                    []byte(zeekLog),
	}
	wantComp := map[string]Compression{
		"conn.2018-03-24-10-00-00.log": CompressionGzip,
		"conn.txt":                     CompressionZstd,
		"plain.log":                    CompressionNone,
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ins, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 3 {
		t.Fatalf("got %d inputs, want 3", len(ins))
	}
	for _, in := range ins {
		s, err := in.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(s)
		s.Close()
		name := filepath.Base(in.Path)
		if err != nil || string(got) != zeekLog {
			t.Errorf("%s: read %q, %v", name, got, err)
		}
		if s.Format != FormatZeekTSV || s.Compression != wantComp[name] {
			t.Errorf("%s: format %q compression %q, want zeek-tsv %q", name, s.Format, s.Compression, wantComp[name])
		}
	}
}

func TestOpenDirectory(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"b/conn.log", "a/dns.log", "a/deep/x/ssl.log", ".hidden/conn.log", "a/.swap.log", "top.log"} {
		full := filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(zeekLog), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(dir, "top.log"), filepath.Join(dir, "current.log")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dir, filepath.Join(dir, "a", "loop")); err != nil {
		t.Fatal(err)
	}
	ins, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, in := range ins {
		rel, _ := filepath.Rel(dir, in.Path)
		got = append(got, filepath.ToSlash(rel))
	}
	want := []string{"a/deep/x/ssl.log", "a/dns.log", "b/conn.log", "current.log", "top.log"}
	if !slices.Equal(got, want) {
		t.Errorf("inputs %v, want %v", got, want)
	}
	// A link to a directory given as the path itself is walked.
	link := filepath.Join(t.TempDir(), "logs")
	if err := os.Symlink(filepath.Join(dir, "b"), link); err != nil {
		t.Fatal(err)
	}
	if ins, err := Open(link); err != nil || len(ins) != 1 || filepath.Base(ins[0].Path) != "conn.log" {
		t.Errorf("Open(link to dir) = %v, %v", ins, err)
	}
	if _, err := Open(filepath.Join(dir, "missing")); err == nil {
		t.Error("Open of a missing path did not fail")
	}
	if ins, err := Open(Stdin); err != nil || len(ins) != 1 || ins[0].Path != Stdin {
		t.Errorf("Open(-) = %v, %v", ins, err)
	}
}

func TestOpenErrors(t *testing.T) {
	_, err := OpenReader(strings.NewReader("Lorem ipsum"), "notes.txt")
	if !errors.Is(err, ErrUnknownFormat) || !strings.Contains(err.Error(), "notes.txt") {
		t.Errorf("unknown content: %v", err)
	}
	// A gzip header followed by garbage.
	_, err = OpenReader(bytes.NewReader([]byte("\x1f\x8b\x08\x00garbage")), "bad.gz")
	if err == nil || !strings.Contains(err.Error(), "bad.gz") {
		t.Errorf("corrupt gzip: %v", err)
	}
	// A gzip stream cut short still opens; the decoder reports the error.
	full := gzipBytes(t, []byte(zeekLog+strings.Repeat("1.0\tC2\n", 1000)))
	s, err := OpenReader(bytes.NewReader(full[:len(full)-20]), "cut.gz")
	if err != nil {
		t.Fatalf("truncated gzip: %v", err)
	}
	if _, err := io.ReadAll(s); err == nil {
		t.Error("reading a truncated gzip did not fail")
	}
}

type fakeDecoder struct{ n int }

func (d *fakeDecoder) Next(e *event.Event) error {
	if d.n > 0 {
		return io.EOF
	}
	d.n++
	e.Reset()
	e.Sensor = "fake"
	return nil
}

func TestRegistry(t *testing.T) {
	pcap := "\xd4\xc3\xb2\xa1\x02\x00\x04\x00" + strings.Repeat("\x00", 16)
	s, err := OpenReader(strings.NewReader(pcap), "x.pcap")
	if err != nil || s.Format != FormatPcap {
		t.Fatalf("open pcap: %v %q", err, s.Format)
	}
	if _, err := s.Decoder(); err == nil || !strings.Contains(err.Error(), "no decoder registered") {
		t.Errorf("unregistered format: %v", err)
	}
	Register(FormatPcap, func(r io.Reader, name string) (Decoder, error) { return &fakeDecoder{}, nil })
	defer func() {
		registryMu.Lock()
		delete(registry, FormatPcap)
		registryMu.Unlock()
	}()
	d, err := s.Decoder()
	if err != nil {
		t.Fatal(err)
	}
	var e event.Event
	if err := d.Next(&e); err != nil || e.Sensor != "fake" {
		t.Errorf("registered decoder: %v %q", err, e.Sensor)
	}
	if _, ok := d.(StatsReporter); ok {
		t.Error("fakeDecoder should not be a StatsReporter")
	}
	// A constructor that rejects its input makes Decoder fail.
	Register(FormatPcap, func(r io.Reader, name string) (Decoder, error) {
		return nil, errors.New(name + ": not a capture")
	})
	if _, err := s.Decoder(); err == nil || !strings.Contains(err.Error(), "x.pcap: not a capture") {
		t.Errorf("failing constructor: %v", err)
	}
}

func TestRecordError(t *testing.T) {
	if got := (&RecordError{Name: "conn.log", Line: 7, Reason: "bad IP"}).Error(); got != "conn.log:7: bad IP" {
		t.Errorf("line form: %q", got)
	}
	if got := (&RecordError{Name: "eve.json", Offset: 1234, Reason: "bad JSON"}).Error(); got != "eve.json: byte 1234: bad JSON" {
		t.Errorf("offset form: %q", got)
	}
	var st Stats
	for i := 0; i < MaxErrors+5; i++ {
		st.Add(&RecordError{Name: "x", Line: int64(i + 1)})
	}
	if st.Bad != MaxErrors+5 || len(st.Errors) != MaxErrors {
		t.Errorf("stats bad %d errors %d", st.Bad, len(st.Errors))
	}
}

// TestCorpusRotated opens the real rotated, gzipped Zeek logs.
func TestCorpusRotated(t *testing.T) {
	dir := corpus.Path(t, "zeek-rita-testdata", "test_data", "proxy_rolling")
	ins, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 15 {
		t.Fatalf("got %d inputs, want 15", len(ins))
	}
	for _, in := range ins {
		s, err := in.Open()
		if err != nil {
			t.Fatal(err)
		}
		if s.Format != FormatZeekTSV || s.Compression != CompressionGzip {
			t.Errorf("%s: %q %q", in.Path, s.Format, s.Compression)
		}
		s.Close()
	}
}

func FuzzOpen(f *testing.F) {
	f.Add([]byte(zeekLog))
	f.Add(gzipBytes(f, []byte(zeekLog)))
	f.Add(zstdBytes(f, []byte(`{"event_type":"dns"}`)))
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00"))
	f.Add([]byte("\x28\xb5\x2f\xfd\x00"))
	f.Add([]byte(`[{"Operation":"UserLoggedIn"}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := OpenReader(bytes.NewReader(b), "fuzz")
		if err != nil {
			return
		}
		io.Copy(io.Discard, io.LimitReader(s, 1<<20))
		s.Close()
	})
}

// TestOpenLiveStream: a stream that has sent its header and first record
// but is not closed (tail -f | umbra match -) is recognised without waiting
// for more.
func TestOpenLiveStream(t *testing.T) {
	pr, pw := io.Pipe()
	go pw.Write([]byte(zeekLog))
	done := make(chan error, 1)
	go func() {
		s, err := OpenReader(pr, "stdin")
		if err == nil && s.Format != FormatZeekTSV {
			err = errors.New("format " + string(s.Format))
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second): // a deadlock guard, not a timing
		t.Fatal("OpenReader waited for more than the first line")
	}
	pw.Close()
}
