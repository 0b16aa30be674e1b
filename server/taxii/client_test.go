package taxii

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	intaxii "github.com/umbra-cti/umbra/intel/taxii"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/stix"
)

// umbra's own TAXII client (umbra intel import taxii+http://...) pulls the
// store backend page by page, then resumes with added_after and gets only
// what was added since; TLP:RED stays behind for a green token.
func TestOwnClientAgainstStoreBackend(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var objs []map[string]any
	for i := range 250 {
		if i%10 == 9 {
			objs = append(objs, indicatorJSON(i, fmt.Sprintf("red-%d.example", i), "2024-01-01T00:00:00.000Z", redMarking))
		} else {
			objs = append(objs, indicatorJSON(i, fmt.Sprintf("host-%d.example", i), "2024-01-01T00:00:00.000Z"))
		}
	}
	importObjs(t, st, knowledge.ImportInfo{Source: "feed"}, objs...)
	b, err := NewStore(t.Context(), st, StoreConfig{Refresh: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ts := serveStore(t, b)
	u, err := intaxii.CollectionURL("taxii+" + ts.url + "/taxii2/umbra/collections/" + collectionID(KindAll, "") + "/")
	if err != nil {
		t.Fatal(err)
	}
	pull := func(after string) (map[string]bool, string) {
		t.Helper()
		seen := map[string]bool{}
		c := &intaxii.Client{Token: ts.reader, PageSize: 40}
		last, err := c.Pull(t.Context(), u, after, func(raw json.RawMessage) error {
			o, err := stix.Parse(raw)
			if err != nil {
				return err
			}
			if seen[o.ID] {
				return fmt.Errorf("%s served twice", o.ID)
			}
			seen[o.ID] = true
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return seen, last
	}
	seen, last := pull("")
	if len(seen) != 225 {
		t.Fatalf("first pull: %d objects, want the 225 not marked red", len(seen))
	}
	for i := 9; i < 250; i += 10 {
		if seen[fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", i)] {
			t.Fatalf("red object %d pulled by a green token", i)
		}
	}
	time.Sleep(2 * time.Millisecond) // the store stamps additions to the millisecond
	importObjs(t, st, knowledge.ImportInfo{Source: "feed"}, indicatorJSON(1000, "new.example", "2024-03-01T00:00:00.000Z"))
	if err := b.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	seen, _ = pull(last)
	if len(seen) != 1 || !seen["indicator--00000000-0000-4000-8000-000000001000"] {
		t.Fatalf("resumed pull got %v, want only the new object", seen)
	}
	// Plain http off loopback is refused by the client before any request.
	if _, err := intaxii.CollectionURL("taxii+http://192.0.2.1/taxii2/umbra/collections/x/"); err == nil {
		t.Fatal("client accepted plain http to a non-loopback host")
	}
}
