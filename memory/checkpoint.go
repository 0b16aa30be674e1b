package memory

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// checkpointKB is how much of a source's head, and of the bytes before its
// offset, a checkpoint hashes to recognise the same file again.
const checkpointKB = 1024

// Checkpoint records how far a telemetry source has been stored, so that
// re-ingesting the same file resumes after what is already in the memory
// instead of storing it twice. It is committed atomically with the events
// it covers (SetCheckpoint, then Flush).
type Checkpoint struct {
	Path   string `json:"path"`   // absolute path of the source
	Size   int64  `json:"size"`   // file size when the checkpoint was taken
	Offset int64  `json:"offset"` // bytes of the file whose events are stored
	Head   string `json:"head"`   // sha256 of the first KB of the file
	Tail   string `json:"tail"`   // sha256 of the KB before Offset
	Events int64  `json:"events"` // events stored from the source so far
}

// NewCheckpoint describes path after its first offset bytes (and events
// events) have been stored. Use Offset = the file size for a compressed
// source, which can only be resumed as a whole.
func NewCheckpoint(path string, offset, events int64) (Checkpoint, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Checkpoint{}, err
	}
	f, err := os.Open(abs)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("memory: checkpoint: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Checkpoint{}, fmt.Errorf("memory: checkpoint: %w", err)
	}
	if offset < 0 || offset > fi.Size() {
		return Checkpoint{}, fmt.Errorf("memory: checkpoint %s: offset %d outside the file's %d bytes", abs, offset, fi.Size())
	}
	cp := Checkpoint{Path: abs, Size: fi.Size(), Offset: offset, Events: events}
	if cp.Head, err = hashRange(f, 0, min(checkpointKB, fi.Size())); err != nil {
		return Checkpoint{}, fmt.Errorf("memory: checkpoint %s: %w", abs, err)
	}
	if cp.Tail, err = hashRange(f, max(0, offset-checkpointKB), offset); err != nil {
		return Checkpoint{}, fmt.Errorf("memory: checkpoint %s: %w", abs, err)
	}
	return cp, nil
}

func hashRange(f *os.File, from, to int64) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, from, to-from)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Resume returns the offset at which to continue reading path: cp.Offset
// when path still starts with the same bytes and holds the same bytes
// before the offset (it was appended to, or not changed), 0 when it was
// replaced, rotated or truncated and must be read from the start.
func (cp Checkpoint) Resume(path string) (int64, error) {
	now, err := NewCheckpoint(path, 0, 0)
	if err != nil {
		return 0, err
	}
	if now.Size < cp.Offset {
		return 0, nil
	}
	now, err = NewCheckpoint(path, cp.Offset, 0)
	if err != nil {
		return 0, err
	}
	// The head of a file that has grown past 1 KB since covers more bytes.
	head := now.Head
	if cp.Size < checkpointKB && now.Size != cp.Size {
		f, err := os.Open(now.Path)
		if err != nil {
			return 0, err
		}
		head, err = hashRange(f, 0, cp.Size)
		f.Close()
		if err != nil {
			return 0, err
		}
	}
	if head != cp.Head || now.Tail != cp.Tail {
		return 0, nil
	}
	return cp.Offset, nil
}

// Checkpoint returns the latest checkpoint of the source at path (set in
// this process, or committed before), and whether there is one.
func (s *Store) Checkpoint(path string) (Checkpoint, bool) {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cp, ok := s.staged[abs]; ok {
		return cp, true
	}
	for i := len(s.cuts) - 1; i >= 0; i-- {
		if s.cuts[i].cp.Path == abs {
			return s.cuts[i].cp, true
		}
	}
	cp, ok := s.cps[abs]
	return cp, ok
}

// SetCheckpoint records cp; the next Flush commits it together with the
// events appended before it, so the two never disagree after a crash.
func (s *Store) SetCheckpoint(cp Checkpoint) error {
	abs, err := filepath.Abs(cp.Path)
	if err != nil {
		return fmt.Errorf("memory: checkpoint %q: %w", cp.Path, err)
	}
	cp.Path = abs
	s.mu.Lock()
	defer s.mu.Unlock()
	s.staged[abs] = cp
	return nil
}
