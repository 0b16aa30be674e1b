package taxii

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/umbra-cti/umbra/internal/atomicfile"
)

// WithdrawnFile is the file in StoreConfig.StateDir that lists the object
// versions deleted from collections over TAXII.
const WithdrawnFile = "taxii-withdrawn.json"

// withdrawn records which object versions were deleted from which
// collection. TAXII's DELETE takes an object out of one collection; the
// knowledge store keeps every version it was given (what it holds leaves by
// retention, never by a partner's request), so a delete is a withdrawal
// from what that collection serves. Posting the version to the collection
// again puts it back.
type withdrawn map[string]map[string]bool // collection id -> id + "\x00" + version

type withdrawnEntry struct {
	Collection string `json:"collection"`
	ID         string `json:"id"`
	Version    string `json:"version"`
}

func withdrawnKey(id, version string) string { return id + "\x00" + version }

// loadWithdrawn reads dir's list; a missing file is an empty list.
func loadWithdrawn(dir string) (withdrawn, error) {
	w := withdrawn{}
	if dir == "" {
		return w, nil
	}
	path := filepath.Join(dir, WithdrawnFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return w, nil
	}
	if err != nil {
		return nil, err
	}
	var list []withdrawnEntry
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	for i, e := range list {
		if e.Collection == "" || e.ID == "" {
			return nil, fmt.Errorf("%s: entry %d: collection and id are required", path, i)
		}
		w.add(e.Collection, e.ID, e.Version)
	}
	return w, nil
}

func (w withdrawn) add(collection, id, version string) {
	if w[collection] == nil {
		w[collection] = map[string]bool{}
	}
	w[collection][withdrawnKey(id, version)] = true
}

// has reports whether v was withdrawn from collection.
func (w withdrawn) has(collection string, v *Version) bool {
	return w[collection][withdrawnKey(v.ID, v.Version)]
}

// save writes the list to dir atomically (atomicfile),
// sorted so that the file changes only when the list does.
func (w withdrawn) save(dir string) error {
	if dir == "" {
		return nil
	}
	list := []withdrawnEntry{}
	for col, keys := range w {
		for k := range keys {
			id, version, _ := strings.Cut(k, "\x00")
			list = append(list, withdrawnEntry{col, id, version})
		}
	}
	slices.SortFunc(list, func(a, b withdrawnEntry) int {
		return strings.Compare(a.Collection+"\x00"+a.ID+"\x00"+a.Version, b.Collection+"\x00"+b.ID+"\x00"+b.Version)
	})
	b, err := json.MarshalIndent(list, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, WithdrawnFile), append(b, '\n'), 0o600)
}
