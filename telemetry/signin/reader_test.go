package signin

import (
	"errors"
	"io"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/source"
)

func readAll(t testing.TB, r *Reader) ([]event.Event, []*source.RecordError) {
	t.Helper()
	var good []event.Event
	var bad []*source.RecordError
	var e event.Event
	for i := 0; ; i++ {
		if i > 1000 {
			t.Fatal("decoder does not end")
		}
		err := r.Next(&e)
		if err == io.EOF {
			return good, bad
		}
		var re *source.RecordError
		if errors.As(err, &re) {
			bad = append(bad, re)
			continue
		}
		if err != nil {
			t.Fatalf("fatal: %v", err)
		}
		good = append(good, e.Clone())
	}
}

func readFile(t *testing.T, path string) ([]event.Event, []*source.RecordError) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return readAll(t, NewReader(f, path))
}

// want is the part of an event a sign-in test checks.
type want struct {
	sensor, uid, user, app, result, ip, ua string
	kind                                   event.Kind
	at                                     time.Time
}

func check(t *testing.T, name string, got []event.Event, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		t.Fatalf("%s: %d events, want %d: %+v", name, len(got), len(wants), got)
	}
	for i, w := range wants {
		e := got[i]
		ip := ""
		if e.SrcIP.IsValid() {
			ip = e.SrcIP.String()
		}
		if e.Sensor != w.sensor || e.UID != w.uid || e.User != w.user || e.App != w.app || e.Result != w.result ||
			ip != w.ip || e.Kind != w.kind || !e.Time.Equal(w.at) || e.UserAgent != w.ua {
			t.Errorf("%s event %d:\n got %+v\nwant %+v", name, i, e, w)
		}
	}
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestGraph(t *testing.T) {
	good, bad := readFile(t, "testdata/graph_signins.json")
	check(t, "graph", good, []want{
		{"entra", "66ea54eb-6301-4ee5-be62-ff5a759b0100", "alice@victim.example", "Office 365 Exchange Online", "success", "221.216.3.4", "", event.KindSignIn, at("2018-05-24T12:01:40.6195833Z")},
		{"entra", "b01b1a1d-5fc9-4e4b-9a7a-5a1f2c3e4d50", "bob@victim.example", "Azure Portal", "failure", "2001:db8:5::9", "", event.KindSignIn, at("2018-05-24T12:03:00Z")},
	})
	if len(bad) != 1 || !strings.Contains(bad[0].Reason, `value[2]: ipAddress: bad IP "not-an-ip"`) {
		t.Errorf("bad %v", bad)
	}
}

func TestAzureMonitor(t *testing.T) {
	good, bad := readFile(t, "testdata/monitor_signinlogs.json")
	check(t, "monitor", good, []want{
		{"entra", "aaaaaaaa-0000-4000-8000-000000000001", "dave@victim.example", "Azure Portal", "success", "198.51.100.77", "", event.KindSignIn, at("2018-05-24T12:09:59.1234567Z")},
		{"entra", "aaaaaaaa-0000-4000-8000-000000000002", "erin@victim.example", "Office 365 Exchange Online", "failure", "221.218.10.20", "", event.KindSignIn, at("2018-05-24T12:11:00Z")},
		{"entra", "aaaaaaaa-0000-4000-8000-000000000003", "frank@victim.example", "Microsoft Teams", "success", "203.0.113.12", "", event.KindSignIn, at("2018-05-24T12:12:00Z")},
		{"entra", "aaaaaaaa-0000-4000-8000-000000000004", "grace@victim.example", "Microsoft Teams", "failure", "203.0.113.13", "", event.KindSignIn, at("2018-05-24T12:13:00Z")},
	})
	if len(bad) != 2 || bad[0].Line != 4 || bad[1].Line != 5 || !strings.Contains(bad[1].Reason, "not a sign-in record") ||
		!strings.HasPrefix(bad[0].Error(), "testdata/monitor_signinlogs.json:4: ") {
		t.Errorf("bad %v", bad)
	}
}

func TestO365(t *testing.T) {
	good, bad := readFile(t, "testdata/o365_audit.json")
	check(t, "o365", good, []want{
		{"o365", "80c76bd2-9d81-4c57-a97a-accfc3443dca", "alice@victim.example", "89bee1f7-5e6e-4d8a-9f3d-ecd601259da7", "success", "221.216.99.1", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", event.KindSignIn, at("2018-05-24T12:20:00Z")},
		{"o365", "90c76bd2-9d81-4c57-a97a-accfc3443dcb", "bob@victim.example", "Unknown", "failure", "2001:db8:9::1", "python-requests/2.18.4", event.KindSignIn, at("2018-05-24T12:21:00Z")},
		{"o365", "a0c76bd2-9d81-4c57-a97a-accfc3443dcc", "alice@victim.example", "https://victim.sharepoint.example/sites/finance/Shared Documents/q2.xlsx", "Succeeded", "203.0.113.44", "", event.KindGeneric, at("2018-05-24T12:22:00Z")},
	})
	if len(bad) != 2 || !strings.Contains(bad[0].Reason, `ClientIP: bad IP "999.1.1.1"`) ||
		!strings.Contains(bad[1].Reason, `CreationTime: bad time "yesterday"`) || bad[1].Offset <= bad[0].Offset {
		t.Errorf("bad %v", bad)
	}
}

func TestGoogle(t *testing.T) {
	good, bad := readFile(t, "testdata/google_login.json")
	check(t, "google", good, []want{
		{"google", "-5021498893468736812", "ivan@newsroom.example", "google-workspace", "success", "221.223.1.2", "", event.KindSignIn, at("2018-05-24T12:30:00Z")},
		{"google", "-5021498893468736813", "judy@newsroom.example", "google-workspace", "failure", "2001:db8:77::2", "", event.KindSignIn, at("2018-05-24T12:31:00Z")},
		{"google", "-5021498893468736814", "ivan@newsroom.example", "google-workspace", "suspicious_login", "221.223.1.2", "", event.KindSignIn, at("2018-05-24T12:32:00Z")},
		{"google", "-5021498893468736815", "ivan@newsroom.example", "google-workspace", "download", "221.223.1.2", "", event.KindGeneric, at("2018-05-24T12:33:00Z")},
	})
	if len(bad) != 1 || !strings.Contains(bad[0].Reason, "no id.time") {
		t.Errorf("bad %v", bad)
	}
}

// TestBrokenDocument: records before a syntax error are kept, the error is
// reported with its byte offset, and the decoder ends instead of looping.
func TestBrokenDocument(t *testing.T) {
	b, _ := os.ReadFile("testdata/broken_document.json")
	good, bad := readFile(t, "testdata/broken_document.json")
	if len(good) != 2 || good[0].UID != "d1" || good[1].UID != "d2" {
		t.Errorf("good %+v", good)
	}
	if len(bad) != 1 || !strings.Contains(bad[0].Reason, "rest of the input") {
		t.Fatalf("bad %v", bad)
	}
	third := int64(strings.Index(string(b), `{"CreationTime":"2018-05-24T12:42:00"`))
	if bad[0].Offset < third-4 || bad[0].Offset > third+200 {
		t.Errorf("offset %d, want near record 3 at %d", bad[0].Offset, third)
	}
}

// TestNDJSONGraph: Graph records one per line, and a BOM.
func TestNDJSONGraph(t *testing.T) {
	in := "\xef\xbb\xbf" + `{"id":"x1","createdDateTime":"2018-05-24T12:00:00Z","userPrincipalName":"a@b.example","ipAddress":"192.0.2.1","appDisplayName":"App","status":{"errorCode":0}}` + "\n" +
		`{"id":"x2","createdDateTime":"2018-05-24T12:00:01Z","userPrincipalName":"a@b.example","ipAddress":"192.0.2.1","appDisplayName":"App"}` + "\n"
	good, bad := readAll(t, NewReader(strings.NewReader(in), "ndjson"))
	if len(good) != 1 || good[0].SrcIP != netip.MustParseAddr("192.0.2.1") {
		t.Errorf("good %+v", good)
	}
	if len(bad) != 1 || bad[0].Line != 2 || !strings.Contains(bad[0].Reason, "errorCode") {
		t.Errorf("bad %v", bad)
	}
}

func FuzzReader(f *testing.F) {
	for _, p := range []string{"graph_signins.json", "monitor_signinlogs.json", "o365_audit.json", "google_login.json", "broken_document.json"} {
		if b, err := os.ReadFile("testdata/" + p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewReader(strings.NewReader(string(b)), "fuzz")
		var e event.Event
		for i := 0; ; i++ {
			if i > len(b)+10 {
				t.Fatal("more results than input bytes: decoder does not end")
			}
			err := r.Next(&e)
			if err == io.EOF {
				return
			}
			var re *source.RecordError
			if err != nil && !errors.As(err, &re) {
				t.Fatalf("unexpected error %v", err)
			}
		}
	})
}

// The decoders report their counts in the common form.
var _ source.StatsReporter = (*Reader)(nil)
