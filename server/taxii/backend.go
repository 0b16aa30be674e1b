// Package taxii serves STIX objects over TAXII 2.1 (OASIS, 2021): discovery,
// API roots, collections, objects with their versions and manifests, and the
// status of adds. Every request passes through server/auth, and every object
// above the caller's TLP clearance is invisible: it is never served, counted
// or confirmed by any endpoint.
//
// The HTTP layer does the TAXII filtering (match[...], added_after, paging);
// a Backend only stores collections and object versions, so the knowledge
// store can back the server with a thin adapter.
package taxii

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"time"

	"github.com/umbra-cti/umbra/stix"
)

// ErrNotFound is returned by a Backend for an unknown API root, collection or status.
var ErrNotFound = errors.New("not found")

// Discovery is the server's discovery resource (TAXII 2.1 section 4.1.1).
type Discovery struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Contact     string   `json:"contact,omitempty"`
	Default     string   `json:"default,omitempty"`
	APIRoots    []string `json:"api_roots,omitempty"`
}

// APIRoot describes one API root (section 4.2.1).
type APIRoot struct {
	Title            string   `json:"title"`
	Description      string   `json:"description,omitempty"`
	Versions         []string `json:"versions"`
	MaxContentLength int64    `json:"max_content_length"`
}

// Collection describes one collection (section 5.2.1). CanRead and CanWrite
// are the collection's own policy; the server narrows them by the token.
type Collection struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types,omitempty"`
}

// Version is one version of one object in a collection, with what the server
// filters on already extracted so that no request re-parses the JSON.
type Version struct {
	ID          string
	Type        string
	Version     string    // modified, else created, as written; "" for unversioned SCOs
	VersionTime time.Time // Version parsed; DateAdded for unversioned objects
	SpecVersion string    // "2.1", "2.0"
	DateAdded   time.Time // when this server first stored this version
	TLP         stix.TLP  // the most restrictive TLP marking; clear when unmarked
	Raw         json.RawMessage
}

// VersionString is the version as the manifest and versions endpoints list it.
func (v *Version) VersionString() string {
	if v.Version != "" {
		return v.Version
	}
	return stix.FormatTime(v.VersionTime)
}

// Query narrows what a Backend returns. It is a hint: a backend may return a
// superset (the server filters again), never a subset.
type Query struct {
	IDs        []string  // any of these ids; none means all
	Types      []string  // any of these types; none means all
	AddedAfter time.Time // only versions added strictly after; zero means all
	After      *Position // only versions listed after this position; nil means from the start
}

// Position is a place in a collection's listing order: date added, then
// object id, then version. Paging resumes after the last position served.
type Position struct {
	DateAdded   time.Time
	ID          string
	VersionTime time.Time
}

// PositionOf returns where v sits in the listing order.
func PositionOf(v *Version) Position {
	return Position{DateAdded: v.DateAdded, ID: v.ID, VersionTime: v.VersionTime}
}

// Compare orders positions as listings do.
func (p Position) Compare(q Position) int {
	if c := p.DateAdded.Compare(q.DateAdded); c != 0 {
		return c
	}
	if p.ID != q.ID {
		if p.ID < q.ID {
			return -1
		}
		return 1
	}
	return p.VersionTime.Compare(q.VersionTime)
}

// Status is the status resource of one add request (section 4.3.1).
type Status struct {
	ID               string         `json:"id"`
	Status           string         `json:"status"` // "complete" or "pending"
	RequestTimestamp string         `json:"request_timestamp,omitempty"`
	TotalCount       int            `json:"total_count"`
	SuccessCount     int            `json:"success_count"`
	Successes        []StatusDetail `json:"successes,omitempty"`
	FailureCount     int            `json:"failure_count"`
	Failures         []StatusDetail `json:"failures,omitempty"`
	PendingCount     int            `json:"pending_count"`
	Pendings         []StatusDetail `json:"pendings,omitempty"`
	// Owner is the id of the token that made the request; only it and admins
	// may read the status, since it names the objects that were sent.
	Owner string `json:"-"`
}

// StatusDetail is one object's outcome in a Status.
type StatusDetail struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message,omitempty"`
}

// Backend stores what the TAXII server serves. Implementations must be safe
// for concurrent use and return ErrNotFound for unknown roots, collections
// and statuses.
//
// The server does all TAXII filtering, version selection, TLP enforcement
// and paging, so an adapter over another store (the knowledge store, with
// collections per source, per TLP level or per actor) only has to: list its
// collections; yield a collection's object versions in listing order
// (date_added, id, version), honouring Query as a pre-filter — an index on
// (collection, date_added, id) makes Query.After and AddedAfter a range scan
// and a page costs O(page); fetch all versions of a few ids (Query.IDs) for
// first/last selection; and compute each Version's TLP once, when stored.
// The server calls Add, Delete and PutStatus only for collections with
// can_write, so a read-only adapter may just return an error from them.
type Backend interface {
	Discovery(ctx context.Context) (Discovery, error)
	APIRoot(ctx context.Context, root string) (APIRoot, error)
	Collections(ctx context.Context, root string) ([]Collection, error)
	Collection(ctx context.Context, root, id string) (Collection, error)
	// Objects returns the object versions of a collection matching q, in
	// listing order (Position.Compare). The server stops iterating as soon as
	// its page is full, so a backend should produce versions lazily; an error
	// met while iterating is yielded with a nil Version. Versions must not be
	// modified by the caller.
	Objects(ctx context.Context, root, collection string, q Query) (iter.Seq2[*Version, error], error)
	// Add stores versions; added[i] is false when versions[i] (same id and
	// version) was already present, which is not an error.
	Add(ctx context.Context, root, collection string, versions []*Version) (added []bool, err error)
	// Delete removes exactly these versions (by id and Version).
	Delete(ctx context.Context, root, collection string, versions []*Version) error
	Status(ctx context.Context, root, id string) (Status, error)
	PutStatus(ctx context.Context, root string, s Status) error
}
