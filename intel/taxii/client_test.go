package taxii

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"testing"

	"github.com/umbra-cti/umbra/internal/corpus"
)

// collection serves medallion's trustgroup1 collections objects the way a TAXII
// 2.1 server pages them: limit, next and added_after with date headers.
type collection struct {
	objects []json.RawMessage
	added   []string
	pages   int
	noNext  bool
}

func (c *collection) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Accept") != MediaType || r.Header.Get("Authorization") != "Bearer secret" {
		http.Error(w, "bad request", http.StatusNotAcceptable)
		return
	}
	c.pages++
	start := 0
	if n := r.URL.Query().Get("next"); n != "" {
		start, _ = strconv.Atoi(n)
	}
	after := r.URL.Query().Get("added_after")
	var idx []int
	for i := range c.objects {
		if after == "" || c.added[i] > after {
			idx = append(idx, i)
		}
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit == 0 {
		limit = 100
	}
	end := min(start+limit, len(idx))
	p := Page{More: end < len(idx)}
	if p.More && !c.noNext {
		p.Next = strconv.Itoa(end)
	}
	for _, i := range idx[start:end] {
		p.Objects = append(p.Objects, c.objects[i])
	}
	w.Header().Set("Content-Type", MediaType)
	if end > start {
		w.Header().Set("X-TAXII-Date-Added-First", c.added[idx[start]])
		w.Header().Set("X-TAXII-Date-Added-Last", c.added[idx[end-1]])
	}
	json.NewEncoder(w).Encode(p)
}

func medallion(t *testing.T) *collection {
	path := corpus.Path(t, "taxii21", "medallion", "default_data.json")
	b, _ := os.ReadFile(path)
	var data map[string]struct {
		Collections []struct {
			Objects  []json.RawMessage `json:"objects"`
			Manifest []struct {
				ID        string `json:"id"`
				DateAdded string `json:"date_added"`
			} `json:"manifest"`
		} `json:"collections"`
	}
	json.Unmarshal(b, &data)
	c := &collection{}
	for _, col := range data["trustgroup1"].Collections {
		added := map[string]string{}
		for _, m := range col.Manifest {
			if m.DateAdded > added[m.ID] { // the newest version's date
				added[m.ID] = m.DateAdded
			}
		}
		for _, o := range col.Objects {
			var h struct{ ID string }
			json.Unmarshal(o, &h)
			c.objects = append(c.objects, o)
			c.added = append(c.added, added[h.ID])
		}
	}
	if len(c.objects) < 5 {
		t.Fatalf("medallion data has %d objects", len(c.objects))
	}
	// Order by date added, as a server's manifest would.
	order := make([]int, len(c.objects))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return c.added[order[a]] < c.added[order[b]] })
	objs, added := make([]json.RawMessage, len(order)), make([]string, len(order))
	for i, j := range order {
		objs[i], added[i] = c.objects[j], c.added[j]
	}
	c.objects, c.added = objs, added
	return c
}

func TestPullPagesAndResumes(t *testing.T) {
	for _, noNext := range []bool{false, true} {
		col := medallion(t)
		col.noNext = noNext
		if noNext {
			// Paging by added_after alone cannot split objects that share a
			// date-added; such servers must not cut a page between them.
			var objs []json.RawMessage
			var added []string
			for i := range col.objects {
				if i+1 < len(col.objects) && col.added[i+1] == col.added[i] || i > 0 && col.added[i-1] == col.added[i] {
					continue
				}
				objs, added = append(objs, col.objects[i]), append(added, col.added[i])
			}
			col.objects, col.added = objs, added
		}
		srv := httptest.NewServer(col)
		defer srv.Close()
		u, err := CollectionURL("taxii+" + srv.URL + "/api1/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116")
		if err != nil {
			t.Fatal(err)
		}
		cl := &Client{Token: "secret", PageSize: 2}
		var got int
		last, err := cl.Pull(context.Background(), u, "", func(json.RawMessage) error { got++; return nil })
		if err != nil {
			t.Fatal(err)
		}
		if got != len(col.objects) || last != col.added[len(col.added)-1] || col.pages < len(col.objects)/2 {
			t.Fatalf("noNext=%v: got %d of %d objects in %d pages, last %q", noNext, got, len(col.objects), col.pages, last)
		}
		// Resuming from the last date fetches nothing new.
		got = 0
		again, err := cl.Pull(context.Background(), u, last, func(json.RawMessage) error { got++; return nil })
		if err != nil || got != 0 || again != last {
			t.Fatalf("resume fetched %d, last %q, %v", got, again, err)
		}
	}
}

func TestPullErrors(t *testing.T) {
	col := medallion(t)
	srv := httptest.NewServer(col)
	defer srv.Close()
	u, _ := CollectionURL("taxii+" + srv.URL + "/api1/collections/x")
	_, err := (&Client{Token: "wrong"}).Pull(context.Background(), u, "", func(json.RawMessage) error { return nil })
	if err == nil {
		t.Fatal("a refused request was not an error")
	}
	for _, bad := range []string{"taxii+http://example.com/api/collections/x", "taxii+https://example.com/api/", "taxii+ftp://x/collections/y"} {
		if _, err := CollectionURL(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
