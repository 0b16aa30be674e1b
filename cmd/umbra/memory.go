package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/umbra-cti/umbra/memory"
)

func init() {
	memCmd := &cobra.Command{
		Use:     "memory",
		Short:   "The network memory: stored telemetry for retrospective hunts",
		Example: "  umbra memory stats --json\n  umbra memory retention --max-age 180d --max-bytes 200GB",
	}
	statsCmd := &cobra.Command{
		Use:   "stats",
		Short: "Segments, events, bytes on disk and the time range held",
		Example: `  umbra memory stats
  umbra memory stats --json`,
		Args: cobra.NoArgs,
		RunE: runMemoryStats,
	}
	jsonFlag(statsCmd)
	retCmd := &cobra.Command{
		Use:   "retention",
		Short: "Show or set how much history the memory keeps",
		Long: `Without flags, show the retention policy. With --max-age or --max-bytes, set
it (0 removes a limit). The oldest segments are dropped first when the policy
is enforced: by --apply, or by the ingest after it stores new events.`,
		Example: `  umbra memory retention
  umbra memory retention --max-age 90d --max-bytes 50GB
  umbra memory retention --apply`,
		Args: cobra.NoArgs,
		RunE: runMemoryRetention,
	}
	retCmd.Flags().String("max-age", "", "drop events older than this (90d, 36h; 0 for no limit)")
	retCmd.Flags().String("max-bytes", "", "keep at most this much on disk (50GB, 512MiB; 0 for no limit)")
	retCmd.Flags().Bool("apply", false, "drop what the policy excludes now")
	jsonFlag(retCmd)
	compactCmd := &cobra.Command{
		Use:     "compact",
		Short:   "Merge small segments of each day into bigger ones",
		Example: "  umbra memory compact",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openMemory(cmd)
			if err != nil {
				return err
			}
			n, err := st.Compact(ctxOf(cmd))
			if cerr := st.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stdout, "merged away %d segments\n", n)
			return nil
		},
	}
	memCmd.AddCommand(statsCmd, retCmd, compactCmd)
	rootCmd.AddCommand(memCmd)
}

func openMemory(cmd *cobra.Command) (*memory.Store, error) {
	dir, err := dataDir(cmd)
	if err != nil {
		return nil, err
	}
	return memory.Open(dir)
}

// memoryStats is what `umbra memory stats --json` prints.
type memoryStats struct {
	Segments      int              `json:"segments"`
	Events        uint64           `json:"events"`
	Bytes         int64            `json:"bytes"`
	BytesPerEvent float64          `json:"bytes_per_event"`
	First         *time.Time       `json:"first"` // null when empty
	Last          *time.Time       `json:"last"`
	Retention     retentionJSON    `json:"retention"`
	Problems      []memory.Problem `json:"problems,omitempty"`
	InUse         bool             `json:"in_use,omitempty"` // read from the manifest while another process holds the memory
}

type retentionJSON struct {
	MaxAge   string `json:"max_age"` // "" when unlimited
	MaxBytes int64  `json:"max_bytes"`
}

func runMemoryStats(cmd *cobra.Command, _ []string) error {
	dir, err := dataDir(cmd)
	if err != nil {
		return err
	}
	var out memoryStats
	var st memory.Stats
	s, err := memory.Open(dir)
	switch {
	case errors.Is(err, memory.ErrInUse):
		// An ingest is running: report what it has committed.
		if st, err = memory.ReadStats(dir); err != nil {
			return err
		}
		out.InUse = true
	case err != nil:
		return err
	default:
		st = s.Stats()
		out.Problems = s.Problems()
		p, err := s.Policy()
		s.Close()
		if err != nil {
			return err
		}
		out.Retention = policyJSON(p)
	}
	out.Segments, out.Events, out.Bytes, out.BytesPerEvent = st.Segments, st.Events, st.Bytes, st.BytesPerEvent
	if st.Events > 0 && !st.First.IsZero() {
		out.First, out.Last = &st.First, &st.Last
	}
	if wantJSON(cmd) {
		return json.NewEncoder(os.Stdout).Encode(out)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "segments\t%d\n", out.Segments)
	fmt.Fprintf(tw, "events\t%d\n", out.Events)
	fmt.Fprintf(tw, "bytes\t%d (%s)\n", out.Bytes, humanBytes(out.Bytes))
	fmt.Fprintf(tw, "bytes/event\t%.1f\n", out.BytesPerEvent)
	if out.First != nil {
		fmt.Fprintf(tw, "first\t%s\n", out.First.Format(time.RFC3339))
		fmt.Fprintf(tw, "last\t%s\n", out.Last.Format(time.RFC3339))
	}
	if !out.InUse {
		fmt.Fprintf(tw, "retention\t%s\n", describePolicy(out.Retention))
	} else {
		fmt.Fprintf(tw, "note\tin use by another process; committed contents only\n")
	}
	tw.Flush()
	for _, p := range out.Problems {
		fmt.Fprintf(os.Stderr, "umbra: damaged segment %s quarantined to %s: %s\n", p.Segment, p.Quarantine, p.Err)
	}
	return nil
}

func runMemoryRetention(cmd *cobra.Command, _ []string) error {
	s, err := openMemory(cmd)
	if err != nil {
		return err
	}
	defer s.Close()
	p, err := s.Policy()
	if err != nil {
		return err
	}
	changed := false
	if v, _ := cmd.Flags().GetString("max-age"); cmd.Flags().Changed("max-age") {
		if v == "0" {
			p.MaxAge = 0
		} else if p.MaxAge, err = memory.ParseAge(v); err != nil {
			return exitCode(2, fmt.Errorf("--max-age: %w", err))
		}
		changed = true
	}
	if v, _ := cmd.Flags().GetString("max-bytes"); cmd.Flags().Changed("max-bytes") {
		if p.MaxBytes, err = memory.ParseBytes(v); err != nil {
			return exitCode(2, fmt.Errorf("--max-bytes: %w", err))
		}
		changed = true
	}
	if changed {
		if err := s.SetPolicy(p); err != nil {
			return err
		}
	}
	var dropped int
	var freed int64
	if apply, _ := cmd.Flags().GetBool("apply"); apply {
		if dropped, freed, err = s.Enforce(time.Now()); err != nil {
			return err
		}
	}
	pj := policyJSON(p)
	if wantJSON(cmd) {
		return json.NewEncoder(os.Stdout).Encode(struct {
			retentionJSON
			Dropped    int   `json:"dropped_segments"`
			FreedBytes int64 `json:"freed_bytes"`
		}{pj, dropped, freed})
	}
	fmt.Fprintf(os.Stdout, "retention: %s\n", describePolicy(pj))
	if apply, _ := cmd.Flags().GetBool("apply"); apply {
		fmt.Fprintf(os.Stdout, "dropped %d segments, %s\n", dropped, humanBytes(freed))
	}
	return nil
}

func policyJSON(p memory.Policy) retentionJSON {
	r := retentionJSON{MaxBytes: p.MaxBytes}
	if p.MaxAge > 0 {
		if p.MaxAge%(24*time.Hour) == 0 {
			r.MaxAge = fmt.Sprintf("%dd", p.MaxAge/(24*time.Hour))
		} else {
			r.MaxAge = p.MaxAge.String()
		}
	}
	return r
}

func describePolicy(r retentionJSON) string {
	age, size := "no age limit", "no size limit"
	if r.MaxAge != "" {
		age = "max age " + r.MaxAge
	}
	if r.MaxBytes > 0 {
		size = "max " + humanBytes(r.MaxBytes)
	}
	return age + ", " + size
}

func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
