package main

import (
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/server"
	"github.com/umbra-cti/umbra/server/auth"
)

func TestTokenCreateListRevoke(t *testing.T) {
	dir := t.TempDir()
	out, err := run(t, "--data", dir, "token", "create", "--name", "partner", "--role", "analyst", "--tlp-max", "amber")
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimSuffix(out, "\n")
	id, err := auth.SplitToken(secret)
	if err != nil || strings.Contains(secret, "\n") {
		t.Fatalf("token create must print the token alone on stdout, got %q (%v)", out, err)
	}
	st, err := auth.OpenFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := st.Get(t.Context(), id)
	if err != nil || !tok.Matches(secret) || tok.Role != auth.RoleAnalyst || tok.Name != "partner" || !tok.AllowsCollection("any") {
		t.Fatalf("stored token %+v, %v", tok, err)
	}
	out, err = run(t, "--data", dir, "token", "list")
	if err != nil || !strings.Contains(out, id) || !strings.Contains(out, "amber") || strings.Contains(out, secret[len(auth.Prefix)+17:]) {
		t.Fatalf("token list: %v\n%s", err, out)
	}
	if _, err := run(t, "--data", dir, "token", "revoke", id); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "--data", dir, "token", "revoke", id); err == nil {
		t.Fatal("revoking an unknown token succeeded")
	}
	for _, bad := range [][]string{
		{"token", "create", "--role", "reader"},                      // no name
		{"token", "create", "--name", "x", "--role", "root"},         // bad role
		{"token", "create", "--name", "x", "--tlp-max", "white-ish"}, // bad TLP
	} {
		if out, err := run(t, append([]string{"--data", dir}, bad...)...); err == nil || out != "" {
			t.Errorf("%v: err=%v stdout=%q", bad, err, out)
		}
	}
}

func TestServeRefusesPlainNonLoopback(t *testing.T) {
	dir := t.TempDir()
	_, err := run(t, "--data", dir, "serve", "--addr", "0.0.0.0:0")
	if err == nil || !strings.Contains(err.Error(), server.ErrPlainNonLoopback.Error()) {
		t.Fatalf("serve on 0.0.0.0 without TLS: %v, want ErrPlainNonLoopback", err)
	}
	if _, err := run(t, "--data", dir, "serve", "--tls-cert", "x.pem"); err == nil || !strings.Contains(err.Error(), "--tls-key") {
		t.Fatalf("--tls-cert without --tls-key: %v", err)
	}
	if _, err := run(t, "--data", dir, "serve", "--taxii-collections", "bogus"); err == nil {
		t.Fatal("bad --taxii-collections accepted")
	}
}
