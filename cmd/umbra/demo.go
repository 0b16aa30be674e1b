package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/umbra-cti/umbra/demo"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/server/auth"
	"github.com/umbra-cti/umbra/stix"
)

func init() {
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole pipeline on a generated scenario and explain the result",
		Long: `Run umbra end to end and narrate it. Without --data the demo works in a fresh
temporary data dir, so it never touches your own store; it prints that dir so
you can explore it afterwards.`,
		Example: `  umbra demo
  umbra demo --data /tmp/umbra-demo
  umbra demo --serve          # then open the printed URL and log in with the printed token`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, _ := cmd.Flags().GetString("data")
			if dir == "" {
				var err error
				if dir, err = os.MkdirTemp("", "umbra-demo-"); err != nil {
					return err
				}
			}
			serve, _ := cmd.Flags().GetBool("serve")
			var o serveOptions
			if serve { // check the flags before the demo runs, not after
				var err error
				if o, err = serveOptionsFrom(cmd); err != nil {
					return exitCode(2, err)
				}
			}
			if err := demo.Run(ctxOf(cmd), os.Stdout, demo.Options{DataDir: dir}); err != nil {
				return err
			}
			if serve {
				return demoServe(cmd, dir, o)
			}
			return nil
		},
	}
	cmd.Flags().Bool("serve", false, "then serve the web UI, API and TAXII on the scenario (prints the URL and an admin token)")
	serveFlags(cmd)
	rootCmd.AddCommand(cmd)
}

// demoServe serves the demo's data dir with a fresh admin token, printing
// the URL and the token on standard error.
func demoServe(cmd *cobra.Command, dir string, o serveOptions) error {
	ctx, stop := signal.NotifyContext(ctxOf(cmd), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tokens, err := auth.OpenFileStore(dir)
	if err != nil {
		return err
	}
	secret, tok, err := auth.Issue(ctx, tokens, auth.Token{Name: "demo", Role: auth.RoleAdmin,
		Clearance: auth.TLPLevel(stix.TLPRed), Collections: []string{auth.AllCollections}}, time.Now())
	if err != nil {
		return err
	}
	// The token lives as long as this server: a later run prints a new one.
	defer func() {
		if fs, err := auth.OpenFileStore(dir); err == nil {
			_ = fs.Delete(context.Background(), tok.ID)
		}
	}()
	st, err := sqlite.Open(dir)
	if err != nil {
		return err
	}
	defer st.Close()
	return runServe(ctx, st, dir, o, os.Stderr, func(base string) {
		fmt.Fprintf(os.Stderr, "\numbra demo: open %s/ui/login and log in with this admin token (cleared for TLP:RED):\n  %s\n\n", base, secret)
	})
}
