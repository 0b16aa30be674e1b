package match

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/telemetry/event"
)

// The alert in the design brief, field for field: scripts rely on it.
const briefAlert = `{"ts":"2018-03-24T17:15:20.123Z","uid":"CHhAvVGS1DHFjwGM9","sensor":"zeek","where":"dns.query",` +
	`"indicator":"css.google-statics.com","indicator_type":"domain","matched":"google-statics.com",` +
	`"indicator_ids":["indicator--2f7a3c10-1b6e-4d5f-9a3b-6c1d2e3f4a5b"],"sources":["401trg"],` +
	`"actors":[{"name":"Winnti umbrella","confidence":85}]}`

func briefFixture(t *testing.T) (*Snapshot, *event.Event, Hit) {
	t.Helper()
	s := build(t, indicator.Indicator{Type: indicator.Domain, Value: "google-statics.com", Subdomains: true,
		IDs: []string{"indicator--2f7a3c10-1b6e-4d5f-9a3b-6c1d2e3f4a5b"}, Sources: []string{"401trg"},
		Actors: []indicator.Actor{{Name: "Winnti umbrella", Confidence: 85}}})
	ev := &event.Event{Time: time.Date(2018, 3, 24, 17, 15, 20, 123e6, time.UTC), UID: "CHhAvVGS1DHFjwGM9", Sensor: "zeek",
		Kind: event.KindDNS, Domain: "css.google-statics.com"}
	hits := s.MatchAppend(nil, ev)
	if len(hits) != 1 {
		t.Fatalf("hits %v", hits)
	}
	return s, ev, hits[0]
}

func TestAlertMatchesBrief(t *testing.T) {
	s, ev, h := briefFixture(t)
	if got := string(s.AppendAlertJSON(nil, ev, h)); got != briefAlert {
		t.Errorf("AppendAlertJSON:\n got %s\nwant %s", got, briefAlert)
	}
	a := s.Alert(ev, h)
	if got, _ := json.Marshal(a); string(got) != briefAlert {
		t.Errorf("json.Marshal(Alert):\n got %s\nwant %s", got, briefAlert)
	}
	var back Alert
	if err := json.Unmarshal([]byte(briefAlert), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, a) {
		t.Errorf("decoded %+v, want %+v", back, a)
	}
	if d := h.RegisteredDomain(); d != "google-statics.com" {
		t.Errorf("registered domain %q", d)
	}
}

func TestAlertEmptyProvenanceIsArrays(t *testing.T) {
	s := build(t, indicator.Indicator{Type: indicator.IPv4, Value: "203.0.113.9"})
	ev := &event.Event{Kind: event.KindConn, DstIP: netip.MustParseAddr("203.0.113.9")}
	h := s.MatchAppend(nil, ev)[0]
	var m map[string]any
	if err := json.Unmarshal(s.AppendAlertJSON(nil, ev, h), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"indicator_ids", "sources", "actors"} {
		if _, ok := m[k].([]any); !ok {
			t.Errorf("%s is %#v, want an empty array", k, m[k])
		}
	}
	if m["indicator"] != "203.0.113.9" || m["matched"] != "203.0.113.9" || m["indicator_type"] != "ipv4" {
		t.Errorf("alert %v", m)
	}
}

// TestAlertHostileValues sends values built to break JSON through both
// encoders and checks encoding/json reads back what went in.
func TestAlertHostileValues(t *testing.T) {
	hostile := []string{"a\"b", `back\slash`, "nl\nline", "\x00\x1f\x7f", "<script>&amp;", "\u2028\u2029", "bad\xffutf8\xc3",
		"emoji 😀", `{"ts":"x"}`}
	for _, v := range hostile {
		in := indicator.Indicator{Type: indicator.UserAgent, Value: v, IDs: []string{v}, Sources: []string{v},
			Actors: []indicator.Actor{{Name: v, Confidence: -1}}}
		s := build(t, in)
		ev := &event.Event{UID: v, Sensor: v, Kind: event.KindHTTP, UserAgent: v}
		hits := s.MatchAppend(nil, ev)
		if len(hits) != 1 {
			t.Fatalf("%q: hits %v", v, hits)
		}
		want := strings.ToValidUTF8(v, "\ufffd")
		if !utf8.ValidString(v) {
			// encoding/json replaces each invalid byte on its own.
			b, _ := json.Marshal(v)
			_ = json.Unmarshal(b, &want)
		}
		for name, line := range map[string][]byte{
			"fast":   s.AppendAlertJSON(nil, ev, hits[0]),
			"struct": func() []byte { a := s.Alert(ev, hits[0]); return a.AppendJSON(nil) }(),
		} {
			var a Alert
			if err := json.Unmarshal(line, &a); err != nil {
				t.Fatalf("%s %q: %v in %s", name, v, err, line)
			}
			if a.Indicator != want || a.Matched != want || a.UID != want || a.Sensor != want ||
				a.IndicatorIDs[0] != want || a.Sources[0] != want || a.Actors[0].Name != want {
				t.Errorf("%s %q: decoded %+v", name, v, a)
			}
			if bytes.ContainsAny(line, "\n<>&") {
				t.Errorf("%s %q: raw newline or HTML character in %s", name, v, line)
			}
		}
	}
}

func TestWriter(t *testing.T) {
	s, ev, h := briefFixture(t)
	var out bytes.Buffer
	w := NewWriter(&out)
	a := s.Alert(ev, h)
	a.Pattern = "[domain-name:value = 'a'] FOLLOWEDBY [domain-name:value = 'b'] WITHIN 60 SECONDS"
	a.Related = []Observation{{Time: ev.Time.Add(-time.Second), UID: "C1", Where: "dns.query", Indicator: "a"}}
	if err := w.WriteHit(s, ev, h); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&a); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&out)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) != 2 || lines[0] != briefAlert {
		t.Fatalf("lines %q", lines)
	}
	var back Alert
	if err := json.Unmarshal([]byte(lines[1]), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, a) {
		t.Errorf("decoded %+v, want %+v", back, a)
	}
}

// FuzzAppendString checks the hand-rolled JSON string encoder against
// encoding/json on arbitrary bytes.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "a\"b\\c", "\x00\n\r\t\x1f", "<>&", "\u2028", "\xff\xfe", "é😀", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := appendString(nil, s)
		var got string
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%q encoded as invalid JSON %s: %v", s, out, err)
		}
		ref, _ := json.Marshal(s)
		var want string
		if err := json.Unmarshal(ref, &want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%q: decoded %q, encoding/json gives %q", s, got, want)
		}
	})
}
