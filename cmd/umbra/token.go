package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/umbra-cti/umbra/server/auth"
	"github.com/umbra-cti/umbra/stix"
)

func init() {
	tokenCmd := &cobra.Command{
		Use:   "token",
		Short: "Issue, list and revoke API tokens for umbra serve",
		Long: `Tokens let people and tools call umbra serve: the REST API, TAXII and the web UI.
A token has a role (reader < analyst < admin), a TLP clearance (the highest
level its holder may see) and the TAXII collections it may use. Only a hash
of each token is stored, in tokens.json in the data dir.`,
		Example: `  umbra token create --name partner-feed --role reader --tlp-max green
  umbra token list
  umbra token revoke 3f2a9c0d1e4b5a67`,
	}

	create := &cobra.Command{
		Use:   "create",
		Short: "Issue a token and print it once, alone on standard output",
		Long: `Issue a token and print it once, alone on standard output: it cannot be shown
again. What it grants is printed on standard error.`,
		Example: `  umbra token create --name alice --role analyst --tlp-max amber
  TOKEN=$(umbra token create --name ci --role reader --collections all)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			name, _ := cmd.Flags().GetString("name")
			roleS, _ := cmd.Flags().GetString("role")
			colls, _ := cmd.Flags().GetStringSlice("collections")
			tlpS, _ := cmd.Flags().GetString("tlp-max")
			expires, _ := cmd.Flags().GetDuration("expires")
			if strings.TrimSpace(name) == "" {
				return exitCode(2, errors.New("token create: --name is required (who or what holds the token)"))
			}
			role, err := auth.ParseRole(roleS)
			if err != nil {
				return exitCode(2, fmt.Errorf("--role: %w", err))
			}
			tlp, err := stix.ParseTLP(tlpS)
			if err != nil {
				return exitCode(2, fmt.Errorf("--tlp-max: %w", err))
			}
			if expires < 0 {
				return exitCode(2, errors.New("--expires must not be negative"))
			}
			store, err := openTokens(cmd)
			if err != nil {
				return err
			}
			tmpl := auth.Token{Name: strings.TrimSpace(name), Role: role, Clearance: auth.TLPLevel(tlp), Collections: cleanCollections(colls)}
			now := time.Now()
			if expires > 0 {
				tmpl.Expires = now.Add(expires).UTC()
			}
			secret, tok, err := auth.Issue(ctxOf(cmd), store, tmpl, now)
			if err != nil {
				return err
			}
			fmt.Fprintln(os.Stdout, secret)
			exp := "never"
			if !tok.Expires.IsZero() {
				exp = tok.Expires.Format(time.RFC3339)
			}
			fmt.Fprintf(os.Stderr, "umbra: token %s for %q: role %s, TLP up to %s, collections %s, expires %s. It is shown only this once.\n",
				tok.ID, tok.Name, tok.Role, stix.TLP(tok.Clearance), strings.Join(tok.Collections, ","), exp)
			return nil
		},
	}
	create.Flags().String("name", "", "who or what holds the token (required)")
	create.Flags().String("role", "reader", "reader, analyst or admin")
	create.Flags().StringSlice("collections", []string{auth.AllCollections}, "TAXII collection ids the token may use, or * for all")
	create.Flags().String("tlp-max", "green", "highest TLP the holder may see: clear, green, amber, amber+strict or red")
	create.Flags().Duration("expires", 0, "lifetime, e.g. 720h (default: no expiry)")

	list := &cobra.Command{
		Use:     "list",
		Short:   "List issued tokens (ids and grants, never the secrets)",
		Example: "  umbra token list\n  umbra token list --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := openTokens(cmd)
			if err != nil {
				return err
			}
			toks, err := store.List(ctxOf(cmd))
			if err != nil {
				return err
			}
			if wantJSON(cmd) {
				type row struct {
					ID          string   `json:"id"`
					Name        string   `json:"name"`
					Role        string   `json:"role"`
					TLPMax      string   `json:"tlp_max"`
					Collections []string `json:"collections"`
					Created     string   `json:"created"`
					Expires     string   `json:"expires,omitempty"`
				}
				out := make([]row, 0, len(toks))
				for _, t := range toks {
					r := row{t.ID, t.Name, t.Role.String(), stix.TLP(t.Clearance).String(), t.Collections, t.Created.Format(time.RFC3339), ""}
					if !t.Expires.IsZero() {
						r.Expires = t.Expires.Format(time.RFC3339)
					}
					out = append(out, r)
				}
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			if len(toks) == 0 {
				fmt.Fprintln(os.Stderr, "umbra: no tokens; issue one with: umbra token create --name NAME --role reader")
				return nil
			}
			tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tROLE\tTLP MAX\tCOLLECTIONS\tCREATED\tEXPIRES")
			now := time.Now()
			for _, t := range toks {
				exp := "-"
				if !t.Expires.IsZero() {
					exp = t.Expires.Format(time.RFC3339)
					if t.Expired(now) {
						exp += " (expired)"
					}
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, printable(t.Name), t.Role, stix.TLP(t.Clearance),
					strings.Join(t.Collections, ","), t.Created.Format(time.RFC3339), exp)
			}
			return tw.Flush()
		},
	}
	jsonFlag(list)

	revoke := &cobra.Command{
		Use:     "revoke ID",
		Short:   "Revoke a token by its id (the 16 hex digits after umb_)",
		Example: "  umbra token revoke 3f2a9c0d1e4b5a67",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := strings.TrimSpace(args[0])
			if full, err := auth.SplitToken(id); err == nil {
				id = full // the whole token was given: revoke it by its id
			}
			store, err := openTokens(cmd)
			if err != nil {
				return err
			}
			if err := store.Delete(ctxOf(cmd), id); errors.Is(err, auth.ErrNotFound) {
				return exitCode(1, fmt.Errorf("token revoke: no token with id %q (see umbra token list)", id))
			} else if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "umbra: token %s revoked; a running umbra serve refuses it from now on\n", id)
			return nil
		},
	}
	tokenCmd.AddCommand(create, list, revoke)
	rootCmd.AddCommand(tokenCmd)
}

// openTokens opens the token file in the data dir.
func openTokens(cmd *cobra.Command) (*auth.FileStore, error) {
	dir, err := dataDir(cmd)
	if err != nil {
		return nil, err
	}
	return auth.OpenFileStore(dir)
}

func cleanCollections(in []string) []string {
	var out []string
	for _, c := range in {
		if c = strings.TrimSpace(c); c != "" {
			if strings.EqualFold(c, "all") {
				c = auth.AllCollections
			}
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		out = []string{auth.AllCollections}
	}
	return out
}

// printable replaces control characters so a token name cannot rewrite the terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
}
