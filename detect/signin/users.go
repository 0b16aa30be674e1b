package signin

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
)

// Hosts maps a user (lower-case e-mail or UPN) to the addresses of the
// machines the user works at, as DHCP leases or Active Directory logons
// tell. It is how a user's sign-in is joined to the web and DNS telemetry of
// the user's workstation.
type Hosts map[string][]netip.Addr

// Add records that user works at ip; repeated pairs are kept once.
func (h Hosts) Add(user string, ip netip.Addr) {
	user = normUser(user)
	ip = ip.Unmap()
	for _, a := range h[user] {
		if a == ip {
			return
		}
	}
	h[user] = append(h[user], ip)
}

// maxUserErrors caps how many bad lines LoadUsers describes; the rest are
// only counted.
const maxUserErrors = 20

// UsersStats counts what LoadUsers read.
type UsersStats struct {
	Lines, Pairs, Bad int
	// Errors describes the first bad lines as "name:line: reason".
	Errors []error
}

// LoadUsers reads a user→workstation list: CSV lines "user,ip" (an export of
// DHCP leases joined with AD logons), with an optional header line
// "user,ip", blank lines and lines starting with # skipped. name labels
// errors. A bad line is counted and described in the stats and skipped; the
// returned error is only for failing to read r.
func LoadUsers(r io.Reader, name string) (Hosts, UsersStats, error) {
	h := Hosts{}
	var st UsersStats
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	bad := func(line int, format string, args ...any) {
		st.Bad++
		if len(st.Errors) < maxUserErrors {
			st.Errors = append(st.Errors, fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, args...)))
		}
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return h, st, nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			// A quoting error is one bad line; csv resumes at the next.
			st.Lines++
			bad(pe.Line, "%v", pe.Err)
			continue
		}
		if err != nil {
			return h, st, fmt.Errorf("%s: %w", name, err)
		}
		st.Lines++
		line, _ := cr.FieldPos(0)
		if len(rec) != 2 {
			bad(line, "want 2 fields user,ip, got %d", len(rec))
			continue
		}
		user, addr := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		if st.Lines == 1 && strings.EqualFold(user, "user") && strings.EqualFold(addr, "ip") {
			continue // header
		}
		if user == "" {
			bad(line, "field 1: empty user")
			continue
		}
		ip, err := netip.ParseAddr(addr)
		if err != nil || ip.Zone() != "" {
			bad(line, "field 2: bad IP %q", clip(addr))
			continue
		}
		h.Add(user, ip)
		st.Pairs++
	}
}

// clip shortens hostile input quoted in an error message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// normUser makes user names comparable: UPNs and e-mail addresses are
// case-insensitive.
func normUser(u string) string {
	u = strings.TrimSpace(u)
	for i := 0; i < len(u); i++ {
		if c := u[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
			return strings.ToLower(u)
		}
	}
	return u
}
