package taxii

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/server/auth"
	"github.com/umbra-cti/umbra/stix"
)

func FuzzParseMedallion(f *testing.F) {
	if b, err := os.ReadFile("testdata/tlp.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"/discovery":{"title":"x"},"r":{"information":{"title":"t"},"collections":[{"id":"c","objects":[{}],"manifest":[{"id":"a","date_added":"x"}]}],"status":[1]}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, skipped, err := ParseMedallion("fuzz.json", b, time.Unix(0, 0))
		if err != nil {
			return
		}
		for _, e := range skipped {
			if e == nil {
				t.Fatal("nil skip error")
			}
		}
		if _, err := m.Discovery(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzQuery sends arbitrary paths and query strings with a green token to a
// server holding red objects: nothing may panic, fail with 5xx, or leak.
func FuzzQuery(f *testing.F) {
	mem, _, err := LoadMedallion("testdata/tlp.json", time.Unix(0, 0))
	if err != nil {
		f.Fatal(err)
	}
	s := New(mem, Options{MaxPageSize: 3})
	tok := auth.Token{ID: "0123456789abcdef", Role: auth.RoleReader, Clearance: auth.TLPLevel(stix.TLPGreen), Collections: []string{auth.AllCollections}}
	f.Add("objects/", "match[version]=all&limit=1")
	f.Add("objects/"+tlpID(3)+"/versions", "added_after=2020-01-01T00:00:00Z")
	f.Add("manifest/", "match[spec_version]=2.0,2.1&match[id]="+tlpID(5))
	f.Add("objects/", "next=AAAAAAAAAAAAAAAAAA&limit=99999999999999999999")
	f.Fuzz(func(t *testing.T, path, query string) {
		req, err := http.NewRequest("GET", "http://127.0.0.1"+tlpColl+path+"?"+query, nil)
		if err != nil {
			return
		}
		req = req.WithContext(auth.WithToken(req.Context(), tok))
		rec := httptest.NewRecorder()
		s.serve(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s: %d %s", req.URL, rec.Code, rec.Body)
		}
		if bytes.Contains(rec.Body.Bytes(), []byte("SECRET-")) {
			t.Fatalf("%s: leaked %s", req.URL, rec.Body)
		}
	})
}

// FuzzAdd posts arbitrary envelopes: they are stored, refused with a status
// failure, or rejected with 4xx, never a panic or 5xx.
func FuzzAdd(f *testing.F) {
	f.Add([]byte(`{"objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000099","created":"2020-01-01T00:00:00Z","modified":"2020-01-01T00:00:00Z","granular_markings":[{"marking_ref":"x"}]}]}`))
	f.Add([]byte(`{"objects":[{"type":"ipv4-addr","id":"ipv4-addr--00000000-0000-4000-8000-000000000099"},1,"x",null]}`))
	f.Add([]byte(`{"objects":null}`))
	mem, _, err := LoadMedallion("testdata/tlp.json", time.Unix(0, 0))
	if err != nil {
		f.Fatal(err)
	}
	s := New(mem, Options{}) // shared: adds accumulate, as on a live server
	f.Fuzz(func(t *testing.T, body []byte) {
		tok := auth.Token{ID: "0123456789abcdef", Role: auth.RoleAnalyst, Clearance: auth.TLPLevel(stix.TLPGreen), Collections: []string{auth.AllCollections}}
		req := httptest.NewRequest("POST", tlpColl+"objects/", bytes.NewReader(body))
		req.Header.Set("Content-Type", MediaType)
		req = req.WithContext(auth.WithToken(req.Context(), tok))
		rec := httptest.NewRecorder()
		s.serve(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	})
}
