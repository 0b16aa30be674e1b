// Package corpus locates the shared real-data corpus (../shared/data beside
// the repository) for tests and benchmarks, and skips cleanly without it.
package corpus

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// Root returns the absolute path of ../shared/data relative to the module
// root, or "" when it is absent.
func Root() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, "..", "shared", "data")
			if st, err := os.Stat(p); err == nil && st.IsDir() {
				return p
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Path joins parts under the corpus root and skips the test when the corpus
// or that path is missing.
func Path(tb testing.TB, parts ...string) string {
	tb.Helper()
	root := Root()
	if root == "" {
		tb.Skip("../shared/data is not present")
	}
	p := filepath.Join(append([]string{root}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("%s is not present", p)
	}
	return p
}

// Gunzip returns the decompressed contents of the gzip file at path,
// failing the test when it cannot be read.
func Gunzip(tb testing.TB, path string) []byte {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return b
}
