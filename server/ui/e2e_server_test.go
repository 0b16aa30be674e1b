package ui_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/server"
	"github.com/umbra-cti/umbra/server/auth"
)

func openStore(t *testing.T, dir string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// startServer serves the whole server, as `umbra serve` composes it, on a
// loopback port, and returns its base URL.
func startServer(t *testing.T, dir string, tokens auth.Store) string {
	t.Helper()
	s, err := server.New(context.Background(), server.Config{
		Store: openStore(t, dir), DataDir: dir, Tokens: tokens,
		Auth: auth.Options{RatePerSecond: 1000, Burst: 1000},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		srv.Close()
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return srv.URL
}
