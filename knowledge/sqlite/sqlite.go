// Package sqlite is the embedded knowledge store: one SQLite file in the
// data dir (modernc.org/sqlite, pure Go), with schema migrations, every
// STIX version kept, and imports that are all-or-nothing.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/stix"
)

// FileName is the store's file inside the data dir.
const FileName = "knowledge.db"

// Store is the SQLite knowledge store. It is safe for concurrent use.
type Store struct {
	db   *sql.DB
	path string
}

var _ knowledge.Store = (*Store)(nil)

// migrations are applied in order; PRAGMA user_version records how many
// have run. Never edit one that has shipped: append a new one.
var migrations = []string{
	`CREATE TABLE versions(
		id TEXT NOT NULL, modified TEXT NOT NULL, type TEXT NOT NULL,
		json BLOB NOT NULL, import_id INTEGER, added TEXT NOT NULL,
		PRIMARY KEY(id, modified)) WITHOUT ROWID;
	CREATE TABLE objects(
		id TEXT PRIMARY KEY, type TEXT NOT NULL, modified TEXT NOT NULL,
		name TEXT, confidence INTEGER, tlp INTEGER NOT NULL,
		first_seen TEXT, last_seen TEXT, revoked INTEGER NOT NULL DEFAULT 0,
		json BLOB NOT NULL, added TEXT NOT NULL, updated TEXT NOT NULL);
	CREATE INDEX objects_type ON objects(type, id);
	CREATE TABLE sources(id TEXT NOT NULL, source TEXT NOT NULL, added TEXT NOT NULL,
		PRIMARY KEY(id, source)) WITHOUT ROWID;
	CREATE INDEX sources_source ON sources(source);
	CREATE TABLE names(norm TEXT NOT NULL, name TEXT NOT NULL, object_id TEXT NOT NULL,
		object_name TEXT NOT NULL, kind TEXT NOT NULL, source TEXT NOT NULL,
		since TEXT, until TEXT, note TEXT,
		PRIMARY KEY(norm, object_id, source, kind)) WITHOUT ROWID;
	CREATE INDEX names_object ON names(object_id);
	CREATE TABLE relations(id TEXT PRIMARY KEY, type TEXT NOT NULL, source_ref TEXT NOT NULL,
		target_ref TEXT NOT NULL, confidence INTEGER NOT NULL, description TEXT);
	CREATE INDEX relations_source ON relations(source_ref);
	CREATE INDEX relations_target ON relations(target_ref);
	CREATE TABLE imports(id INTEGER PRIMARY KEY, source TEXT NOT NULL, path TEXT NOT NULL,
		at TEXT NOT NULL, objects INTEGER NOT NULL, new INTEGER NOT NULL,
		updated INTEGER NOT NULL, historical INTEGER NOT NULL);
	CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
	// The correlation index: which objects carry a value, keyed by a 64-bit
	// hash of the value and the objects' rowids so that a row costs ~20
	// bytes. A value carried by more than OverCorrelation objects (a
	// sinkhole, a shared hosting IP) stops growing its list and is flagged.
	// contains records which reports hold which objects.
	`CREATE TABLE correlation(h INTEGER NOT NULL, obj INTEGER NOT NULL, PRIMARY KEY(h, obj)) WITHOUT ROWID;
	CREATE TABLE overcorrelated(h INTEGER PRIMARY KEY, value TEXT NOT NULL, objects INTEGER NOT NULL);
	CREATE TABLE contains(obj INTEGER NOT NULL, container INTEGER NOT NULL, PRIMARY KEY(obj, container)) WITHOUT ROWID;`,
	// Sightings became edges (sighting -> sighted object); the re-derive
	// that follows every migration adds them for stores that hold some.
	`DELETE FROM relations WHERE 0;`,
	// The current version's JSON is kept once, in objects; its versions row
	// holds an empty blob (see currentJSON). Large imports wrote every
	// object's JSON twice, once into a table keyed by random ids.
	`UPDATE versions SET json = x'' WHERE EXISTS (SELECT 1 FROM objects o WHERE o.id = versions.id AND o.modified = versions.modified);`,
	// A STIX id starts with its type, so the primary key already orders
	// objects by type (see Each); the extra index cost every import a
	// B-tree insert per object.
	`DROP INDEX IF EXISTS objects_type;`,
	// A current version is its objects row, and an object's first
	// publisher is a column of that row: versions keeps the other versions
	// and sources the other publishers. A new object was a row in each of
	// versions and sources (and sources_source), three B-tree keys of a
	// 47-byte id each, which a list import paid per indicator.
	`UPDATE objects SET updated = v.added FROM versions v
		WHERE v.id = objects.id AND v.modified = objects.modified AND length(v.json) = 0;
	DELETE FROM versions WHERE length(json) = 0
		AND EXISTS (SELECT 1 FROM objects o WHERE o.id = versions.id AND o.modified = versions.modified);
	ALTER TABLE objects ADD COLUMN source TEXT NOT NULL DEFAULT '';
	UPDATE objects SET source = IFNULL((SELECT s.source FROM sources s WHERE s.id = objects.id ORDER BY s.added, s.source LIMIT 1), '');
	DELETE FROM sources WHERE EXISTS (SELECT 1 FROM objects o WHERE o.id = sources.id AND o.source = sources.source);`,
	// Indicators without umbra's x_umbra_value (a STIX bundle's, a TAXII
	// feed's) now index the value of a simple pattern, and observables
	// their normalised value; the re-derive that follows indexes what the
	// store already holds.
	`SELECT 1;`,
}

// sourcesOf is the SQL for the publishers of object ?1, in order.
const sourcesOf = `SELECT source FROM objects WHERE id = ?1 AND source != ''
	UNION SELECT source FROM sources WHERE id = ?1 ORDER BY source`

// OverCorrelation is the number of objects beyond which a value is flagged
// as over-correlating instead of being indexed further.
const OverCorrelation = 1000

// Open opens (creating if needed) the store in dir and brings its schema
// up to date.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-65536)&_pragma=temp_store(MEMORY)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// One writer at a time is SQLite's model; a single connection also keeps
	// the WAL reader/writer dance out of the picture for a CLI.
	db.SetMaxOpenConns(1)
	s := &Store{db: db, path: path}
	if err := s.migrate(); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) migrate() error {
	var v int
	if err := s.db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		return fmt.Errorf("not a readable SQLite database: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this umbra understands (%d)", v, len(migrations))
	}
	if v == len(migrations) {
		return nil
	}
	// All pending migrations run in one transaction, and the derived
	// tables are recomputed once, with the statements of the final schema.
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for i := v; i < len(migrations); i++ {
		if _, err := tx.Exec(migrations[i]); err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
	}
	// New derived tables are filled from the objects already held (none in
	// a new store).
	if err := rederive(tx); err != nil {
		return fmt.Errorf("migrations %d-%d: %w", v+1, len(migrations), err)
	}
	if _, err := tx.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, len(migrations))); err != nil {
		return err
	}
	return tx.Commit()
}

// rederive recomputes the derived tables (claims, relations, correlation,
// containment) of every stored object inside tx.
func rederive(tx *sql.Tx) error {
	rows, err := tx.Query(`SELECT json FROM objects`)
	if err != nil {
		return err
	}
	var raws [][]byte
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			rows.Close()
			return err
		}
		raws = append(raws, raw)
	}
	rows.Close()
	if len(raws) == 0 {
		return nil
	}
	it, err := newImportTx(context.Background(), tx, knowledge.ImportInfo{})
	if err != nil {
		return err
	}
	defer it.close()
	for _, raw := range raws {
		o, err := stix.Parse(raw)
		if err != nil {
			return err
		}
		if err := it.derive(context.Background(), o); err != nil {
			return err
		}
	}
	return nil
}

// Meta reads a value of the store's key/value table ("" when absent).
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key=?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetMeta writes a value of the store's key/value table.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value`, key, value)
	return err
}

type importTx struct {
	tx                                             *sql.Tx
	info                                           knowledge.ImportInfo
	now                                            string
	sum                                            knowledge.ImportSummary
	hasVersion, insVersion, keepVersion, upsertObj *sql.Stmt
	insSource, selSources, delNames, insName       *sql.Stmt
	delRelation, insRelation                       *sql.Stmt
	rowid, isOver, bumpOver, insCorr, countCorr    *sql.Stmt
	addOver, delCorr, insContains                  *sql.Stmt
	stmts                                          []*sql.Stmt
	bulk                                           bulkState
}

// Import implements knowledge.Store.
func (s *Store) Import(ctx context.Context, info knowledge.ImportInfo, fn func(put func(stix.Object) error) error) (knowledge.ImportSummary, error) {
	if info.Source == "" {
		info.Source = "unknown"
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return knowledge.ImportSummary{}, err
	}
	committed := false
	defer func() {
		if !committed {
			tx.Rollback()
		}
	}()
	it, err := newImportTx(ctx, tx, info)
	if err != nil {
		return knowledge.ImportSummary{}, err
	}
	defer it.close()
	if err := fn(func(o stix.Object) error { return it.put(ctx, o) }); err != nil {
		it.bulk.stopWriter()
		return it.sum, err
	}
	if err := it.flush(ctx); err != nil {
		return it.sum, err
	}
	if it.sum.New+it.sum.Updated+it.sum.Historical > 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO imports(source, path, at, objects, new, updated, historical) VALUES(?,?,?,?,?,?,?)`,
			info.Source, info.Path, it.now, it.sum.Objects, it.sum.New, it.sum.Updated, it.sum.Historical); err != nil {
			return it.sum, err
		}
	}
	if err := ctx.Err(); err != nil {
		return it.sum, err
	}
	if err := tx.Commit(); err != nil {
		return it.sum, err
	}
	committed = true
	return it.sum, nil
}

func newImportTx(ctx context.Context, tx *sql.Tx, info knowledge.ImportInfo) (*importTx, error) {
	it := &importTx{tx: tx, info: info, now: stix.FormatTime(time.Now())}
	prep := []struct {
		dst **sql.Stmt
		q   string
	}{
		{&it.hasVersion, `SELECT 1 FROM versions WHERE id=? AND modified=?`},
		{&it.insVersion, `INSERT INTO versions(id, modified, type, json, added) VALUES(?,?,?,?,?)`},
		{&it.keepVersion, `INSERT INTO versions(id, modified, type, json, added) SELECT id, modified, type, json, updated FROM objects WHERE id = ?`},
		{&it.upsertObj, `INSERT INTO objects(id, type, modified, name, confidence, tlp, first_seen, last_seen, revoked, json, added, updated, source)
			VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)
			ON CONFLICT(id) DO UPDATE SET type=excluded.type, modified=excluded.modified, name=excluded.name,
			confidence=excluded.confidence, tlp=excluded.tlp, first_seen=excluded.first_seen, last_seen=excluded.last_seen,
			revoked=excluded.revoked, json=excluded.json, updated=excluded.updated`},
		{&it.insSource, `INSERT OR IGNORE INTO sources(id, source, added) VALUES(?,?,?)`},
		{&it.selSources, sourcesOf},
		{&it.delNames, `DELETE FROM names WHERE object_id=?`},
		{&it.insName, `INSERT OR IGNORE INTO names(norm, name, object_id, object_name, kind, source, since, until, note) VALUES(?,?,?,?,?,?,?,?,?)`},
		{&it.delRelation, `DELETE FROM relations WHERE id=?`},
		{&it.insRelation, `INSERT INTO relations(id, type, source_ref, target_ref, confidence, description) VALUES(?,?,?,?,?,?)`},
		{&it.rowid, `SELECT rowid FROM objects WHERE id=?`},
		{&it.isOver, `SELECT 1 FROM overcorrelated WHERE h=?`},
		{&it.bumpOver, `UPDATE overcorrelated SET objects=objects+1 WHERE h=?`},
		{&it.insCorr, `INSERT OR IGNORE INTO correlation(h, obj) VALUES(?, ?)`},
		{&it.countCorr, `SELECT COUNT(*) FROM (SELECT 1 FROM correlation WHERE h=? LIMIT ` + fmt.Sprint(OverCorrelation+1) + `)`},
		{&it.addOver, `INSERT INTO overcorrelated(h, value, objects) VALUES(?, ?, ?)`},
		{&it.delCorr, `DELETE FROM correlation WHERE h=?`},
		{&it.insContains, `INSERT OR IGNORE INTO contains(obj, container) SELECT rowid, ? FROM objects WHERE id=?`},
	}
	for _, p := range prep {
		st, err := tx.PrepareContext(ctx, p.q)
		if err != nil {
			it.close()
			return nil, err
		}
		it.stmts = append(it.stmts, st)
		*p.dst = st
	}
	it.bulk.init()
	it.bulk.startWriter(ctx, it)
	return it, nil
}

func (it *importTx) close() {
	for _, st := range it.stmts {
		st.Close()
	}
	it.bulk.close()
}

// put queues o; objects are written a batch at a time (see flush).
func (it *importTx) put(ctx context.Context, o stix.Object) error {
	it.sum.Objects++
	if it.info.Progress != nil && it.sum.Objects%1000 == 0 {
		it.info.Progress(it.sum.Objects)
	}
	if o.ID == "" || len(o.Raw) == 0 {
		return fmt.Errorf("object %d: empty object", it.sum.Objects-1)
	}
	return it.queue(ctx, o)
}

// putExisting stores o, whose id the store holds with current version
// curVersion, first published by curSource: a version we have (a new
// publisher, perhaps), an update, or an older version kept as history.
func (it *importTx) putExisting(ctx context.Context, o stix.Object, curVersion, curSource string) error {
	version := o.Version()
	known := curVersion == version
	if !known {
		var one int
		switch err := it.hasVersion.QueryRowContext(ctx, o.ID, version).Scan(&one); {
		case err == nil:
			known = true
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
	}
	if known {
		it.sum.Unchanged++
		added, err := it.addSource(ctx, o.ID, curSource)
		if err != nil {
			return err
		}
		if added {
			// A new publisher of a version we had: its claims now count too.
			cur, err := it.current(ctx, o.ID)
			if err != nil {
				return err
			}
			return it.derive(ctx, cur)
		}
		return nil
	}
	if _, err := it.addSource(ctx, o.ID, curSource); err != nil {
		return err
	}
	cur := stix.Object{Modified: curVersion}
	if !o.NewerThan(&cur) {
		it.sum.Historical++
		_, err := it.insVersion.ExecContext(ctx, o.ID, version, o.Type, []byte(o.Raw), it.now)
		return err
	}
	it.sum.Updated++
	// The version being replaced goes into the history; the new one is the
	// objects row.
	if _, err := it.keepVersion.ExecContext(ctx, o.ID); err != nil {
		return err
	}
	row := it.appendObjectRow(make([]any, 0, 14), &o, version, nil)
	if _, err := it.upsertObj.ExecContext(ctx, row[1:]...); err != nil {
		return err
	}
	return it.derive(ctx, o)
}

// addSource records the import's source as a publisher of id, whose
// first publisher is first; it reports whether the source is new.
func (it *importTx) addSource(ctx context.Context, id, first string) (bool, error) {
	if first == it.info.Source {
		return false, nil
	}
	res, err := it.insSource.ExecContext(ctx, id, it.info.Source, it.now)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// appendObjectRow appends the objects row of o, rowid first (nil: SQLite
// picks one) and the import's source, its first publisher, last (an update
// keeps the row's).
func (it *importTx) appendObjectRow(row []any, o *stix.Object, version string, rowid any) []any {
	tlp, marked := stix.TLPOf(o)
	if !marked {
		tlp = it.info.TLP
	}
	var conf any
	if o.Common.Confidence != nil {
		conf = *o.Common.Confidence
	}
	firstSeen, lastSeen := o.Common.FirstSeen, o.Common.LastSeen
	if firstSeen == "" {
		firstSeen = o.Common.ValidFrom
	}
	return append(row, rowid, o.ID, o.Type, version, o.Common.Name, conf, int(tlp),
		nullable(firstSeen), nullable(lastSeen), o.Common.Revoked, []byte(o.Raw), it.now, it.now, it.info.Source)
}

// valueOf is the value an indicator or observable carries, for the
// correlation index ("" when none).
func valueOf(o *stix.Object) string { return indicator.CorrelationValue(o) }

// correlate indexes the value an indicator or observable carries, and
// the objects a report or grouping holds.
func (it *importTx) correlate(ctx context.Context, o stix.Object) error {
	value := valueOf(&o)
	if value == "" && len(o.Common.ObjectRefs) == 0 {
		return nil
	}
	var obj int64
	if err := it.rowid.QueryRowContext(ctx, o.ID).Scan(&obj); err != nil {
		return err
	}
	if value != "" {
		if err := it.correlateValue(ctx, knowledge.ValueKey(value), value, obj); err != nil {
			return err
		}
	}
	return it.contains(ctx, obj, o.Common.ObjectRefs)
}

// correlateValue adds object obj to the list of value (key h), or counts it
// when the value already over-correlates, and flags the value when its list
// grows past OverCorrelation.
func (it *importTx) correlateValue(ctx context.Context, h int64, value string, obj int64) error {
	var over int
	err := it.isOver.QueryRowContext(ctx, h).Scan(&over)
	switch {
	case err == nil:
		_, err = it.bumpOver.ExecContext(ctx, h)
		return err
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	res, err := it.insCorr.ExecContext(ctx, h, obj)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		var count int
		if err := it.countCorr.QueryRowContext(ctx, h).Scan(&count); err != nil {
			return err
		}
		if count > OverCorrelation {
			if _, err := it.addOver.ExecContext(ctx, h, value, count); err != nil {
				return err
			}
			if it.bulk.over != nil {
				it.bulk.over[h] = struct{}{}
			}
			if _, err := it.delCorr.ExecContext(ctx, h); err != nil {
				return err
			}
		}
	}
	return nil
}

// contains records that container (a rowid) holds the objects refs.
func (it *importTx) contains(ctx context.Context, container int64, refs []string) error {
	for _, ref := range refs {
		if _, err := it.insContains.ExecContext(ctx, container, ref); err != nil {
			return err
		}
	}
	return nil
}

func (it *importTx) current(ctx context.Context, id string) (stix.Object, error) {
	var raw []byte
	if err := it.tx.QueryRowContext(ctx, `SELECT json FROM objects WHERE id=?`, id).Scan(&raw); err != nil {
		return stix.Object{}, err
	}
	return stix.Parse(raw)
}

// derive refreshes what is read from o: name claims, graph edges, the
// correlation index and report membership.
func (it *importTx) derive(ctx context.Context, o stix.Object) error {
	if err := it.correlate(ctx, o); err != nil {
		return err
	}
	if !hasGraph(&o) {
		return nil
	}
	sources, err := querySources(ctx, it.selSources, o.ID)
	if err != nil {
		return err
	}
	return it.deriveGraph(ctx, o, sources, false)
}

// hasGraph reports whether o adds name claims or an edge to the graph.
func hasGraph(o *stix.Object) bool {
	return knowledge.IsActorType(o.Type) || o.Type == "relationship" || o.Type == "sighting"
}

// deriveGraph refreshes the name claims or the edge read from o (fresh: an
// object new to the store, which nothing has been derived from yet), whose
// publishers are sources.
func (it *importTx) deriveGraph(ctx context.Context, o stix.Object, sources []string, fresh bool) error {
	if knowledge.IsActorType(o.Type) {
		if !fresh {
			if _, err := it.delNames.ExecContext(ctx, o.ID); err != nil {
				return err
			}
		}
		for _, c := range knowledge.Claims(&o, sources) {
			if _, err := it.insName.ExecContext(ctx, c.Norm, c.Name, c.ObjectID, c.ObjectName, c.Kind, c.Source,
				nullable(c.Since), nullable(c.Until), nullable(c.Note)); err != nil {
				return err
			}
		}
		return nil
	}
	if !fresh {
		if _, err := it.delRelation.ExecContext(ctx, o.ID); err != nil {
			return err
		}
	}
	if r, ok := knowledge.RelationOf(&o, sources); ok && !o.Common.Revoked {
		if _, err := it.insRelation.ExecContext(ctx, r.ID, r.Type, r.SourceRef, r.TargetRef, r.Confidence, r.Description); err != nil {
			return err
		}
	}
	return nil
}

func querySources(ctx context.Context, st *sql.Stmt, id string) ([]string, error) {
	return scanStrings(st.QueryContext(ctx, id))
}

// scanStrings reads a one-column result of strings, closing rows.
func scanStrings(rows *sql.Rows, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Object implements knowledge.Store.
func (s *Store) Object(ctx context.Context, id string) (stix.Object, error) {
	var raw []byte
	err := s.db.QueryRowContext(ctx, `SELECT json FROM objects WHERE id=?`, id).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return stix.Object{}, fmt.Errorf("%s: %w", id, knowledge.ErrNotFound)
	}
	if err != nil {
		return stix.Object{}, err
	}
	return stix.Parse(raw)
}

// Versions implements knowledge.Store.
func (s *Store) Versions(ctx context.Context, id string) ([]stix.Object, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT json FROM (SELECT modified, json FROM versions WHERE id = ?1
		UNION ALL SELECT modified, json FROM objects WHERE id = ?1) ORDER BY modified`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []stix.Object
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		o, err := stix.Parse(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Order by instant, not by string: precisions differ between versions.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j-1].NewerThan(&out[j]); j-- {
			out[j-1], out[j] = out[j], out[j-1]
		}
	}
	return out, nil
}

// eachPage bounds how many objects Each holds at once.
const eachPage = 512

// Each implements knowledge.Store. It pages through the objects by id, so
// that exporting a large store holds one page in memory, and fn may query
// the store (which has a single connection) between pages.
func (s *Store) Each(ctx context.Context, types []string, fn func(stix.Object) error) error {
	if len(types) == 0 {
		return s.eachIn(ctx, "", "", fn)
	}
	// Every id is "TYPE--UUID", and no type holds "--", so the ids of one
	// type are the key range ("TYPE--", "TYPE-.") and the ranges of types
	// sorted by their prefix come in id order.
	prefixes := make([]string, 0, len(types))
	for _, t := range types {
		prefixes = append(prefixes, t+"--")
	}
	sort.Strings(prefixes)
	for i, p := range prefixes {
		if i > 0 && p == prefixes[i-1] {
			continue
		}
		if err := s.eachIn(ctx, p, strings.TrimSuffix(p, "-")+".", fn); err != nil {
			return err
		}
	}
	return nil
}

// eachIn is Each over the ids after from and before to ("": no bound).
func (s *Store) eachIn(ctx context.Context, from, to string, fn func(stix.Object) error) error {
	q := `SELECT id, json FROM objects WHERE id > ?`
	args := []any{from}
	if to != "" {
		q += ` AND id < ?`
		args = append(args, to)
	}
	q += ` ORDER BY id LIMIT ` + fmt.Sprint(eachPage)
	for {
		rows, err := s.db.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		var page [][]byte
		last := ""
		for rows.Next() {
			var raw []byte
			if err := rows.Scan(&last, &raw); err != nil {
				rows.Close()
				return err
			}
			page = append(page, raw)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, raw := range page {
			o, err := stix.Parse(raw)
			if err != nil {
				return err
			}
			if err := fn(o); err != nil {
				return err
			}
		}
		if len(page) < eachPage {
			return nil
		}
		args[0] = last
	}
}

// Added returns when the store first received an object: for an
// indicator, the moment it entered our intel.
func (s *Store) Added(ctx context.Context, id string) (time.Time, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT added FROM objects WHERE id=?`, id).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, fmt.Errorf("%s: %w", id, knowledge.ErrNotFound)
	}
	if err != nil {
		return time.Time{}, err
	}
	return stix.ParseTime(v)
}

// TLP returns the effective TLP level of a stored object.
func (s *Store) TLP(ctx context.Context, id string) (stix.TLP, error) {
	var t int
	err := s.db.QueryRowContext(ctx, `SELECT tlp FROM objects WHERE id=?`, id).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return stix.TLPRed, fmt.Errorf("%s: %w", id, knowledge.ErrNotFound)
	}
	return stix.TLP(t), err
}

// Correlate returns the ids of the objects that carry value (normalised),
// and whether the value over-correlates, with how many objects carry it.
func (s *Store) Correlate(ctx context.Context, value string) (ids []string, over bool, count int, err error) {
	h := knowledge.ValueKey(value)
	if err := s.db.QueryRowContext(ctx, `SELECT objects FROM overcorrelated WHERE h=?`, h).Scan(&count); err == nil {
		return nil, true, count, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, false, 0, err
	}
	ids, err = scanStrings(s.db.QueryContext(ctx, `SELECT o.id FROM correlation c JOIN objects o ON o.rowid = c.obj WHERE c.h=? ORDER BY o.id`, h))
	if err != nil {
		return nil, false, 0, err
	}
	return ids, false, len(ids), nil
}

// Containers returns the reports and groupings that hold an object.
func (s *Store) Containers(ctx context.Context, id string) ([]string, error) {
	return scanStrings(s.db.QueryContext(ctx, `SELECT r.id FROM objects o JOIN contains c ON c.obj = o.rowid
		JOIN objects r ON r.rowid = c.container WHERE o.id=? ORDER BY r.id`, id))
}

// Sources implements knowledge.Store.
func (s *Store) Sources(ctx context.Context, id string) ([]string, error) {
	return scanStrings(s.db.QueryContext(ctx, sourcesOf, id))
}

const claimCols = `norm, name, object_id, object_name, kind, source, IFNULL(since,''), IFNULL(until,''), IFNULL(note,'')`

func scanClaims(rows *sql.Rows, err error) ([]knowledge.NameClaim, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []knowledge.NameClaim
	for rows.Next() {
		var c knowledge.NameClaim
		if err := rows.Scan(&c.Norm, &c.Name, &c.ObjectID, &c.ObjectName, &c.Kind, &c.Source, &c.Since, &c.Until, &c.Note); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ClaimsByName implements knowledge.Store.
func (s *Store) ClaimsByName(ctx context.Context, norm string) ([]knowledge.NameClaim, error) {
	return scanClaims(s.db.QueryContext(ctx, `SELECT `+claimCols+` FROM names WHERE norm=? ORDER BY object_id, source, kind`, norm))
}

// ClaimsOf implements knowledge.Store.
func (s *Store) ClaimsOf(ctx context.Context, id string) ([]knowledge.NameClaim, error) {
	return scanClaims(s.db.QueryContext(ctx, `SELECT `+claimCols+` FROM names WHERE object_id=? ORDER BY kind DESC, norm, source`, id))
}

// Relations implements knowledge.Store.
func (s *Store) Relations(ctx context.Context, id string) ([]knowledge.Relation, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, type, source_ref, target_ref, confidence, IFNULL(description,'') FROM relations
		WHERE source_ref=? OR target_ref=? ORDER BY id`, id, id)
	if err != nil {
		return nil, err
	}
	var out []knowledge.Relation
	for rows.Next() {
		var r knowledge.Relation
		if err := rows.Scan(&r.ID, &r.Type, &r.SourceRef, &r.TargetRef, &r.Confidence, &r.Description); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Sources, err = s.Sources(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Stats implements knowledge.Store.
func (s *Store) Stats(ctx context.Context) (knowledge.Stats, error) {
	st := knowledge.Stats{ByType: map[string]int{}, Sources: map[string]int{}}
	for _, q := range []struct {
		sql string
		dst *int
	}{
		{`SELECT COUNT(*) FROM objects`, &st.Objects},
		{`SELECT (SELECT COUNT(*) FROM versions) + (SELECT COUNT(*) FROM objects)`, &st.Versions},
		{`SELECT COUNT(DISTINCT norm) FROM names`, &st.Names},
		{`SELECT COUNT(*) FROM imports`, &st.Imports},
	} {
		if err := s.db.QueryRowContext(ctx, q.sql).Scan(q.dst); err != nil {
			return st, err
		}
	}
	for _, q := range []struct {
		sql string
		dst map[string]int
	}{
		{`SELECT substr(id, 1, instr(id, '--') - 1), COUNT(*) FROM objects GROUP BY 1`, st.ByType},
		{`SELECT source, COUNT(*) FROM (SELECT source FROM objects WHERE source != '' UNION ALL SELECT source FROM sources) GROUP BY source`, st.Sources},
	} {
		rows, err := s.db.QueryContext(ctx, q.sql)
		if err != nil {
			return st, err
		}
		for rows.Next() {
			var k string
			var n int
			if err := rows.Scan(&k, &n); err != nil {
				rows.Close()
				return st, err
			}
			q.dst[k] = n
		}
		rows.Close()
	}
	return st, nil
}
