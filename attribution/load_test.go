package attribution

import (
	"context"
	"slices"
	"testing"

	"github.com/umbra-cti/umbra/intel"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge/kb"
)

func TestLoad(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	if _, err := intel.Import(ctx, st, "testdata/bundle.json", intel.Options{Source: "fixture"}); err != nil {
		t.Fatal(err)
	}
	in, err := Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	var panda, blog *Node
	for i := range in.Nodes {
		switch in.Nodes[i].Name {
		case "Test Panda":
			panda = &in.Nodes[i]
		case "Vendor blog":
			blog = &in.Nodes[i]
		}
	}
	if panda == nil || blog == nil {
		t.Fatalf("nodes missing: %+v", in.Nodes)
	}
	if len(panda.Observables) != 2 || panda.Observables[0].Source != "fixture" {
		t.Errorf("actor observables %+v", panda.Observables)
	}
	if !slices.Equal(panda.Techniques, []string{"T1553.002"}) || !slices.Equal(panda.Victims, []string{"country:japan", "sector:entertainment"}) {
		t.Errorf("actor techniques %v victims %v", panda.Techniques, panda.Victims)
	}
	if len(blog.Observables) != 2 || blog.Observables[0].Type != indicator.Domain || !slices.Equal(blog.Techniques, []string{"T1553.002"}) {
		t.Errorf("report %+v", blog)
	}
	if blog.First.IsZero() || blog.First.Year() != 2024 {
		t.Errorf("report published %v", blog.First)
	}
	// The attributed-to relationship is derived: Load must not read it.
	if len(blog.Known) != 0 {
		t.Errorf("derived attribution read back: %+v", blog.Known)
	}
	if len(in.Certificates) != 1 || in.Certificates[0].Issuer != "Let's Encrypt" || in.Certificates[0].Hashes[0] != "12eb8a9f1a7cd1cc10e57847dd5476c6062b9e58" {
		t.Errorf("certificates %+v", in.Certificates)
	}
	if len(in.Netblocks) != 1 || in.Netblocks[0].Prefix.String() != kb.OperatorNetblock || in.Netblocks[0].Actor != kb.UmbrellaID || in.Netblocks[0].ASN != 4808 {
		t.Errorf("netblocks %+v", in.Netblocks)
	}
	// The blog shares the domain and the technique with the actor; the
	// Let's Encrypt certificate is not evidence.
	res := Run(in, nil, Options{})
	c := candidate(res, "Vendor blog", "Test Panda")
	if c == nil {
		t.Fatalf("blog not attributed: %+v", res.Attributions)
	}
	k := kinds(c)
	if !k["shared-domain c2.panda-update.test"] || !k["shared-technique T1553.002"] {
		t.Errorf("evidence %v", k)
	}
	for x := range k {
		if x[:len(KindCert)] == KindCert {
			t.Errorf("free-issuer certificate used: %s", x)
		}
	}
}
