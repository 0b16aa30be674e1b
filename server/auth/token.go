// Package auth issues and checks umbra's API tokens: who may call the server,
// with which role, on which collections, and up to which TLP level.
//
// A token is shown once when issued and only its SHA-256 is stored. Tokens are
// high-entropy random strings, so a fast hash is enough: there is no password
// to brute-force.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/umbra-cti/umbra/stix"
)

// Role is what a token may do. Roles are ordered: each includes the ones below.
type Role uint8

// Roles, from the least to the most powerful.
const (
	RoleReader  Role = iota + 1 // read collections and objects
	RoleAnalyst                 // also add objects
	RoleAdmin                   // also delete objects and read every status
)

func (r Role) String() string {
	switch r {
	case RoleReader:
		return "reader"
	case RoleAnalyst:
		return "analyst"
	case RoleAdmin:
		return "admin"
	}
	return fmt.Sprintf("role(%d)", uint8(r))
}

// ParseRole reads a role name as users write it on the command line.
func ParseRole(s string) (Role, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "reader":
		return RoleReader, nil
	case "analyst":
		return RoleAnalyst, nil
	case "admin":
		return RoleAdmin, nil
	}
	return 0, fmt.Errorf("unknown role %q (want reader, analyst or admin)", s)
}

// MarshalText writes the role name, so token files stay readable.
func (r Role) MarshalText() ([]byte, error) {
	if r < RoleReader || r > RoleAdmin {
		return nil, fmt.Errorf("invalid role %d", uint8(r))
	}
	return []byte(r.String()), nil
}

// UnmarshalText reads a role name.
func (r *Role) UnmarshalText(b []byte) error {
	v, err := ParseRole(string(b))
	*r = v
	return err
}

// AllCollections in Token.Collections grants every collection.
const AllCollections = "*"

// Prefix starts every umbra token, so secret scanners and humans recognise one.
const Prefix = "umb_"

const (
	idBytes     = 8
	secretBytes = 32
	idLen       = 2 * idBytes                         // hex
	secretLen   = (secretBytes*8 + 5) / 6             // unpadded base64url
	tokenLen    = len(Prefix) + idLen + 1 + secretLen // umb_<id>_<secret>
)

// Token is one issued API token as the store keeps it: its public id, what it
// grants, and the SHA-256 of its secret part.
type Token struct {
	ID          string    `json:"id"` // public: safe for logs, revocation and rate limiting
	Name        string    `json:"name,omitempty"`
	Role        Role      `json:"role"`
	Collections []string  `json:"collections"` // collection ids, or AllCollections
	Clearance   TLPLevel  `json:"clearance"`   // the highest TLP the holder may see
	Created     time.Time `json:"created"`
	Expires     time.Time `json:"expires,omitzero"`
	Hash        string    `json:"sha256"` // hex SHA-256 of the whole token string
}

// TLPLevel is a stix.TLP that reads and writes its name in JSON.
type TLPLevel stix.TLP

// MarshalText writes the TLP name ("amber+strict").
func (t TLPLevel) MarshalText() ([]byte, error) { return []byte(stix.TLP(t).String()), nil }

// UnmarshalText reads a TLP name.
func (t *TLPLevel) UnmarshalText(b []byte) error {
	v, err := stix.ParseTLP(string(b))
	if err != nil {
		return err
	}
	*t = TLPLevel(v)
	return nil
}

// Allows reports whether the token's role includes r.
func (t Token) Allows(r Role) bool { return t.Role >= r }

// AllowsCollection reports whether the token may see collection id at all.
func (t Token) AllowsCollection(id string) bool {
	return slices.Contains(t.Collections, AllCollections) || slices.Contains(t.Collections, id)
}

// Cleared reports whether the token may see an object marked level.
func (t Token) Cleared(level stix.TLP) bool { return level <= stix.TLP(t.Clearance) }

// Expired reports whether the token is past its expiry at now.
func (t Token) Expired(now time.Time) bool { return !t.Expires.IsZero() && !now.Before(t.Expires) }

// NewToken makes a fresh token granting what tmpl grants. It returns the
// secret string, to be shown to the user once, and the Token to store.
func NewToken(tmpl Token, now time.Time) (secret string, t Token, err error) {
	if tmpl.Role < RoleReader || tmpl.Role > RoleAdmin {
		return "", Token{}, fmt.Errorf("new token: invalid role %d", tmpl.Role)
	}
	if stix.TLP(tmpl.Clearance) > stix.TLPRed {
		return "", Token{}, fmt.Errorf("new token: invalid clearance %d", tmpl.Clearance)
	}
	var buf [idBytes + secretBytes]byte
	if _, err := rand.Read(buf[:]); err != nil {
		return "", Token{}, fmt.Errorf("new token: %w", err)
	}
	id := hex.EncodeToString(buf[:idBytes])
	secret = Prefix + id + "_" + base64.RawURLEncoding.EncodeToString(buf[idBytes:])
	t = tmpl
	t.ID = id
	t.Created = now.UTC()
	t.Collections = slices.Clone(tmpl.Collections)
	t.Hash = hashHex(secret)
	return secret, t, nil
}

// ErrMalformed is returned for a string that cannot be an umbra token.
var ErrMalformed = errors.New("malformed token")

// SplitToken returns the public id of a token string without checking its
// secret. It rejects anything not shaped like a token, before any lookup.
func SplitToken(s string) (id string, err error) {
	if len(s) != tokenLen || !strings.HasPrefix(s, Prefix) || s[len(Prefix)+idLen] != '_' {
		return "", ErrMalformed
	}
	id = s[len(Prefix) : len(Prefix)+idLen]
	if !validID(id) {
		return "", ErrMalformed
	}
	if _, err := base64.RawURLEncoding.DecodeString(s[len(Prefix)+idLen+1:]); err != nil {
		return "", ErrMalformed
	}
	return id, nil
}

// Matches reports, in constant time, whether secret is this token.
func (t Token) Matches(secret string) bool {
	want, err := hex.DecodeString(t.Hash)
	if err != nil || len(want) != sha256.Size {
		return false
	}
	got := sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(got[:], want) == 1
}

func hashHex(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// validID reports whether id is a token id as NewToken makes them: lower-case hex.
func validID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
