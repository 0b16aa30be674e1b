package attribution

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"
)

// ReadSessions reads sessions for opsec-slip detection from CSV lines
// "time,source address,target" (RFC 3339 time; target a host, address or
// cloud account). A first line starting with "time" is a header; blank
// lines and lines starting with '#' are skipped. Bad lines are returned
// as errors naming file and line, and the good ones are kept.
func ReadSessions(r io.Reader, name string) ([]Session, []error) {
	var out []Session
	var bad []error
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' || (line == 1 && strings.HasPrefix(strings.ToLower(s), "time")) {
			continue
		}
		f := strings.Split(s, ",")
		if len(f) != 3 {
			bad = append(bad, fmt.Errorf("%s:%d: %d fields, want 3 (time,source,target)", name, line, len(f)))
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(f[0]))
		if err != nil {
			bad = append(bad, fmt.Errorf("%s:%d: field 1: bad time %q", name, line, clip(f[0])))
			continue
		}
		a, err := netip.ParseAddr(strings.TrimSpace(f[1]))
		if err != nil {
			bad = append(bad, fmt.Errorf("%s:%d: field 2: bad address %q", name, line, clip(f[1])))
			continue
		}
		dst := strings.TrimSpace(f[2])
		if dst == "" {
			bad = append(bad, fmt.Errorf("%s:%d: field 3: empty target", name, line))
			continue
		}
		out = append(out, Session{Src: a.Unmap(), Dst: dst, Time: t.UTC()})
	}
	if err := sc.Err(); err != nil {
		bad = append(bad, fmt.Errorf("%s:%d: %v", name, line+1, err))
	}
	return out, bad
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
