//go:build duckdb

package main

import (
	"bufio"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// loadZeek is the peer of `umbra ingest` in bench/ingest.sh: it loads
// every Zeek TSV log in dir into a table of its own in a new DuckDB
// database at dbPath, with DuckDB's own CSV reader (tab-separated, the
// #-lines skipped, the column names from #fields, "-" as NULL and the
// column types detected by DuckDB), and makes it durable with a
// CHECKPOINT. It prints the rows loaded, the wall and CPU seconds of the
// whole process (DuckDB's threads included) and the database's size.
func loadZeek(dir, dbPath string, threads int, memLimit string) error {
	os.Remove(dbPath)
	os.Remove(dbPath + ".wal")
	logs, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil || len(logs) == 0 {
		return fmt.Errorf("no Zeek logs in %s", dir)
	}
	t0, c0 := time.Now(), cpuNow()
	conn, err := duckdb.NewConnector(dbPath, nil)
	if err != nil {
		return err
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1)
	if err := configure(db, threads, memLimit); err != nil {
		return err
	}
	var rows int64
	for _, path := range logs {
		fields, err := zeekFields(path)
		if err != nil {
			return err
		}
		names := make([]string, len(fields))
		for i, f := range fields {
			names[i] = "'" + strings.ReplaceAll(f, "'", "''") + "'"
		}
		table := strings.TrimSuffix(filepath.Base(path), ".log")
		q := fmt.Sprintf(`CREATE TABLE "%s" AS SELECT * FROM read_csv('%s', delim = '\t', comment = '#', header = false,
			names = [%s], nullstr = '-', quote = '', escape = '', sample_size = 20480)`,
			table, strings.ReplaceAll(path, "'", "''"), strings.Join(names, ", "))
		if _, err := db.Exec(q); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		var n int64
		if err := db.QueryRow(fmt.Sprintf(`SELECT count(*) FROM "%s"`, table)).Scan(&n); err != nil {
			return err
		}
		rows += n
	}
	if _, err := db.Exec("CHECKPOINT"); err != nil {
		return err
	}
	db.Close()
	conn.Close()
	wall, cpu := time.Since(t0), cpuNow()-c0
	fi, err := os.Stat(dbPath)
	if err != nil {
		return err
	}
	fmt.Printf("duckdb loaded %d rows in %.3f s wall, %.3f cpu-s, %d bytes\n", rows, wall.Seconds(), cpu.Seconds(), fi.Size())
	return nil
}

// zeekFields reads the #fields header of a Zeek TSV log.
func zeekFields(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "#") {
			break
		}
		if rest, ok := strings.CutPrefix(line, "#fields\t"); ok {
			return strings.Split(rest, "\t"), nil
		}
	}
	return nil, fmt.Errorf("%s: no #fields header", path)
}
