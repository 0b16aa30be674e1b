package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/umbra-cti/umbra/knowledge/kb"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
)

// dataDir resolves --data, then $UMBRA_DATA, then the XDG data dir.
func dataDir(cmd *cobra.Command) (string, error) {
	if d, _ := cmd.Flags().GetString("data"); d != "" {
		return d, nil
	}
	if d := os.Getenv("UMBRA_DATA"); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "umbra"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no data dir: pass --data DIR or set UMBRA_DATA")
	}
	return filepath.Join(home, ".local", "share", "umbra"), nil
}

// openStore opens the knowledge store in the data dir, loading the
// built-in knowledge base on first use.
func openStore(cmd *cobra.Command) (*sqlite.Store, error) {
	dir, err := dataDir(cmd)
	if err != nil {
		return nil, err
	}
	st, err := sqlite.Open(dir)
	if err != nil {
		return nil, err
	}
	if _, err := kb.Ensure(cmd.Context(), st, st); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// ctxOf returns the command's context, never nil.
func ctxOf(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// progress shows a spinner-style counter on a terminal and nothing in a
// pipe. Call the returned function with counts and done at the end.
type progress struct {
	p   *mpb.Progress
	bar *mpb.Bar
}

func newProgress(label string) *progress {
	if !isatty.IsTerminal(os.Stderr.Fd()) {
		return &progress{}
	}
	p := mpb.New(mpb.WithOutput(os.Stderr), mpb.WithWidth(40))
	bar := p.New(0, mpb.SpinnerStyle(), mpb.PrependDecorators(decor.Name(label+" "), decor.CurrentNoUnit("%d")))
	return &progress{p: p, bar: bar}
}

func (p *progress) set(n int) {
	if p.bar != nil {
		p.bar.SetCurrent(int64(n))
	}
}

func (p *progress) done() {
	if p.bar != nil {
		p.bar.SetTotal(-1, true)
		p.p.Wait()
	}
}
