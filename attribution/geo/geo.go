// Package geo enriches addresses with their autonomous system, its
// organisation and the country, read from MaxMind DB files (GeoLite2-ASN
// and GeoLite2-Country/City, DB-IP or iptoasn builds with the same field
// names). The attribution engine needs the ASN to tell "same /24 of the
// same network" from a coincidence, and the opsec-slip leads report
// where an operator session came from.
package geo

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
	"github.com/oschwald/maxminddb-golang/v2"
)

// Info is what the databases say about one address. Zero fields are
// unknown.
type Info struct {
	ASN     uint32       `json:"asn,omitempty"`
	Org     string       `json:"org,omitempty"`
	Country string       `json:"country,omitempty"` // ISO 3166-1 alpha-2
	Network netip.Prefix `json:"-"`                 // the ASN record's network
}

// record holds the fields of both GeoLite2-ASN and GeoLite2-Country.
type record struct {
	ASN     uint32 `maxminddb:"autonomous_system_number"`
	Org     string `maxminddb:"autonomous_system_organization"`
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
}

// DB looks addresses up in one or more MMDB files; the first file that
// knows a field wins. A nil *DB knows nothing, so callers need no branch
// for "no --mmdb given".
type DB struct {
	names   []string
	readers []*maxminddb.Reader
}

// Open opens MMDB files, for example an ASN and a country database.
func Open(paths ...string) (*DB, error) {
	d := &DB{}
	for _, p := range paths {
		r, err := maxminddb.Open(p)
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		d.names = append(d.names, p)
		d.readers = append(d.readers, r)
	}
	return d, nil
}

// OpenBytes opens an MMDB held in memory; name is used in errors.
func OpenBytes(name string, b []byte) (db *DB, err error) {
	defer func() {
		if p := recover(); p != nil {
			db, err = nil, fmt.Errorf("%s: corrupt MMDB: %v", name, p)
		}
	}()
	r, err := maxminddb.OpenBytes(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &DB{names: []string{name}, readers: []*maxminddb.Reader{r}}, nil
}

// Lookup returns what the databases know about a. Not being listed is
// not an error; a database that cannot be decoded at a is.
func (d *DB) Lookup(a netip.Addr) (info Info, err error) {
	if d == nil || !a.IsValid() {
		return Info{}, nil
	}
	a = a.Unmap()
	for i, r := range d.readers {
		var rec record
		res, lerr := lookup(r, a, &rec)
		if lerr != nil {
			err = errors.Join(err, fmt.Errorf("%s: %s: %w", d.names[i], a, lerr))
			continue
		}
		if !res.Found() {
			continue
		}
		if info.ASN == 0 && rec.ASN != 0 {
			info.ASN, info.Org, info.Network = rec.ASN, rec.Org, res.Prefix()
		}
		if info.Country == "" {
			info.Country = rec.Country.ISOCode
		}
	}
	return info, err
}

// lookup decodes one record, turning a panic on a corrupt file into an
// error: database files come from users.
func lookup(r *maxminddb.Reader, a netip.Addr, rec *record) (res maxminddb.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("corrupt record: %v", p)
		}
	}()
	res = r.Lookup(a)
	if err := res.Err(); err != nil {
		return res, err
	}
	if !res.Found() {
		return res, nil
	}
	return res, res.Decode(rec)
}

// Close releases the files.
func (d *DB) Close() error {
	if d == nil {
		return nil
	}
	var err error
	for _, r := range d.readers {
		err = errors.Join(err, r.Close())
	}
	d.readers = nil
	return err
}

// Network is one row of a database written by Write.
type Network struct {
	Prefix  netip.Prefix
	ASN     uint32
	Org     string
	Country string
}

// Write writes an MMDB holding nets with GeoLite2-ASN and country fields,
// for tests, demos and simulated scenarios that need a database without
// shipping MaxMind's.
func Write(w io.Writer, nets []Network) error {
	t, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "umbra-ASN-Country", RecordSize: 28, IncludeReservedNetworks: true})
	if err != nil {
		return err
	}
	for _, n := range nets {
		m := mmdbtype.Map{}
		if n.ASN != 0 {
			m["autonomous_system_number"] = mmdbtype.Uint32(n.ASN)
		}
		if n.Org != "" {
			m["autonomous_system_organization"] = mmdbtype.String(n.Org)
		}
		if n.Country != "" {
			m["country"] = mmdbtype.Map{"iso_code": mmdbtype.String(n.Country)}
		}
		p := n.Prefix.Masked()
		ipn := &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
		if err := t.Insert(ipn, m); err != nil {
			return fmt.Errorf("%s: %w", n.Prefix, err)
		}
	}
	_, err = t.WriteTo(w)
	return err
}
