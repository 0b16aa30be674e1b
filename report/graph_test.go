package report

import (
	"fmt"
	"reflect"
	"testing"
)

// testGraph is a map with more nodes than a column holds.
func testGraph() *graphBuilder {
	g := newGraph("Our hosts", "Names", "Addresses", "Groups")
	for i := 0; i < 40; i++ {
		d := fmt.Sprintf("v:domain:d%02d.example", i)
		g.node(d, fmt.Sprintf("d%02d[.]example", i), "infra-domain", "", 1, float64(i%7))
		h := fmt.Sprintf("h:10.0.0.%d", i%9)
		g.node(h, h, "host", "", 0, float64(i%9))
		g.edge(h, d, "contacted")
		a := fmt.Sprintf("v:ipv4:192.0.2.%d", i%5)
		g.node(a, a, "infra-ipv4", "", 2, 1)
		g.edge(d, a, "resolved")
		g.edge(a, "a:group", "indicates")
	}
	g.node("a:group", "Group", "actor", "", 3, 1e9)
	return g
}

func TestGraphLayout(t *testing.T) {
	a, b := testGraph().layout(), testGraph().layout()
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same graph laid out twice differs")
	}
	perCol := map[float64]int{}
	at := map[[2]float64]string{}
	for _, n := range a.Nodes {
		if n.X < 0 || n.X > a.Width || n.Y < 0 || n.Y > a.Height {
			t.Errorf("node %s at %v,%v outside %vx%v", n.ID, n.X, n.Y, a.Width, a.Height)
		}
		if other, ok := at[[2]float64{n.X, n.Y}]; ok {
			t.Errorf("nodes %s and %s drawn on the same spot", n.ID, other)
		}
		at[[2]float64{n.X, n.Y}] = n.ID
		perCol[n.X]++
	}
	for x, n := range perCol {
		if n > maxPerColumn {
			t.Errorf("column at x=%v holds %d nodes, cap %d", x, n, maxPerColumn)
		}
	}
	more := 0
	for _, c := range a.Columns {
		more += c.More
	}
	if more != 40-maxPerColumn {
		t.Errorf("%d nodes reported left out, want %d", more, 40-maxPerColumn)
	}
	if len(a.Edges) == 0 {
		t.Error("no edges")
	}
}
