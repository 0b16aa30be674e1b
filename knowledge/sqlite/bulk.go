package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/stix"
)

// The bulk path. An import of a large list is almost all new objects, and
// writing them one statement per row spent most of its time in the
// database/sql and driver layers rather than in SQLite's B-trees
// (BenchmarkImportIndicators). put therefore queues objects, and flush
// writes a batch of them with one multi-row INSERT per table:
//
//   - one query finds which of the batch's ids the store already holds;
//   - runs of new objects are written with multi-row INSERTs into objects
//     (with rowids assigned here, so the correlation rows need no lookup)
//     and correlation; a new object's row is its current version and names
//     its first publisher, so it has no versions or sources rows;
//   - objects the store holds (re-imports, updates, history) and values that
//     are already indexed keep the row-at-a-time path, in input order.
//
// Everything stays inside the import's one transaction: a SIGKILL still
// leaves all of an import or none of it (TestSIGKILLDuringImport).

// batchSize is how many objects a flush writes at most; it bounds the
// statements' parameter counts (14 columns x 256 rows, well under SQLite's
// 32,766) and the memory an import holds.
const batchSize = 256

// multiRow is a multi-row statement prepared for power-of-two row counts, so
// that any number of rows takes at most log2(batchSize)+1 executions and a
// transaction prepares at most that many statements per table.
type multiRow struct {
	build func(rows int) string // the SQL for that many rows
	cols  int                   // parameters per row
	stmts map[int]*sql.Stmt
}

func placeholders(rows, cols int) string {
	tuple := "(?" + strings.Repeat(",?", cols-1) + ")"
	return tuple + strings.Repeat(","+tuple, rows-1)
}

func insertInto(head string, cols int) *multiRow {
	return &multiRow{cols: cols, build: func(rows int) string { return head + " VALUES" + placeholders(rows, cols) }}
}

// keysIn is a query over rows keys, each bound reps times.
func keysIn(build func(in string) string, reps int) *multiRow {
	return &multiRow{cols: reps, build: func(rows int) string {
		return build("?" + strings.Repeat(",?", rows-1))
	}}
}

type bulkState struct {
	work, free chan []stix.Object
	done       chan struct{}
	err        atomic.Pointer[error]

	queued  []stix.Object
	inQueue map[string]struct{}
	nextRow int64 // the next objects rowid to assign; 0 until read

	selCurrent, selIndexed    *multiRow
	insObject, insCorrelation *multiRow

	// over holds the keys of the values flagged as over-correlating (at
	// most one per OverCorrelation objects), read once per import; nil
	// until then.
	over map[int64]struct{}

	// scratch, reused between batches
	cur  map[string]held
	args []any
	hs   map[int64]int
}

func (b *bulkState) init() {
	b.inQueue = make(map[string]struct{}, batchSize)
	b.cur = make(map[string]held, batchSize)
	b.hs = make(map[int64]int, batchSize)
	b.selCurrent = keysIn(func(in string) string { return `SELECT id, modified, source FROM objects WHERE id IN (` + in + `)` }, 1)
	// Every key a value is already indexed under; those, and the flagged
	// ones (b.over), take the row-at-a-time path, which counts the list
	// against OverCorrelation.
	b.selIndexed = keysIn(func(in string) string { return `SELECT DISTINCT h FROM correlation WHERE h IN (` + in + `)` }, 1)
	// A new object is its objects row: that row is its current version and
	// names its first publisher (versions and sources hold the others).
	b.insObject = insertInto(`INSERT OR FAIL INTO objects(rowid, id, type, modified, name, confidence, tlp, first_seen, last_seen, revoked, json, added, updated, source)`, 14)
	b.insCorrelation = insertInto(`INSERT OR IGNORE INTO correlation(h, obj)`, 2)
}

func (b *bulkState) close() {
	b.stopWriter()
	for _, m := range []*multiRow{b.selCurrent, b.selIndexed, b.insObject, b.insCorrelation} {
		if m == nil {
			continue
		}
		for _, st := range m.stmts {
			st.Close()
		}
	}
}

// stmt returns m prepared for rows rows.
func (it *importTx) stmt(ctx context.Context, m *multiRow, rows int) (*sql.Stmt, error) {
	if st, ok := m.stmts[rows]; ok {
		return st, nil
	}
	st, err := it.tx.PrepareContext(ctx, m.build(rows))
	if err != nil {
		return nil, err
	}
	if m.stmts == nil {
		m.stmts = map[int]*sql.Stmt{}
	}
	m.stmts[rows] = st
	return st, nil
}

// chunks splits n rows into power-of-two runs, largest first.
func chunks(n int, fn func(off, rows int) error) error {
	off := 0
	for n > 0 {
		rows := batchSize
		for rows > n {
			rows /= 2
		}
		if err := fn(off, rows); err != nil {
			return err
		}
		off += rows
		n -= rows
	}
	return nil
}

// exec runs m over args, m.cols of them per row.
func (it *importTx) exec(ctx context.Context, m *multiRow, args []any) error {
	return chunks(len(args)/m.cols, func(off, rows int) error {
		st, err := it.stmt(ctx, m, rows)
		if err != nil {
			return err
		}
		_, err = st.ExecContext(ctx, args[off*m.cols:(off+rows)*m.cols]...)
		return err
	})
}

// query runs m over keys and calls scan for each result row. A key that
// m binds several times (cols > 1) is repeated block-wise: all keys, then
// all keys again.
func (it *importTx) query(ctx context.Context, m *multiRow, keys []any, scan func(*sql.Rows) error) error {
	return chunks(len(keys), func(off, rows int) error {
		st, err := it.stmt(ctx, m, rows)
		if err != nil {
			return err
		}
		args := keys[off : off+rows]
		if m.cols > 1 {
			args = make([]any, 0, rows*m.cols)
			for i := 0; i < m.cols; i++ {
				args = append(args, keys[off:off+rows]...)
			}
		}
		rs, err := st.QueryContext(ctx, args...)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			if err := scan(rs); err != nil {
				return err
			}
		}
		return rs.Err()
	})
}

// queue adds o to the batch, handing the batch to the writer when it is
// full or when it already holds o's id (the second must see the first
// stored).
func (it *importTx) queue(ctx context.Context, o stix.Object) error {
	b := &it.bulk
	if err := b.failed(); err != nil {
		return err
	}
	if _, dup := b.inQueue[o.ID]; dup {
		b.handOff()
	}
	b.queued = append(b.queued, o)
	b.inQueue[o.ID] = struct{}{}
	if len(b.queued) >= batchSize {
		b.handOff()
	}
	return nil
}

// The writer. Reading and converting a list costs about as much CPU as
// storing it, so the store writes on its own goroutine while the caller's
// reader fills the next batch: two cores instead of one. Batches are
// written in order, one at a time, inside the import's transaction.

func (b *bulkState) startWriter(ctx context.Context, it *importTx) {
	b.work = make(chan []stix.Object, 1)
	b.free = make(chan []stix.Object, 3)
	b.done = make(chan struct{})
	go func() {
		defer close(b.done)
		for objs := range b.work {
			if b.failed() == nil {
				if err := it.write(ctx, objs); err != nil {
					b.err.Store(&err)
				}
			}
			clear(objs) // drop the references to the objects' JSON
			b.free <- objs[:0]
		}
	}()
}

func (b *bulkState) failed() error {
	if p := b.err.Load(); p != nil {
		return *p
	}
	return nil
}

// handOff passes the queued objects to the writer.
func (b *bulkState) handOff() {
	if len(b.queued) == 0 {
		return
	}
	b.work <- b.queued
	select {
	case b.queued = <-b.free:
	default:
		b.queued = make([]stix.Object, 0, batchSize)
	}
	clear(b.inQueue)
}

// flush writes what is queued and waits for the writer to finish; it
// returns the first error the writer met.
func (it *importTx) flush(ctx context.Context) error {
	b := &it.bulk
	b.handOff()
	b.stopWriter()
	if err := b.failed(); err != nil {
		return err
	}
	objs := b.queued
	b.queued = objs[:0]
	clear(b.inQueue)
	return it.write(ctx, objs)
}

// stopWriter ends the writer goroutine once it has written what it holds.
func (b *bulkState) stopWriter() {
	if b.work != nil {
		close(b.work)
		<-b.done
		b.work = nil
	}
}

// loadOver reads the keys of the over-correlating values.
func (it *importTx) loadOver(ctx context.Context) error {
	rows, err := it.tx.QueryContext(ctx, `SELECT h FROM overcorrelated`)
	if err != nil {
		return err
	}
	defer rows.Close()
	it.bulk.over = map[int64]struct{}{}
	for rows.Next() {
		var h int64
		if err := rows.Scan(&h); err != nil {
			return err
		}
		it.bulk.over[h] = struct{}{}
	}
	return rows.Err()
}

// held is what a batch needs to know of an object the store holds.
type held struct{ version, source string }

// write stores objs in input order.
func (it *importTx) write(ctx context.Context, objs []stix.Object) error {
	b := &it.bulk
	if len(objs) == 0 {
		return nil
	}
	clear(b.cur)
	keys := b.args[:0]
	for i := range objs {
		keys = append(keys, objs[i].ID)
	}
	err := it.query(ctx, b.selCurrent, keys, func(rs *sql.Rows) error {
		var id string
		var h held
		if err := rs.Scan(&id, &h.version, &h.source); err != nil {
			return err
		}
		b.cur[id] = h
		return nil
	})
	b.args = keys[:0]
	if err != nil {
		return err
	}
	start := 0
	for i := range objs {
		cur, held := b.cur[objs[i].ID]
		if !held {
			continue
		}
		if err := it.insertNew(ctx, objs[start:i]); err != nil {
			return err
		}
		start = i + 1
		if err := it.putExisting(ctx, objs[i], cur.version, cur.source); err != nil {
			return err
		}
	}
	return it.insertNew(ctx, objs[start:])
}

// insertNew writes objects the store does not hold, with their derived rows.
func (it *importTx) insertNew(ctx context.Context, objs []stix.Object) error {
	if len(objs) == 0 {
		return nil
	}
	b := &it.bulk
	if b.nextRow == 0 {
		if err := it.tx.QueryRowContext(ctx, `SELECT IFNULL(MAX(rowid), 0) + 1 FROM objects`).Scan(&b.nextRow); err != nil {
			return err
		}
	}
	first := b.nextRow
	args := b.args[:0]
	for i := range objs {
		args = it.appendObjectRow(args, &objs[i], objs[i].Version(), first+int64(i))
	}
	if err := it.exec(ctx, b.insObject, args); err != nil {
		return err
	}
	b.nextRow += int64(len(objs))
	it.sum.New += len(objs)

	// The correlation index: values seen for the first time go in with one
	// statement; the others are counted against OverCorrelation one by one.
	type valueRow struct {
		h     int64
		value string
		obj   int64
	}
	var vals []valueRow
	clear(b.hs)
	keys := args[:0]
	for i := range objs {
		if v := valueOf(&objs[i]); v != "" {
			h := knowledge.ValueKey(v)
			vals = append(vals, valueRow{h, v, first + int64(i)})
			if b.hs[h]++; b.hs[h] == 1 {
				keys = append(keys, h)
			}
		}
	}
	if len(keys) > 0 && b.over == nil {
		if err := it.loadOver(ctx); err != nil {
			return err
		}
	}
	n := 0
	for _, k := range keys {
		h := k.(int64)
		if _, flagged := b.over[h]; flagged {
			b.hs[h] += 2 // never "seen once"
		} else {
			keys[n] = k
			n++
		}
	}
	keys = keys[:n]
	if len(keys) > 0 {
		err := it.query(ctx, b.selIndexed, keys, func(rs *sql.Rows) error {
			var h int64
			if err := rs.Scan(&h); err != nil {
				return err
			}
			b.hs[h] += 2 // never "seen once"
			return nil
		})
		if err != nil {
			return err
		}
	}
	args = keys[:0]
	for _, v := range vals {
		if b.hs[v.h] == 1 {
			args = append(args, v.h, v.obj)
		}
	}
	if err := it.exec(ctx, b.insCorrelation, args); err != nil {
		return err
	}
	b.args = args[:0]
	for _, v := range vals {
		if b.hs[v.h] != 1 {
			if err := it.correlateValue(ctx, v.h, v.value, v.obj); err != nil {
				return err
			}
		}
	}

	// Containers, names and edges are rare next to indicators.
	sources := []string{it.info.Source}
	for i := range objs {
		o := &objs[i]
		if err := it.contains(ctx, first+int64(i), o.Common.ObjectRefs); err != nil {
			return err
		}
		if hasGraph(o) {
			if err := it.deriveGraph(ctx, *o, sources, true); err != nil {
				return fmt.Errorf("%s: %w", o.ID, err)
			}
		}
	}
	return nil
}
