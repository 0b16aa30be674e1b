package zeekparity

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// logRow is one data row of a Zeek log as btest baselines keep it: the
// field values by column name, and where the row was.
type logRow struct {
	Path   string // the log's #path (intel, notice), "" for zeek-cut output
	Fields map[string]string
	Line   int
}

// parseBaseline reads a btest baseline holding one or more Zeek ASCII logs
// (btest-diff files concatenate them), or zeek-cut output whose first line
// names the columns. Rows outside a header, and lines after #close that are
// script output, are not log rows. A row whose field count differs from its
// header is an error naming the line.
func parseBaseline(r io.Reader, name string) ([]logRow, error) {
	var (
		rows   []logRow
		fields []string
		path   string
		inLog  bool
		cutHdr = true // zeek-cut -m: the first plain line is the header
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSuffix(sc.Text(), "\r")
		switch {
		case strings.HasPrefix(text, "###"), text == "":
			continue
		case strings.HasPrefix(text, "#fields\t"):
			fields, inLog, cutHdr = strings.Split(text, "\t")[1:], true, false
			continue
		case strings.HasPrefix(text, "#path\t"):
			path, cutHdr = strings.TrimPrefix(text, "#path\t"), false
			continue
		case strings.HasPrefix(text, "#close"):
			inLog, fields = false, nil
			continue
		case strings.HasPrefix(text, "#"):
			cutHdr = false
			continue
		}
		if cutHdr {
			fields, inLog, cutHdr = strings.Split(text, "\t"), true, false
			continue
		}
		if !inLog {
			continue // script output printed after the log
		}
		vals := strings.Split(text, "\t")
		if len(vals) != len(fields) {
			return rows, fmt.Errorf("%s:%d: %d fields, header names %d", name, line, len(vals), len(fields))
		}
		row := logRow{Path: path, Fields: make(map[string]string, len(fields)), Line: line}
		for i, f := range fields {
			row.Fields[f] = vals[i]
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return rows, fmt.Errorf("%s: %w", name, err)
	}
	return rows, nil
}

func readBaseline(tb testing.TB, path string) []logRow {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rows, err := parseBaseline(f, path)
	if err != nil {
		tb.Fatal(err)
	}
	return rows
}

func TestParseBaseline(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "two-logs.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := parseBaseline(f, "two-logs.txt")
	if err != nil {
		t.Fatal(err)
	}
	// Two intel rows, one notice row; the script output after #close and
	// the comment lines are not rows.
	if len(rows) != 3 {
		t.Fatalf("got %d rows, want 3: %+v", len(rows), rows)
	}
	if rows[0].Path != "intel" || rows[0].Fields["seen.indicator"] != "1.2.3.4" || rows[0].Fields["seen.where"] != "SOMEWHERE" {
		t.Errorf("row 0 = %+v", rows[0])
	}
	if rows[1].Fields["matched"] != "Intel::ADDR,Intel::SUBNET" {
		t.Errorf("row 1 matched = %q", rows[1].Fields["matched"])
	}
	if rows[2].Path != "notice" || rows[2].Fields["msg"] != "Intel hit on 10.0.0.1 at Conn::IN_ORIG" {
		t.Errorf("row 2 = %+v", rows[2])
	}

	cut := "### BTest baseline\nseen.indicator\tseen.where\nexample.com\tIntel::IN_ANYWHERE\n"
	rows, err = parseBaseline(strings.NewReader(cut), "cut")
	if err != nil || len(rows) != 1 || rows[0].Fields["seen.indicator"] != "example.com" || rows[0].Path != "" {
		t.Errorf("zeek-cut output: rows %+v, err %v", rows, err)
	}
}

func TestParseBaselineBadRow(t *testing.T) {
	in := "#path\tintel\n#fields\ta\tb\nx\ty\nonly-one\n"
	rows, err := parseBaseline(strings.NewReader(in), "bad.log")
	if err == nil || !strings.Contains(err.Error(), "bad.log:4:") {
		t.Fatalf("err = %v, want one naming bad.log:4", err)
	}
	if len(rows) != 1 {
		t.Errorf("kept %d good rows before the bad one, want 1", len(rows))
	}
}

func FuzzParseBaseline(f *testing.F) {
	f.Add("#path\tintel\n#fields\ta\tb\nx\ty\n#close\n-- Run 1 --\n")
	f.Add("seen.indicator\tseen.where\nexample.com\tX\n")
	f.Add("#fields\ta\n\n#fields\n\t\t\n")
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := parseBaseline(strings.NewReader(in), "fuzz")
		for _, r := range rows {
			if r.Line < 1 || r.Fields == nil {
				t.Fatalf("bad row %+v (err %v)", r, err)
			}
		}
	})
}
