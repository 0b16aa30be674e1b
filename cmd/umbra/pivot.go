package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/umbra-cti/umbra/hunt"
	"github.com/umbra-cti/umbra/memory"
)

// addPivotCommands adds the pivots over the network memory under `umbra hunt`.
func addPivotCommands(h *cobra.Command) {
	rangeFlags := func(c *cobra.Command) {
		c.Flags().String("since", "", "only events newer than this age (90d, 12h) or RFC 3339 time")
		c.Flags().String("until", "", "only events older than this RFC 3339 time")
		jsonFlag(c)
	}
	talked := &cobra.Command{
		Use:   "talked-to VALUE",
		Short: "Every host that talked to an IP, CIDR, domain (and subdomains), URL, hash, certificate or fingerprint",
		Long: `List every host of ours that talked to VALUE in the stored history, with the
first and last time, how many events, and which fields held it. VALUE is read
as an indicator is: an IP address or CIDR prefix (either end of a connection),
a domain with its subdomains (DNS queries, HTTP hosts, TLS server names,
certificate names), a URL, an MD5/SHA-1/SHA-256 (files, and certificate
fingerprints of the same length), a certificate serial, a JA3/JA3S/JA4, an
e-mail address or a file name. Defanged values (evil[.]com) are accepted;
"user-agent:..." and "cookie:..." name the types that cannot be guessed.
Hosts that the value connected to are marked inbound; cloud sign-ins name the
account. A DNS answer is not a conversation: see resolved-to.`,
		Example: `  umbra hunt talked-to gamecdn-sync.net
  umbra hunt talked-to 221.216.0.0/13 --since 90d
  umbra hunt talked-to bd77d754a3942f71f38d2ecb7c657b1a --json`,
		Args: cobra.ExactArgs(1),
		RunE: runTalkedTo,
	}
	rangeFlags(talked)
	resolved := &cobra.Command{
		Use:   "resolved-to IP",
		Short: "Every domain whose DNS answers held an address",
		Long: `List every name that resolved to IP in the stored DNS traffic, with the first
and last lookup, how many lookups, and which hosts asked.`,
		Example: `  umbra hunt resolved-to 45.142.214.9
  umbra hunt resolved-to 127.0.0.1 --since 30d --json`,
		Args: cobra.ExactArgs(1),
		RunE: runResolvedTo,
	}
	rangeFlags(resolved)
	seen := &cobra.Command{
		Use:   "seen VALUE",
		Short: "When a value first and last appeared in the stored telemetry, and how often",
		Long: `Say when VALUE (read as talked-to reads it; DNS answers count here) first and
last appeared in the stored telemetry, in how many events, and in which fields.`,
		Example: `  umbra hunt seen lpg.gamecdn-sync.net
  umbra hunt seen 103.97.176.40 --json`,
		Args: cobra.ExactArgs(1),
		RunE: runSeen,
	}
	rangeFlags(seen)
	around := &cobra.Command{
		Use:   "around HOST --at TIME",
		Short: "What else a host did around a moment",
		Long: `List every stored event with HOST at either end within --window of --at, in
time order. With more than --limit events, the ones nearest --at are kept.`,
		Example: `  umbra hunt around 10.20.10.10 --at 2018-03-07T11:04:17Z
  umbra hunt around 10.20.10.10 --at 2018-03-07T11:04:17Z --window 10m --json`,
		Args: cobra.ExactArgs(1),
		RunE: runAround,
	}
	around.Flags().String("at", "", "the moment: an RFC 3339 time or Unix seconds (required)")
	around.Flags().Duration("window", time.Hour, "how far either side of --at")
	around.Flags().Int("limit", hunt.DefaultAroundLimit, "at most this many events, the nearest to --at")
	jsonFlag(around)
	h.AddCommand(talked, resolved, seen, around)
}

func pivotRange(cmd *cobra.Command) (hunt.Range, error) {
	since, _ := cmd.Flags().GetString("since")
	until, _ := cmd.Flags().GetString("until")
	var r hunt.Range
	var err error
	if r.Since, err = parseSince(since, time.Now()); err != nil {
		return r, exitCode(2, err)
	}
	if until != "" {
		if r.Until, err = time.Parse(time.RFC3339, until); err != nil {
			return r, exitCode(2, fmt.Errorf("--until %q: want an RFC 3339 time", until))
		}
	}
	return r, nil
}

// withMemory opens the network memory for one pivot and reports on stderr
// what the pivot's scans read.
func withMemory(cmd *cobra.Command, fn func(ctx context.Context, mem *memory.Store) error) error {
	mem, err := openMemory(cmd)
	if err != nil {
		return err
	}
	defer mem.Close()
	var ss memory.ScanStats
	ctx := hunt.WithScanStats(ctxOf(cmd), &ss)
	start := time.Now()
	if err := fn(ctx, mem); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "read %d segments (%d events) in %s; skipped %d by time, %d by statistics, %d by kind\n",
		ss.Segments, ss.Decoded, time.Since(start).Round(time.Millisecond), ss.SkippedTime, ss.SkippedValues, ss.SkippedKinds)
	for _, p := range ss.Problems {
		fmt.Fprintf(os.Stderr, "umbra: damaged segment %s: %s\n", p.Segment, p.Err)
	}
	return nil
}

func pivotErr(err error) error {
	if errors.Is(err, hunt.ErrBadValue) {
		return exitCode(2, err)
	}
	return err
}

func runTalkedTo(cmd *cobra.Command, args []string) error {
	r, err := pivotRange(cmd)
	if err != nil {
		return err
	}
	return withMemory(cmd, func(ctx context.Context, mem *memory.Store) error {
		cs, err := hunt.TalkedTo(ctx, mem, args[0], r)
		if err != nil {
			return pivotErr(err)
		}
		if wantJSON(cmd) {
			return jsonLines(os.Stdout, cs)
		}
		printContacts(os.Stdout, cs)
		return nil
	})
}

func runResolvedTo(cmd *cobra.Command, args []string) error {
	r, err := pivotRange(cmd)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(strings.ReplaceAll(strings.TrimSpace(args[0]), "[.]", "."))
	if err != nil {
		return exitCode(2, fmt.Errorf("resolved-to %q: want an IP address", args[0]))
	}
	return withMemory(cmd, func(ctx context.Context, mem *memory.Store) error {
		res, err := hunt.ResolvedTo(ctx, mem, ip, r)
		if err != nil {
			return pivotErr(err)
		}
		if wantJSON(cmd) {
			return jsonLines(os.Stdout, res)
		}
		printResolutions(os.Stdout, res)
		return nil
	})
}

func runSeen(cmd *cobra.Command, args []string) error {
	r, err := pivotRange(cmd)
	if err != nil {
		return err
	}
	return withMemory(cmd, func(ctx context.Context, mem *memory.Store) error {
		fl, err := hunt.SeenRange(ctx, mem, args[0], r)
		if err != nil {
			return pivotErr(err)
		}
		if wantJSON(cmd) {
			return jsonLines(os.Stdout, []hunt.FirstLast{fl})
		}
		printSeen(os.Stdout, fl)
		return nil
	})
}

func runAround(cmd *cobra.Command, args []string) error {
	host, err := netip.ParseAddr(strings.ReplaceAll(strings.TrimSpace(args[0]), "[.]", "."))
	if err != nil {
		return exitCode(2, fmt.Errorf("around %q: want the host's IP address", args[0]))
	}
	atS, _ := cmd.Flags().GetString("at")
	at, err := parseMoment(atS)
	if err != nil {
		return exitCode(2, err)
	}
	window, _ := cmd.Flags().GetDuration("window")
	limit, _ := cmd.Flags().GetInt("limit")
	if window < 0 || limit < 0 {
		return exitCode(2, fmt.Errorf("--window and --limit must not be negative"))
	}
	return withMemory(cmd, func(ctx context.Context, mem *memory.Store) error {
		acts, err := hunt.Around(ctx, mem, host, at, window, limit)
		if err != nil {
			return pivotErr(err)
		}
		if wantJSON(cmd) {
			return jsonLines(os.Stdout, acts)
		}
		printActivities(os.Stdout, acts, at)
		return nil
	})
}

// parseMoment reads --at: RFC 3339, or Unix seconds as Zeek writes them.
func parseMoment(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("--at is required: an RFC 3339 time or Unix seconds")
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f < 1e11 {
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("--at %q: want an RFC 3339 time or Unix seconds", s)
}

func jsonLines[T any](w io.Writer, items []T) error {
	enc := json.NewEncoder(w)
	for i := range items {
		if err := enc.Encode(items[i]); err != nil {
			return err
		}
	}
	return nil
}

// clean makes a value taken from telemetry safe to print on a terminal:
// control characters (escape sequences, tabs that would break the table)
// are shown as Go escapes.
func clean(s string) string {
	for _, r := range s {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			q := strconv.QuoteToASCII(s)
			return q[1 : len(q)-1]
		}
	}
	return s
}

const tableTime = "2006-01-02 15:04:05"

func table(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

func printContacts(w io.Writer, cs []hunt.Contact) {
	if len(cs) == 0 {
		fmt.Fprintln(w, "no host talked to it")
		return
	}
	tw := table(w)
	fmt.Fprintln(tw, "HOST\tDIRECTION\tFIRST\tLAST\tEVENTS\tWHERE\tOBSERVED")
	for _, c := range cs {
		who, dir := c.Host.String(), "out"
		if !c.Host.IsValid() {
			who, dir = clean(c.User), "sign-in"
		} else if c.Inbound {
			dir = "in"
		}
		obs := make([]string, len(c.Observed))
		for i, o := range c.Observed {
			obs[i] = clean(o)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", who, dir, c.First.UTC().Format(tableTime), c.Last.UTC().Format(tableTime),
			c.Events, strings.Join(c.Where, ","), strings.Join(obs, ","))
	}
	tw.Flush()
}

func printResolutions(w io.Writer, res []hunt.Resolution) {
	if len(res) == 0 {
		fmt.Fprintln(w, "no stored DNS answer held it")
		return
	}
	tw := table(w)
	fmt.Fprintln(tw, "DOMAIN\tFIRST\tLAST\tLOOKUPS\tCLIENTS")
	for _, r := range res {
		cl := make([]string, len(r.Clients))
		for i, c := range r.Clients {
			cl[i] = c.String()
		}
		s := strings.Join(cl, ",")
		if r.ClientCount > len(r.Clients) {
			s += fmt.Sprintf(" (+%d)", r.ClientCount-len(r.Clients))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", clean(r.Domain), r.First.UTC().Format(tableTime), r.Last.UTC().Format(tableTime), r.Lookups, s)
	}
	tw.Flush()
}

func printSeen(w io.Writer, fl hunt.FirstLast) {
	if fl.Events == 0 {
		fmt.Fprintf(w, "%s %s: never seen\n", fl.Type, clean(fl.Value))
		return
	}
	tw := table(w)
	fmt.Fprintf(tw, "value\t%s (%s)\n", clean(fl.Value), fl.Type)
	fmt.Fprintf(tw, "first\t%s\n", fl.First.UTC().Format(time.RFC3339Nano))
	fmt.Fprintf(tw, "last\t%s\n", fl.Last.UTC().Format(time.RFC3339Nano))
	fmt.Fprintf(tw, "events\t%d\n", fl.Events)
	keys := make([]string, 0, len(fl.Where))
	for k := range fl.Where {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(tw, "  %s\t%d\n", k, fl.Where[k])
	}
	tw.Flush()
}

func printActivities(w io.Writer, acts []hunt.Activity, at time.Time) {
	if len(acts) == 0 {
		fmt.Fprintln(w, "no stored activity in the window")
		return
	}
	tw := table(w)
	fmt.Fprintln(tw, "TIME\tOFFSET\tKIND\tPROTO\tSRC\tDST\tSUMMARY")
	for _, a := range acts {
		src, dst := endpoint(a.Src, a.SrcPort), endpoint(a.Dst, a.DstPort)
		off := a.Time.Sub(at).Round(time.Millisecond)
		sign := "+"
		if off < 0 {
			sign = ""
		}
		fmt.Fprintf(tw, "%s\t%s%s\t%s\t%s\t%s\t%s\t%s\n", a.Time.UTC().Format("2006-01-02 15:04:05.000"), sign, off, a.Kind, a.Proto,
			src, dst, clean(a.Summary))
	}
	tw.Flush()
}

func endpoint(a netip.Addr, port uint16) string {
	switch {
	case !a.IsValid():
		return "-"
	case port == 0:
		return a.String()
	}
	return netip.AddrPortFrom(a, port).String()
}
