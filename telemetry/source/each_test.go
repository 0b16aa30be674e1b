package source

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/telemetry/event"
)

// lineDecoder is a test format: one event per line, "bad" lines are bad
// records, and a line "broken" breaks the stream.
type lineDecoder struct {
	lines *LineReader
	name  string
}

func (d *lineDecoder) Next(e *event.Event) error {
	line, err := d.lines.Next()
	if err != nil {
		return err
	}
	switch string(line) {
	case "bad":
		return &RecordError{Name: d.name, Line: d.lines.Line(), Reason: "bad line"}
	case "broken":
		return errors.New("stream broke")
	}
	e.Reset()
	e.User = string(line)
	return nil
}

func TestEach(t *testing.T) {
	// Borrow FormatGoogle: source's own tests import no decoder package.
	Register(FormatGoogle, func(r io.Reader, name string) (Decoder, error) {
		return &lineDecoder{NewLineReader(r), name}, nil
	})
	defer func() {
		registryMu.Lock()
		delete(registry, FormatGoogle)
		registryMu.Unlock()
	}()
	dir := t.TempDir()
	head := `{"kind":"admin#reports#activities"}` + "\n"
	files := map[string]string{
		"a.json":    head + "alice\nbad\nbob\n",
		"b.json":    head + "carol\nbroken\nnever\n",
		"c.txt":     "lorem ipsum\n",
		"d.pcap":    "\xd4\xc3\xb2\xa1\x02\x00\x04\x00",
		"e/f.json":  head + "dave\n",
		"e/.hidden": head + "eve\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var users, problems []string
	sum, err := Each(dir, func(in Input, e *event.Event) error {
		users = append(users, e.User)
		return nil
	}, func(err error) { problems = append(problems, err.Error()) })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{head[:len(head)-1], "alice", "bob", head[:len(head)-1], "carol", head[:len(head)-1], "dave"}
	if strings.Join(users, "|") != strings.Join(want, "|") {
		t.Errorf("users %q, want %q", users, want)
	}
	if sum.Inputs != 3 || sum.Unreadable != 2 || sum.Records != 7 || sum.Bad != 1 {
		t.Errorf("summary %+v", sum)
	}
	joined := strings.Join(problems, "\n")
	for _, w := range []string{"a.json:3: bad line", "b.json: stream broke", "c.txt: unrecognised", `d.pcap: no decoder registered for format "pcap"`} {
		if !strings.Contains(joined, w) {
			t.Errorf("problems %q lack %q", joined, w)
		}
	}
	// An error from fn stops the walk.
	stop := errors.New("stop")
	_, err = Each(dir, func(Input, *event.Event) error { return stop }, func(error) {})
	if err != stop {
		t.Errorf("fn error: got %v", err)
	}
}
