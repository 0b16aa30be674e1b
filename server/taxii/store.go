package taxii

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/stix"
)

// ErrNotSupported is returned by a Backend for an operation it cannot do;
// the server answers 501.
var ErrNotSupported = errors.New("not supported by this backend")

// Collection kinds a Store can present (StoreConfig.Collections).
const (
	KindAll    = "all"    // one collection of every object
	KindSource = "source" // one collection per source (publisher)
	KindTLP    = "tlp"    // one collection per TLP level
	KindActor  = "actor"  // one collection per actor: the actor and what is related to it
)

// DefaultKinds is what a Store presents when StoreConfig.Collections is empty.
var DefaultKinds = []string{KindAll, KindSource}

// ParseKinds reads a comma-separated list of collection kinds, as the
// command line gives them ("all,source,tlp,actor").
func ParseKinds(s string) ([]string, error) {
	var out []string
	for k := range strings.SplitSeq(s, ",") {
		k = strings.ToLower(strings.TrimSpace(k))
		switch k {
		case "":
			continue
		case KindAll, KindSource, KindTLP, KindActor:
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		default:
			return nil, fmt.Errorf("unknown collection kind %q (want all, source, tlp or actor)", k)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no collection kind given (want all, source, tlp or actor)")
	}
	return out, nil
}

// StoreConfig says how a Store presents the knowledge store over TAXII.
type StoreConfig struct {
	Root             string        // the API root's path segment; default "umbra"
	BasePath         string        // where the TAXII handler is mounted; default "/taxii2"
	Title            string        // discovery and API root title; default "umbra"
	Collections      []string      // collection kinds; default DefaultKinds
	MaxContentLength int64         // largest POST body; default 10 MiB
	Refresh          time.Duration // how often to look for other processes' writes; default 2s
	StateDir         string        // where deletions are kept (WithdrawnFile); "" keeps them in memory only
	Logger           *slog.Logger  // default slog.Default()
	Now              func() time.Time
}

// Store is a Backend over the knowledge store: it serves every stored
// version of every object, grouped into collections by source, TLP level or
// actor as configured, and imports what partners POST.
//
// Requests never touch SQLite: the Store serves an in-memory view of the
// store's versions (built once, then rebuilt after each write and whenever
// another process has committed to the store), swapped atomically so a
// rebuild never blocks readers. The view holds every version's JSON, so the
// server's memory grows with the store (about the size of its versions
// table) and a rebuild reads the whole store: right for the stores one
// analyst team keeps, not for tens of millions of versions.
//
// date_added of a version is when the store first received it; in a source
// collection it is the later of that and when the source first published
// the object. The TLP of a version is the more restrictive of its own
// markings and the object's effective TLP in the store (which includes the
// --tlp default of the import that brought it), so nothing is served below
// the level it was imported at.
type Store struct {
	st  *sqlite.Store
	cfg StoreConfig
	log *slog.Logger

	view      atomic.Pointer[storeView]
	reloadMu  sync.Mutex // one rebuild or write at a time
	lastCheck atomic.Int64
	checking  atomic.Bool
	dataVer   int64 // guarded by reloadMu

	withdrawn withdrawn // guarded by reloadMu; read by build

	statusMu sync.Mutex
	statuses map[string]Status
	order    []string // status ids, oldest first
}

// maxStatuses bounds the status resources kept; the oldest go first.
const maxStatuses = 10_000

type storeView struct {
	gen     uint64 // one more than the view it replaced
	mem     *Memory
	cols    map[string]storeCol // by collection id
	present map[string]bool     // id + "\x00" + version of every stored version
}

type storeCol struct {
	kind, key string
	tlp       stix.TLP
}

// NewStore builds the view of st and returns the Backend.
func NewStore(ctx context.Context, st *sqlite.Store, cfg StoreConfig) (*Store, error) {
	if cfg.Root == "" {
		cfg.Root = "umbra"
	}
	if strings.ContainsAny(cfg.Root, "/?#") {
		return nil, fmt.Errorf("taxii store: api root %q must be one path segment", cfg.Root)
	}
	if cfg.BasePath == "" {
		cfg.BasePath = "/taxii2"
	}
	cfg.BasePath = "/" + strings.Trim(cfg.BasePath, "/")
	if cfg.Title == "" {
		cfg.Title = "umbra"
	}
	if len(cfg.Collections) == 0 {
		cfg.Collections = DefaultKinds
	}
	for _, k := range cfg.Collections {
		if _, err := ParseKinds(k); err != nil {
			return nil, fmt.Errorf("taxii store: %w", err)
		}
	}
	if cfg.MaxContentLength <= 0 {
		cfg.MaxContentLength = 10 << 20
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = 2 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	w, err := loadWithdrawn(cfg.StateDir)
	if err != nil {
		return nil, fmt.Errorf("taxii store: %w", err)
	}
	s := &Store{st: st, cfg: cfg, log: cfg.Logger, statuses: map[string]Status{}, withdrawn: w}
	if s.log == nil {
		s.log = slog.Default()
	}
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Reload rebuilds the view from the store now.
func (s *Store) Reload(ctx context.Context) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	return s.reloadLocked(ctx)
}

func (s *Store) reloadLocked(ctx context.Context) error {
	dv, err := s.st.DataVersion(ctx)
	if err != nil {
		return fmt.Errorf("taxii store: %w", err)
	}
	v, err := s.build(ctx)
	if err != nil {
		return fmt.Errorf("taxii store: %w", err)
	}
	if old := s.view.Load(); old != nil {
		v.gen = old.gen + 1
	}
	s.view.Store(v)
	s.dataVer = dv
	s.lastCheck.Store(s.cfg.Now().UnixNano())
	return nil
}

// maybeRefresh starts, at most once per Refresh interval and never more
// than one at a time, a background check for writes by other processes.
func (s *Store) maybeRefresh() {
	now := s.cfg.Now().UnixNano()
	if now-s.lastCheck.Load() < int64(s.cfg.Refresh) || !s.checking.CompareAndSwap(false, true) {
		return
	}
	s.lastCheck.Store(now)
	go func() {
		defer s.checking.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s.reloadMu.Lock()
		defer s.reloadMu.Unlock()
		dv, err := s.st.DataVersion(ctx)
		if err != nil {
			s.log.Error("taxii store: checking for changes", "err", err)
			return
		}
		if dv == s.dataVer {
			return
		}
		if err := s.reloadLocked(ctx); err != nil {
			s.log.Error("taxii store: reloading", "err", err)
		}
	}()
}

// collectionID is a stable UUID (version 5 layout) for a collection kind and key.
func collectionID(kind, key string) string {
	h := sha1.Sum([]byte("umbra taxii collection\x00" + kind + "\x00" + key))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

var tlpLevels = []stix.TLP{stix.TLPClear, stix.TLPGreen, stix.TLPAmber, stix.TLPAmberStrict, stix.TLPRed}

type srcEntry struct {
	source string
	added  time.Time
}

// build reads the whole store into a fresh view.
func (s *Store) build(ctx context.Context) (*storeView, error) {
	want := func(k string) bool { return slices.Contains(s.cfg.Collections, k) }
	v := &storeView{
		mem:     NewMemory(s.discovery()),
		cols:    map[string]storeCol{},
		present: map[string]bool{},
	}
	v.mem.AddRoot(s.cfg.Root, APIRoot{Title: s.cfg.Title + " knowledge store",
		Description: "Every version of every object in umbra's knowledge store.",
		Versions:    []string{MediaType}, MaxContentLength: s.cfg.MaxContentLength})

	// Sources and actor neighbourhoods are read before the versions: the
	// store has one connection, held while EachVersion runs.
	sources := map[string][]srcEntry{}
	var sourceNames []string
	if want(KindSource) {
		err := s.st.EachSource(ctx, func(id, source, added string) error {
			t, err := stix.ParseTime(added)
			if err != nil {
				return fmt.Errorf("source %s of %s: added %q: %v", source, id, added, err)
			}
			sources[id] = append(sources[id], srcEntry{source, t})
			if n := len(sourceNames); n == 0 || sourceNames[n-1] != source {
				sourceNames = append(sourceNames, source) // EachSource orders by source
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	type actorSet struct {
		name    string
		members map[string]bool
	}
	var actors []actorSet
	if want(KindActor) {
		list, err := knowledge.ListActors(ctx, s.st)
		if err != nil {
			return nil, err
		}
		for _, a := range list {
			set := actorSet{name: a.Name, members: map[string]bool{}}
			for _, id := range a.IDs {
				set.members[id] = true
				rels, err := s.st.Relations(ctx, id)
				if err != nil {
					return nil, err
				}
				for _, r := range rels {
					set.members[r.ID] = true
					set.members[r.SourceRef] = true
					set.members[r.TargetRef] = true
				}
			}
			actors = append(actors, set)
		}
	}

	// Declare the collections in a stable order.
	add := func(kind, key, title, alias, desc string, tlp stix.TLP, canWrite bool) string {
		id := collectionID(kind, key)
		_ = v.mem.AddCollection(s.cfg.Root, Collection{ID: id, Title: title, Alias: alias, Description: desc,
			CanRead: true, CanWrite: canWrite, MediaTypes: []string{"application/stix+json;version=2.1"}})
		v.cols[id] = storeCol{kind: kind, key: key, tlp: tlp}
		return id
	}
	allID := ""
	if want(KindAll) {
		allID = add(KindAll, "", "All intel", "all", "Every object in the knowledge store. Objects added here are recorded with the source \"taxii\".", 0, true)
	}
	srcIDs := map[string]string{}
	for _, name := range sourceNames {
		srcIDs[name] = add(KindSource, name, "Source: "+name, "source-"+name,
			"Objects published by "+name+". Objects added here are recorded with that source.", 0, true)
	}
	tlpIDs := map[stix.TLP]string{}
	if want(KindTLP) {
		for _, l := range tlpLevels {
			up := strings.ToUpper(l.String())
			tlpIDs[l] = add(KindTLP, l.String(), "TLP:"+up, "tlp-"+l.String(),
				"Objects whose effective marking is TLP:"+up+". Unmarked objects added here are stored as TLP:"+up+".", l, true)
		}
	}
	actorIDs := make([]string, len(actors))
	for i, a := range actors {
		actorIDs[i] = add(KindActor, a.name, "Actor: "+a.name, "actor-"+knowledge.NormName(a.name),
			"The actor "+a.name+", its relationships and the objects at their other end.", 0, false)
	}

	byCol := map[string][]*Version{}
	err := s.st.EachVersion(ctx, func(sv sqlite.StoredVersion) error {
		added, err := stix.ParseTime(sv.Added)
		if err != nil {
			return fmt.Errorf("version %s %s: added %q: %v", sv.ID, sv.Modified, sv.Added, err)
		}
		ver, err := NewVersion(sv.Raw, added)
		if err != nil {
			// A stored object this server cannot present is skipped, not fatal.
			s.log.Warn("taxii store: skipping stored version", "id", sv.ID, "version", sv.Modified, "err", err)
			return nil
		}
		ver.TLP = max(ver.TLP, sv.ObjectTLP)
		v.present[ver.ID+"\x00"+ver.Version] = true
		if allID != "" {
			byCol[allID] = append(byCol[allID], ver)
		}
		for _, e := range sources[ver.ID] {
			c := *ver
			if e.added.After(c.DateAdded) {
				c.DateAdded = e.added
				if c.Version == "" {
					c.VersionTime = e.added
				}
			}
			byCol[srcIDs[e.source]] = append(byCol[srcIDs[e.source]], &c)
		}
		if id, ok := tlpIDs[ver.TLP]; ok {
			byCol[id] = append(byCol[id], ver)
		}
		for i, a := range actors {
			if a.members[ver.ID] {
				byCol[actorIDs[i]] = append(byCol[actorIDs[i]], ver)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for id, vs := range byCol {
		if len(s.withdrawn[id]) > 0 {
			vs = slices.DeleteFunc(vs, func(v *Version) bool { return s.withdrawn.has(id, v) })
		}
		slices.SortStableFunc(vs, byDateAdded)
		if _, err := v.mem.Add(ctx, s.cfg.Root, id, vs); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func (s *Store) discovery() Discovery {
	return Discovery{Title: s.cfg.Title, Description: "umbra's knowledge store over TAXII 2.1",
		Default: s.cfg.BasePath + "/" + s.cfg.Root + "/", APIRoots: []string{s.cfg.BasePath + "/" + s.cfg.Root + "/"}}
}

// Generation changes whenever a new view is served (see Generational).
func (s *Store) Generation() uint64 {
	s.maybeRefresh()
	return s.view.Load().gen
}

func (s *Store) current() *storeView {
	s.maybeRefresh()
	return s.view.Load()
}

// Discovery returns the discovery resource; its API roots are paths, which
// the server turns into URLs of the request's host.
func (s *Store) Discovery(context.Context) (Discovery, error) { return s.discovery(), nil }

// APIRoot returns the information of the one API root.
func (s *Store) APIRoot(ctx context.Context, root string) (APIRoot, error) {
	return s.current().mem.APIRoot(ctx, root)
}

// Collections lists the configured collections.
func (s *Store) Collections(ctx context.Context, root string) ([]Collection, error) {
	return s.current().mem.Collections(ctx, root)
}

// Collection returns one collection.
func (s *Store) Collection(ctx context.Context, root, id string) (Collection, error) {
	return s.current().mem.Collection(ctx, root, id)
}

// Objects returns a collection's versions matching q from the current view.
func (s *Store) Objects(ctx context.Context, root, collection string, q Query) (iter.Seq2[*Version, error], error) {
	return s.current().mem.Objects(ctx, root, collection, q)
}

// Add imports versions into the knowledge store with the collection's
// source (or TLP default) and rebuilds the view so that they are served at once.
func (s *Store) Add(ctx context.Context, root, collection string, versions []*Version) ([]bool, error) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	v := s.view.Load()
	if _, err := v.mem.APIRoot(ctx, root); err != nil {
		return nil, err
	}
	col, ok := v.cols[collection]
	if !ok {
		return nil, ErrNotFound
	}
	info := knowledge.ImportInfo{Source: "taxii", Path: "taxii:" + s.cfg.Root + "/" + collection}
	switch col.kind {
	case KindSource:
		info.Source = col.key
	case KindTLP:
		info.TLP = col.tlp
	case KindActor:
		return nil, fmt.Errorf("add to actor collection %s: %w", col.key, ErrNotSupported)
	}
	added := make([]bool, len(versions))
	_, err := s.st.Import(ctx, info, func(put func(stix.Object) error) error {
		for i, ver := range versions {
			o, err := stix.Parse(ver.Raw)
			if err != nil {
				return fmt.Errorf("object %d (%s): %w", i, ver.ID, err)
			}
			if err := put(o); err != nil {
				return fmt.Errorf("object %d (%s): %w", i, ver.ID, err)
			}
			added[i] = !v.present[ver.ID+"\x00"+ver.Version] || s.withdrawn.has(collection, ver)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// What a partner posts again to a collection it was deleted from is
	// served there again.
	if keys := s.withdrawn[collection]; len(keys) > 0 {
		var back []string
		for _, ver := range versions {
			if k := withdrawnKey(ver.ID, ver.Version); keys[k] {
				delete(keys, k)
				back = append(back, k)
			}
		}
		if len(back) > 0 {
			if err := s.withdrawn.save(s.cfg.StateDir); err != nil {
				for _, k := range back { // still withdrawn on disk, so here too
					keys[k] = true
				}
				return nil, fmt.Errorf("taxii store: %w", err)
			}
		}
	}
	if err := s.reloadLocked(ctx); err != nil {
		return nil, err
	}
	return added, nil
}

// Delete withdraws versions from one collection: the collection stops
// serving them, durably (StateDir), while the knowledge store keeps them —
// it holds every version it was given, and what it holds leaves by
// retention, not by a partner's request — and other collections go on
// serving them. Posting a version to the collection again puts it back.
func (s *Store) Delete(ctx context.Context, root, collection string, versions []*Version) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	v := s.view.Load()
	if _, err := v.mem.APIRoot(ctx, root); err != nil {
		return err
	}
	if _, ok := v.cols[collection]; !ok {
		return ErrNotFound
	}
	var added []string
	for _, ver := range versions {
		if k := withdrawnKey(ver.ID, ver.Version); !s.withdrawn[collection][k] {
			s.withdrawn.add(collection, ver.ID, ver.Version)
			added = append(added, k)
		}
	}
	if err := s.withdrawn.save(s.cfg.StateDir); err != nil {
		for _, k := range added { // not on disk, so not done
			delete(s.withdrawn[collection], k)
		}
		return fmt.Errorf("taxii store: %w", err)
	}
	return s.reloadLocked(ctx)
}

// Status returns a status resource of an earlier add.
func (s *Store) Status(_ context.Context, root, id string) (Status, error) {
	if root != s.cfg.Root {
		return Status{}, ErrNotFound
	}
	s.statusMu.Lock()
	defer s.statusMu.Unlock()
	st, ok := s.statuses[id]
	if !ok {
		return Status{}, ErrNotFound
	}
	return st, nil
}

// PutStatus keeps a status resource; past maxStatuses the oldest is dropped.
func (s *Store) PutStatus(_ context.Context, root string, st Status) error {
	if root != s.cfg.Root {
		return ErrNotFound
	}
	s.statusMu.Lock()
	defer s.statusMu.Unlock()
	if _, ok := s.statuses[st.ID]; !ok {
		s.order = append(s.order, st.ID)
	}
	s.statuses[st.ID] = st
	for len(s.order) > maxStatuses {
		delete(s.statuses, s.order[0])
		s.order = s.order[1:]
	}
	return nil
}

// CollectionInfo is one collection as `umbra serve` lists it at start.
type CollectionInfo struct {
	ID, Alias, Title string
	Objects          int
}

// Summary lists the collections of the current view with their sizes.
func (s *Store) Summary(ctx context.Context) ([]CollectionInfo, error) {
	v := s.view.Load()
	cols, err := v.mem.Collections(ctx, s.cfg.Root)
	if err != nil {
		return nil, err
	}
	out := make([]CollectionInfo, 0, len(cols))
	for _, c := range cols {
		seq, err := v.mem.Objects(ctx, s.cfg.Root, c.ID, Query{})
		if err != nil {
			return nil, err
		}
		n := 0
		for range seq {
			n++
		}
		out = append(out, CollectionInfo{ID: c.ID, Alias: c.Alias, Title: c.Title, Objects: n})
	}
	return out, nil
}
