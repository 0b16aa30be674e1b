package api

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/server/auth"
	"github.com/umbra-cti/umbra/sighting/alertlog"
	"github.com/umbra-cti/umbra/stix"
)

// small is an API over an empty store and a short alert log: quick
// enough for fuzzing and for the job-manager tests.
func small(t testing.TB) *API {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	l, err := alertlog.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var recs []alertlog.Record
	for i := 0; i < 50; i++ {
		recs = append(recs, alertlog.Record{Alert: match.Alert{Time: time.Date(2018, 3, 6, 0, i, 0, 0, time.UTC), UID: "C" + string(rune('a'+i%26)),
			Where: "dns.query", Indicator: "x.example.com", IndicatorType: "domain", Matched: "example.com",
			Actors: []indicator.Actor{{Name: "APT41"}}, TLP: stix.TLP(i % 5)}})
	}
	if _, err := l.Append(recs); err != nil {
		t.Fatal(err)
	}
	a := New(Deps{Store: st, DataDir: dir, Alerts: l, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(func() { a.Close() })
	return a
}

func serveAs(a *API, role auth.Role, tlp stix.TLP, method, target string, body io.Reader) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "/", body)
	req.URL, _ = url.Parse(target)
	req.RequestURI = target
	req = req.WithContext(auth.WithToken(req.Context(), auth.Token{ID: "0123456789abcdef", Role: role, Clearance: auth.TLPLevel(tlp)}))
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, req)
	return rec
}

// FuzzAlertQuery throws arbitrary query strings at the alert endpoints:
// never a 5xx, always a JSON body, never an alert above the clearance.
func FuzzAlertQuery(f *testing.F) {
	for _, s := range []string{"limit=10", "since=90d&until=2018-03-07T00:00:00Z", "actor=apt41,nobody&kind=domain", "q=%00%ff",
		"bucket=1h&by=actor", "cursor=AAAAAAAAAAAAAAAAAAAAAA", "limit=99999999999999999999", "since=-5d", "by=x"} {
		f.Add(s)
	}
	a := small(f)
	f.Fuzz(func(t *testing.T, q string) {
		if _, err := url.ParseRequestURI("/api/alerts?" + q); err != nil || strings.ContainsAny(q, "# ") {
			return // not a query string an HTTP request can carry
		}
		for _, path := range []string{"/api/alerts", "/api/alerts/histogram"} {
			rec := serveAs(a, auth.RoleReader, stix.TLPGreen, "GET", path+"?"+q, nil)
			if rec.Code >= 500 {
				t.Fatalf("%s?%s: %d %s", path, q, rec.Code, rec.Body)
			}
			var v map[string]json.RawMessage
			if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
				t.Fatalf("%s?%s: body is not JSON: %v", path, q, err)
			}
			if strings.Contains(rec.Body.String(), `"tlp":"amber"`) || strings.Contains(rec.Body.String(), `"tlp":"red"`) {
				t.Fatalf("%s?%s: above green", path, q)
			}
		}
	})
}

func TestHuntsAreBounded(t *testing.T) {
	a := small(t)
	a.hunts.sem <- struct{}{}
	a.hunts.sem <- struct{}{} // both slots taken
	rec := serveAs(a, auth.RoleAnalyst, stix.TLPRed, "POST", "/api/hunts", strings.NewReader(`{}`))
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	<-a.hunts.sem
	rec = serveAs(a, auth.RoleAnalyst, stix.TLPRed, "POST", "/api/hunts", strings.NewReader(`{"since":"30d"}`))
	if rec.Code != http.StatusAccepted {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	var started struct{ ID string }
	json.Unmarshal(rec.Body.Bytes(), &started)
	// Close cancels or finishes every hunt and waits for it.
	a.Close()
	rec = serveAs(a, auth.RoleReader, stix.TLPRed, "GET", "/api/hunts/"+started.ID, nil)
	var st HuntStatus
	json.Unmarshal(rec.Body.Bytes(), &st)
	if st.State == "running" || st.State == "" {
		t.Fatalf("after Close: %+v", st)
	}
	// A green token does not see a hunt run with red clearance.
	if rec := serveAs(a, auth.RoleReader, stix.TLPGreen, "GET", "/api/hunts/"+started.ID, nil); rec.Code != 404 {
		t.Fatalf("green sees a red hunt: %d", rec.Code)
	}
}

func TestUnknownPathsAndMethods(t *testing.T) {
	a := small(t)
	for _, c := range []struct {
		method, path string
		code         int
		allow        string
	}{
		{"POST", "/api/alerts", 405, "GET, HEAD"},
		{"DELETE", "/api/import", 405, "POST"},
		{"PUT", "/api/hunts/x", 405, "GET, DELETE, HEAD"},
		{"GET", "/api/nope", 404, ""},
		{"GET", "/api/alerts/nope/deeper", 404, ""},
	} {
		rec := serveAs(a, auth.RoleAdmin, stix.TLPRed, c.method, c.path, nil)
		var e apiError
		if rec.Code != c.code || rec.Header().Get("Allow") != c.allow || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error.Status != c.code {
			t.Errorf("%s %s: %d Allow %q %s", c.method, c.path, rec.Code, rec.Header().Get("Allow"), rec.Body)
		}
	}
}
