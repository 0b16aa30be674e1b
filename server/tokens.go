package server

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/umbra-cti/umbra/server/auth"
)

// TokenFile is an auth.Store over the token file of a data dir that notices
// when another process (`umbra token create` or `revoke`) rewrote the file:
// a revoked token stops working within a second, without a restart.
type TokenFile struct {
	dir  string
	now  func() time.Time
	mu   sync.Mutex
	fs   *auth.FileStore
	mod  time.Time
	size int64
	seen time.Time // when the file was last checked
}

// tokenRecheck is how often Get looks at the file.
const tokenRecheck = time.Second

// OpenTokenFile opens dir/tokens.json (empty when it does not exist yet).
func OpenTokenFile(dir string) (*TokenFile, error) {
	t := &TokenFile{dir: dir, now: time.Now}
	if err := t.load(); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *TokenFile) load() error {
	mod, size := t.stat()
	fs, err := auth.OpenFileStore(t.dir)
	if err != nil {
		return err
	}
	t.fs, t.mod, t.size, t.seen = fs, mod, size, t.now()
	return nil
}

func (t *TokenFile) stat() (time.Time, int64) {
	fi, err := os.Stat(filepath.Join(t.dir, auth.FileName))
	if err != nil {
		return time.Time{}, -1
	}
	return fi.ModTime(), fi.Size()
}

// current returns the file store, reloaded when the file changed. A file
// that no longer parses keeps the last good set and is retried next time.
func (t *TokenFile) current() *auth.FileStore {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now := t.now(); now.Sub(t.seen) >= tokenRecheck {
		t.seen = now
		if mod, size := t.stat(); !mod.Equal(t.mod) || size != t.size {
			if fs, err := auth.OpenFileStore(t.dir); err == nil {
				t.fs, t.mod, t.size = fs, mod, size
			}
		}
	}
	return t.fs
}

// Get returns the token with id.
func (t *TokenFile) Get(ctx context.Context, id string) (auth.Token, error) {
	return t.current().Get(ctx, id)
}

// List returns every token ordered by id.
func (t *TokenFile) List(ctx context.Context) ([]auth.Token, error) { return t.current().List(ctx) }

// Put adds or replaces a token and saves the file.
func (t *TokenFile) Put(ctx context.Context, tok auth.Token) error {
	if err := t.current().Put(ctx, tok); err != nil {
		return err
	}
	t.mu.Lock()
	t.mod, t.size = t.stat()
	t.mu.Unlock()
	return nil
}

// Delete revokes a token and saves the file.
func (t *TokenFile) Delete(ctx context.Context, id string) error {
	if err := t.current().Delete(ctx, id); err != nil {
		return err
	}
	t.mu.Lock()
	t.mod, t.size = t.stat()
	t.mu.Unlock()
	return nil
}
