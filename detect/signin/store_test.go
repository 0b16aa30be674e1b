package signin

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/knowledge/kb"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/stix"
)

// The netblocks come out of a real store: the built-in knowledge's, one an
// analyst imported for another group, and one with a broken prefix.
func TestStoreNetblocks(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := kb.Ensure(ctx, st, st); err != nil {
		t.Fatal(err)
	}
	const (
		group = "intrusion-set--6a1c0b7e-2f43-4e55-9b1d-0c3f4e5a6b71"
		home  = "infrastructure--6a1c0b7e-2f43-4e55-9b1d-0c3f4e5a6b72"
		broke = "infrastructure--6a1c0b7e-2f43-4e55-9b1d-0c3f4e5a6b73"
		uses  = "relationship--6a1c0b7e-2f43-4e55-9b1d-0c3f4e5a6b74"
		ts    = "2026-11-01T00:00:00.000Z"
	)
	objs := []struct {
		typ, id string
		p       stix.Props
	}{
		{"intrusion-set", group, stix.Props{"name": "PassCV"}},
		{"infrastructure", home, stix.Props{"name": "PassCV home", kb.OperatorNetblockProp: "198.18.7.9/16"}},
		{"infrastructure", broke, stix.Props{"name": "typo", kb.OperatorNetblockProp: "10.0.0.0/33"}},
		{"relationship", uses, stix.Props{"relationship_type": "uses", "source_ref": group, "target_ref": home}},
	}
	if _, err := st.Import(ctx, knowledge.ImportInfo{Source: "analyst"}, func(put func(stix.Object) error) error {
		for _, o := range objs {
			o.p["created"], o.p["modified"] = ts, ts
			so, err := stix.Build(o.typ, o.id, o.p)
			if err != nil {
				return err
			}
			if err := put(so); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	nbs, bad, err := StoreNetblocks(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	umbrella := DefaultNetblocks()[0]
	umbrella.ActorID = kb.UmbrellaID
	for _, want := range []Netblock{umbrella, {Actor: "PassCV", ActorID: group, Prefix: netip.MustParsePrefix("198.18.0.0/16")}} {
		if !slices.Contains(nbs, want) {
			t.Errorf("netblocks %v lack %v", nbs, want)
		}
	}
	if len(nbs) != 2 {
		t.Errorf("netblocks %v, want 2", nbs)
	}
	if len(bad) != 1 || !strings.Contains(bad[0].Error(), broke) || !strings.Contains(bad[0].Error(), "10.0.0.0/33") {
		t.Errorf("bad = %v, want the broken prefix named with its object", bad)
	}
}
