package taxii

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/server/auth"
	"github.com/umbra-cti/umbra/stix"
)

// benchMemory is one collection of n indicators, every tenth one TLP:RED,
// added one second apart.
func benchMemory(tb testing.TB, n int) *Memory {
	tb.Helper()
	m := NewMemory(Discovery{Title: "bench"})
	m.AddRoot("bench", APIRoot{Title: "bench", Versions: []string{MediaType}})
	if err := m.AddCollection("bench", Collection{ID: "b0000000-0000-4000-8000-000000000000", Title: "bench", CanRead: true, CanWrite: true}); err != nil {
		tb.Fatal(err)
	}
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	vs := make([]*Version, 0, n)
	for i := range n {
		marks := ""
		if i%10 == 0 {
			marks = `,"object_marking_refs":["` + stix.TLPRed.MarkingID() + `"]`
		}
		raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-%012d","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"bench %d","pattern":"[domain-name:value = 'd%d.example']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"%s}`, i, i, i, marks)
		v, err := NewVersion([]byte(raw), t0.Add(time.Duration(i)*time.Second))
		if err != nil {
			tb.Fatal(err)
		}
		vs = append(vs, v)
	}
	if _, err := m.Add(context.Background(), "bench", "b0000000-0000-4000-8000-000000000000", vs); err != nil {
		tb.Fatal(err)
	}
	return m
}

const benchObjectsPath = "/bench/collections/b0000000-0000-4000-8000-000000000000/objects/?limit=100&added_after=2024-01-01T01:00:00Z"

func benchServer(tb testing.TB, n int) (url, token string) {
	tb.Helper()
	store := auth.NewMemoryStore()
	secret, tok, err := auth.NewToken(auth.Token{Role: auth.RoleReader, Clearance: auth.TLPLevel(stix.TLPGreen), Collections: []string{auth.AllCollections}}, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	store.Put(context.Background(), tok)
	srv := httptest.NewServer(New(benchMemory(tb, n), Options{}).Handler(store, auth.Options{RatePerSecond: 1e12, Burst: 1 << 30}))
	tb.Cleanup(srv.Close)
	return srv.URL, secret
}

// BenchmarkObjectsGET is one client fetching a 100-object page of a
// 10,000-object collection over loopback HTTP, with a TLP filter.
func BenchmarkObjectsGET(b *testing.B) {
	url, token := benchServer(b, 10_000)
	req, _ := http.NewRequest("GET", url+benchObjectsPath, nil)
	req.Header.Set("Accept", MediaType)
	req.Header.Set("Authorization", "Bearer "+token)
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var buf [32 << 10]byte
		for {
			if _, err := res.Body.Read(buf[:]); err != nil {
				break
			}
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatal(res.Status)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkObjectsHandler is the same request without the network: the cost
// of authentication, filtering and encoding alone.
func BenchmarkObjectsHandler(b *testing.B) {
	store := auth.NewMemoryStore()
	secret, tok, _ := auth.NewToken(auth.Token{Role: auth.RoleReader, Clearance: auth.TLPLevel(stix.TLPGreen), Collections: []string{auth.AllCollections}}, time.Now())
	store.Put(context.Background(), tok)
	h := New(benchMemory(b, 10_000), Options{}).Handler(store, auth.Options{RatePerSecond: 1e12, Burst: 1 << 30})
	req := httptest.NewRequest("GET", benchObjectsPath, nil)
	req.Header.Set("Accept", MediaType)
	req.Header.Set("Authorization", "Bearer "+secret)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// TestWrkObjects drives the loopback server with wrk when UMBRA_BENCH_WRK is
// set (bench/taxii.md has the command); it prints wrk's requests/s.
func TestWrkObjects(t *testing.T) {
	if os.Getenv("UMBRA_BENCH_WRK") == "" {
		t.Skip("set UMBRA_BENCH_WRK=1 to run the wrk benchmark")
	}
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		t.Skip("wrk is not installed")
	}
	for _, n := range []int{5, 10_000} {
		url, token := benchServer(t, n)
		path := benchObjectsPath
		if n == 5 {
			path = strings.Split(path, "?")[0]
		}
		out, err := exec.Command(wrk, "-t2", "-c16", "-d10s", "-H", "Accept: "+MediaType, "-H", "Authorization: Bearer "+token, url+path).CombinedOutput()
		if err != nil {
			t.Fatalf("wrk: %v\n%s", err, out)
		}
		rps := regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`).FindSubmatch(out)
		if rps == nil {
			t.Fatalf("no Requests/sec in wrk output:\n%s", out)
		}
		t.Logf("umbra taxii, %d-object collection, GET %s: %s req/s\n%s", n, path, rps[1], out)
	}
}
