package taxii

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/umbra-cti/umbra/stix"
)

// Memory is an in-process Backend: for tests, demos and small servers.
type Memory struct {
	mu        sync.RWMutex
	discovery Discovery
	roots     map[string]*memRoot
	gen       atomic.Uint64 // bumped by every change of roots, collections or versions
}

// Generation changes whenever the served content changes (see Generational).
func (m *Memory) Generation() uint64 { return m.gen.Load() }

type memRoot struct {
	info        APIRoot
	collections []*memCollection // in the order they were declared
	statuses    map[string]Status
}

type memCollection struct {
	info     Collection
	versions []*Version
	byID     map[string][]*Version
}

// NewMemory returns a Memory with the given discovery resource and no roots.
func NewMemory(d Discovery) *Memory {
	return &Memory{discovery: d, roots: map[string]*memRoot{}}
}

// AddRoot declares an API root (its URL path segment is name).
func (m *Memory) AddRoot(name string, info APIRoot) {
	m.mu.Lock()
	defer m.mu.Unlock()
	defer m.gen.Add(1)
	m.roots[name] = &memRoot{info: info, statuses: map[string]Status{}}
}

// AddCollection declares a collection in root.
func (m *Memory) AddCollection(root string, c Collection) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	defer m.gen.Add(1)
	r := m.roots[root]
	if r == nil {
		return fmt.Errorf("add collection %s: api root %q: %w", c.ID, root, ErrNotFound)
	}
	for _, have := range r.collections {
		if have.info.ID == c.ID {
			return fmt.Errorf("add collection %s: already in api root %q", c.ID, root)
		}
	}
	r.collections = append(r.collections, &memCollection{info: c, byID: map[string][]*Version{}})
	return nil
}

// Discovery returns the discovery resource.
func (m *Memory) Discovery(context.Context) (Discovery, error) { return m.discovery, nil }

// APIRoot returns the information of root.
func (m *Memory) APIRoot(_ context.Context, root string) (APIRoot, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	r := m.roots[root]
	if r == nil {
		return APIRoot{}, ErrNotFound
	}
	return r.info, nil
}

// Collections lists root's collections in declaration order.
func (m *Memory) Collections(_ context.Context, root string) ([]Collection, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	r := m.roots[root]
	if r == nil {
		return nil, ErrNotFound
	}
	out := make([]Collection, len(r.collections))
	for i, c := range r.collections {
		out[i] = c.info
	}
	return out, nil
}

func (m *Memory) collection(root, id string) *memCollection {
	r := m.roots[root]
	if r == nil {
		return nil
	}
	for _, c := range r.collections {
		if c.info.ID == id {
			return c
		}
	}
	return nil
}

// Collection returns one collection of root.
func (m *Memory) Collection(_ context.Context, root, id string) (Collection, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c := m.collection(root, id)
	if c == nil {
		return Collection{}, ErrNotFound
	}
	return c.info, nil
}

// Objects returns the versions in a collection that match q. It iterates
// over a snapshot taken under the lock: writers never modify a slice that a
// snapshot may share (Add appends past it or copies, Delete copies).
func (m *Memory) Objects(_ context.Context, root, collection string, q Query) (iter.Seq2[*Version, error], error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c := m.collection(root, collection)
	if c == nil {
		return nil, ErrNotFound
	}
	keep := func(v *Version) bool {
		return (len(q.Types) == 0 || slices.Contains(q.Types, v.Type)) &&
			(q.AddedAfter.IsZero() || v.DateAdded.After(q.AddedAfter)) &&
			(q.After == nil || PositionOf(v).Compare(*q.After) > 0)
	}
	var snap []*Version
	if len(q.IDs) > 0 {
		for _, id := range q.IDs {
			for _, v := range c.byID[id] {
				if keep(v) {
					snap = append(snap, v)
				}
			}
		}
		slices.SortFunc(snap, byDateAdded)
	} else {
		snap = c.versions
		// Polling clients (added_after) and later pages (After) skip what
		// they already have by binary search, not by a scan.
		start := 0
		if !q.AddedAfter.IsZero() {
			start, _ = slices.BinarySearchFunc(snap, q.AddedAfter, func(v *Version, t time.Time) int {
				if v.DateAdded.After(t) {
					return 1
				}
				return -1
			})
		}
		if q.After != nil {
			after, _ := slices.BinarySearchFunc(snap, *q.After, func(v *Version, p Position) int {
				if PositionOf(v).Compare(p) > 0 {
					return 1
				}
				return -1
			})
			start = max(start, after)
		}
		snap = snap[start:]
	}
	return func(yield func(*Version, error) bool) {
		for _, v := range snap {
			if keep(v) && !yield(v, nil) {
				return
			}
		}
	}, nil
}

// Add stores versions that are not present yet.
func (m *Memory) Add(_ context.Context, root, collection string, versions []*Version) ([]bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	defer m.gen.Add(1)
	c := m.collection(root, collection)
	if c == nil {
		return nil, ErrNotFound
	}
	added := make([]bool, len(versions))
	for i, v := range versions {
		if slices.ContainsFunc(c.byID[v.ID], func(h *Version) bool { return h.Version == v.Version }) {
			continue
		}
		c.versions = append(c.versions, v)
		c.byID[v.ID] = append(c.byID[v.ID], v)
		added[i] = true
	}
	// Kept in listing order; sorting a copy leaves snapshots intact.
	if !slices.IsSortedFunc(c.versions, byDateAdded) {
		sorted := slices.Clone(c.versions)
		slices.SortStableFunc(sorted, byDateAdded)
		c.versions = sorted
	}
	return added, nil
}

// Delete removes the given versions.
func (m *Memory) Delete(_ context.Context, root, collection string, versions []*Version) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	defer m.gen.Add(1)
	c := m.collection(root, collection)
	if c == nil {
		return ErrNotFound
	}
	gone := func(h *Version) bool {
		return slices.ContainsFunc(versions, func(v *Version) bool { return v.ID == h.ID && v.Version == h.Version })
	}
	kept := make([]*Version, 0, len(c.versions))
	for _, v := range c.versions {
		if !gone(v) {
			kept = append(kept, v)
		}
	}
	c.versions = kept // a new slice: snapshots still iterate the old one
	for _, v := range versions {
		if left := slices.DeleteFunc(c.byID[v.ID], gone); len(left) > 0 {
			c.byID[v.ID] = left
		} else {
			delete(c.byID, v.ID)
		}
	}
	return nil
}

// Status returns a stored status resource.
func (m *Memory) Status(_ context.Context, root, id string) (Status, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	r := m.roots[root]
	if r == nil {
		return Status{}, ErrNotFound
	}
	s, ok := r.statuses[id]
	if !ok {
		return Status{}, ErrNotFound
	}
	return s, nil
}

// PutStatus stores a status resource.
func (m *Memory) PutStatus(_ context.Context, root string, s Status) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.roots[root]
	if r == nil {
		return ErrNotFound
	}
	r.statuses[s.ID] = s
	return nil
}

// medallionFile is the layout of medallion's memory-backend data file.
type medallionRoot struct {
	Information APIRoot           `json:"information"`
	Status      []json.RawMessage `json:"status"`
	Collections []struct {
		Collection
		Objects  []json.RawMessage `json:"objects"`
		Manifest []struct {
			ID        string `json:"id"`
			Version   string `json:"version"`
			DateAdded string `json:"date_added"`
		} `json:"manifest"`
	} `json:"collections"`
}

// LoadMedallion reads a data file in the format of medallion's memory backend
// (OASIS's reference TAXII 2.1 server): a "/discovery" resource and one key
// per API root with its information, statuses and collections. An object
// that does not parse is skipped and reported in skipped; date_added comes
// from the collection's manifest, or is loadTime for objects it does not list.
func LoadMedallion(path string, loadTime time.Time) (m *Memory, skipped []error, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return ParseMedallion(path, b, loadTime)
}

// ParseMedallion is LoadMedallion on bytes; name is used in errors.
func ParseMedallion(name string, b []byte, loadTime time.Time) (m *Memory, skipped []error, err error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	var d Discovery
	if raw, ok := top["/discovery"]; ok {
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, nil, fmt.Errorf("%s: /discovery: %w", name, err)
		}
	}
	m = NewMemory(d)
	names := make([]string, 0, len(top))
	for k := range top {
		if k != "/discovery" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, rootName := range names {
		var r medallionRoot
		if err := json.Unmarshal(top[rootName], &r); err != nil {
			return nil, nil, fmt.Errorf("%s: api root %q: %w", name, rootName, err)
		}
		m.AddRoot(rootName, r.Information)
		for i, raw := range r.Status {
			var s Status
			if err := json.Unmarshal(raw, &s); err != nil || s.ID == "" {
				skipped = append(skipped, fmt.Errorf("%s: api root %q: status %d: not a status resource: %v", name, rootName, i, err))
				continue
			}
			_ = m.PutStatus(context.Background(), rootName, s)
		}
		for ci, c := range r.Collections {
			where := fmt.Sprintf("%s: api root %q: collection %d (%s)", name, rootName, ci, c.ID)
			if c.ID == "" {
				skipped = append(skipped, fmt.Errorf("%s: no id", where))
				continue
			}
			if err := m.AddCollection(rootName, c.Collection); err != nil {
				skipped = append(skipped, fmt.Errorf("%s: %v", where, err))
				continue
			}
			added := map[string]time.Time{}
			for mi, e := range c.Manifest {
				t, err := stix.ParseTime(e.DateAdded)
				if err != nil {
					skipped = append(skipped, fmt.Errorf("%s: manifest %d: date_added: %v", where, mi, err))
					continue
				}
				added[e.ID+"\x00"+e.Version] = t
			}
			var vs []*Version
			for oi, raw := range c.Objects {
				v, err := NewVersion(raw, loadTime)
				if err != nil {
					skipped = append(skipped, fmt.Errorf("%s: object %d: %v", where, oi, err))
					continue
				}
				if t, ok := added[v.ID+"\x00"+v.Version]; ok {
					v.DateAdded = t
					if v.Version == "" {
						v.VersionTime = t
					}
				}
				vs = append(vs, v)
			}
			if _, err := m.Add(context.Background(), rootName, c.ID, vs); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", where, err)
			}
		}
	}
	return m, skipped, nil
}
