package taxii

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzWithdrawnFile: whatever the file holds, loading it fails cleanly or
// gives a list that saves and loads back unchanged.
func FuzzWithdrawnFile(f *testing.F) {
	f.Add([]byte(`[{"collection":"c","id":"indicator--1","version":"2024-01-01T00:00:00.000Z"}]`))
	f.Add([]byte(`[{"collection":"","id":"x"}]`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, WithdrawnFile), b, 0o600); err != nil {
			t.Fatal(err)
		}
		w, err := loadWithdrawn(dir)
		if err != nil {
			return
		}
		if err := w.save(dir); err != nil {
			t.Fatal(err)
		}
		again, err := loadWithdrawn(dir)
		if err != nil {
			t.Fatalf("reading back what save wrote: %v", err)
		}
		if !reflect.DeepEqual(w, again) {
			t.Fatalf("round trip changed the list: %v -> %v", w, again)
		}
	})
}
