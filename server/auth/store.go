package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/umbra-cti/umbra/internal/atomicfile"
)

// ErrNotFound is returned by a Store for an unknown token id.
var ErrNotFound = errors.New("token not found")

// Store keeps issued tokens by their public id. Implementations must be safe
// for concurrent use.
type Store interface {
	Get(ctx context.Context, id string) (Token, error) // ErrNotFound when absent
	Put(ctx context.Context, t Token) error
	Delete(ctx context.Context, id string) error // ErrNotFound when absent
	List(ctx context.Context) ([]Token, error)   // ordered by id
}

// MemoryStore is a Store for tests and throw-away servers.
type MemoryStore struct {
	mu     sync.RWMutex
	tokens map[string]Token
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{tokens: map[string]Token{}} }

// Get returns the token with id.
func (s *MemoryStore) Get(_ context.Context, id string) (Token, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.tokens[id]
	if !ok {
		return Token{}, ErrNotFound
	}
	return t, nil
}

// Put adds or replaces t.
func (s *MemoryStore) Put(_ context.Context, t Token) error {
	if t.ID == "" {
		return errors.New("put token: empty id")
	}
	s.mu.Lock()
	s.tokens[t.ID] = t
	s.mu.Unlock()
	return nil
}

// Delete revokes the token with id.
func (s *MemoryStore) Delete(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tokens[id]; !ok {
		return ErrNotFound
	}
	delete(s.tokens, id)
	return nil
}

// List returns every token ordered by id.
func (s *MemoryStore) List(_ context.Context) ([]Token, error) {
	s.mu.RLock()
	out := make([]Token, 0, len(s.tokens))
	for _, t := range s.tokens {
		out = append(out, t)
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// FileStore is a Store persisted as one JSON file (tokens.json) in a data
// directory. Every change rewrites the file atomically (temporary file, fsync,
// rename), so a crash leaves either the old or the new set, never a torn one.
type FileStore struct {
	path string
	mem  *MemoryStore
	mu   sync.Mutex // serialises writers so the file matches the memory
}

// FileName is the name of the token file inside the data directory.
const FileName = "tokens.json"

type tokenFile struct {
	Tokens []Token `json:"tokens"`
}

// OpenFileStore loads dir/tokens.json, or starts empty when it does not exist.
func OpenFileStore(dir string) (*FileStore, error) {
	s := &FileStore{path: filepath.Join(dir, FileName), mem: NewMemoryStore()}
	b, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open token store: %w", err)
	}
	var f tokenFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", s.path, err)
	}
	for i, t := range f.Tokens {
		if !validID(t.ID) || len(t.Hash) != 64 {
			return nil, fmt.Errorf("%s: token %d: bad id %q or hash", s.path, i, t.ID)
		}
		s.mem.tokens[t.ID] = t
	}
	return s, nil
}

// Get returns the token with id.
func (s *FileStore) Get(ctx context.Context, id string) (Token, error) { return s.mem.Get(ctx, id) }

// List returns every token ordered by id.
func (s *FileStore) List(ctx context.Context) ([]Token, error) { return s.mem.List(ctx) }

// Put adds or replaces t and saves the file.
func (s *FileStore) Put(ctx context.Context, t Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, had := s.mem.tokens[t.ID]
	if err := s.mem.Put(ctx, t); err != nil {
		return err
	}
	if err := s.save(ctx); err != nil {
		if had {
			s.mem.tokens[t.ID] = old
		} else {
			delete(s.mem.tokens, t.ID)
		}
		return err
	}
	return nil
}

// Delete revokes the token with id and saves the file.
func (s *FileStore) Delete(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, err := s.mem.Get(ctx, id)
	if err != nil {
		return err
	}
	_ = s.mem.Delete(ctx, id)
	if err := s.save(ctx); err != nil {
		s.mem.tokens[id] = old
		return err
	}
	return nil
}

func (s *FileStore) save(ctx context.Context) error {
	list, _ := s.mem.List(ctx)
	b, err := json.MarshalIndent(tokenFile{Tokens: list}, "", "  ")
	if err != nil {
		return fmt.Errorf("save tokens: %w", err)
	}
	dir := filepath.Dir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save tokens: %w", err)
	}
	if err := atomicfile.Write(s.path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("save tokens: %w", err)
	}
	return nil
}

// Issue makes a token granting what tmpl grants and stores it. The returned
// secret is the only copy: show it to the user once.
func Issue(ctx context.Context, s Store, tmpl Token, now time.Time) (secret string, t Token, err error) {
	secret, t, err = NewToken(tmpl, now)
	if err != nil {
		return "", Token{}, err
	}
	if err := s.Put(ctx, t); err != nil {
		return "", Token{}, fmt.Errorf("issue token: %w", err)
	}
	return secret, t, nil
}
