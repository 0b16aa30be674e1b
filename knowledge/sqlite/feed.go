package sqlite

import (
	"context"

	"github.com/umbra-cti/umbra/stix"
)

// StoredVersion is one stored version of an object as a feed server (TAXII)
// lists it: when the store first received it, and the effective TLP of the
// object it belongs to.
type StoredVersion struct {
	ID       string
	Type     string
	Modified string // the version instant as written (modified, else created)
	Added    string // when the store first received this version (stix.TimeFormat)
	// ObjectTLP is the effective TLP of the object's current version: its
	// marking, else the default of the import that brought it (red when the
	// object row is missing, which never happens in a consistent store).
	ObjectTLP stix.TLP
	Raw       []byte
}

// EachVersion calls fn for every stored version, ordered by when it was
// added, then id, then version. fn must not call the store (it has one
// connection, held while rows are read).
func (s *Store) EachVersion(ctx context.Context, fn func(StoredVersion) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT v.id, v.type, v.modified, v.added, IFNULL(o.tlp, ?), v.json
		FROM versions v LEFT JOIN objects o ON o.id = v.id
		UNION ALL SELECT id, type, modified, updated, tlp, json FROM objects
		ORDER BY 4, 1, 3`, int(stix.TLPRed))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var v StoredVersion
		var tlp int
		if err := rows.Scan(&v.ID, &v.Type, &v.Modified, &v.Added, &tlp, &v.Raw); err != nil {
			return err
		}
		v.ObjectTLP = stix.TLP(tlp)
		if err := fn(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

// EachSource calls fn for every (object, source) pair with when the source
// first published the object, ordered by source then id. fn must not call
// the store.
func (s *Store) EachSource(ctx context.Context, fn func(id, source, added string) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT id, source, added FROM objects WHERE source != ''
		UNION ALL SELECT id, source, added FROM sources ORDER BY source, id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, src, added string
		if err := rows.Scan(&id, &src, &added); err != nil {
			return err
		}
		if err := fn(id, src, added); err != nil {
			return err
		}
	}
	return rows.Err()
}

// DataVersion is SQLite's data_version of the store's connection: it
// changes whenever another connection (another umbra process) commits to
// the file, so a server can tell cheaply when to reload what it caches.
// Commits made through this Store do not change it.
func (s *Store) DataVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v)
	return v, err
}
