package report

import (
	"errors"
	"sort"

	"github.com/umbra-cti/umbra/knowledge"
)

// Techniques is the ATT&CK heat table: one row per technique, one column
// per group (the actor, and an umbrella's members that have any), and how
// distinctive the technique is across every group the store knows.
type Techniques struct {
	Columns []string
	Rows    []TechniqueRow
	Groups  int // intrusion sets with any technique in the store
	// More counts the commonest techniques left out to keep the table
	// small; Total is how many the actor has.
	More, Total int
}

// maxTechniques bounds the heat table: the most distinctive are the ones
// a reader needs; the commonest are counted.
const maxTechniques = 25

// TechniqueRow is one technique.
type TechniqueRow struct {
	ID, Name string
	Why      string
	// Cells hold, per column, how many sources say the group uses it.
	Cells []int
	// UsedBy is how many known groups use it; Distinct is 1 - UsedBy/Groups,
	// the rarity that makes a shared technique count as evidence, or -1
	// when the store knows too few groups to say.
	UsedBy   int
	Distinct float64
	Sources  []string
}

func (b *builder) techniques(a *knowledge.Actor) error {
	type col struct {
		name  string
		links []knowledge.Link
	}
	cols := []col{{a.Name, a.Techniques}}
	for _, m := range a.Members {
		v, err := knowledge.ResolveActor(b.ctx, b.st, m.Name)
		if errors.Is(err, knowledge.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if len(v.Techniques) > 0 {
			cols = append(cols, col{m.Name, v.Techniques})
		}
	}
	t := &b.r.Techniques
	t.Groups = b.in.Groups
	rows := map[string]*TechniqueRow{}
	for ci, c := range cols {
		t.Columns = append(t.Columns, c.name)
		for _, l := range c.links {
			b.use(l.ID)
			key := l.ExternalID
			if key == "" {
				key = l.Name
			}
			r := rows[key]
			if r == nil {
				r = &TechniqueRow{ID: l.ExternalID, Name: l.Name, Why: l.Description, Cells: make([]int, len(cols))}
				rows[key] = r
			}
			r.Cells[ci] = max(r.Cells[ci], len(l.Sources), 1)
			r.Sources = appendNew(r.Sources, l.Sources...)
			if r.Why == "" {
				r.Why = l.Description
			}
		}
	}
	for _, r := range rows {
		r.UsedBy = b.in.TechniqueGroups[r.ID]
		r.Distinct = -1 // unknown: rarity needs more than one group to compare
		if t.Groups > 1 {
			r.Distinct = max(1-float64(r.UsedBy)/float64(t.Groups), 0)
		}
		sort.Strings(r.Sources)
		t.Rows = append(t.Rows, *r)
	}
	// Most distinctive first: they are what ties activity to this actor.
	sort.Slice(t.Rows, func(i, j int) bool {
		x, y := t.Rows[i], t.Rows[j]
		if x.UsedBy != y.UsedBy {
			return x.UsedBy < y.UsedBy
		}
		return x.ID < y.ID
	})
	t.Total = len(t.Rows)
	if len(t.Rows) > maxTechniques {
		t.More = len(t.Rows) - maxTechniques
		t.Rows = t.Rows[:maxTechniques]
	}
	return nil
}
