package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/umbra-cti/umbra/knowledge"
)

func init() {
	actor := &cobra.Command{
		Use:     "actor",
		Short:   "Actors, their aliases, umbrellas and conflicts",
		Example: "  umbra actor list\n  umbra actor show deputydog",
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List every known actor and umbrella",
		Example: `  umbra actor list
  umbra actor list --json | jq -r '.[].name'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openStore(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			actors, err := knowledge.ListActors(ctxOf(cmd), st)
			if err != nil {
				return err
			}
			if wantJSON(cmd) {
				return json.NewEncoder(os.Stdout).Encode(actors)
			}
			tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tKIND\tALIASES\tSOURCES")
			for _, a := range actors {
				kind := "intrusion-set"
				if a.Umbrella {
					kind = "umbrella"
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", a.Name, kind, a.Aliases, strings.Join(a.Sources, ","))
			}
			return tw.Flush()
		},
	}
	show := &cobra.Command{
		Use:   "show NAME",
		Short: "Show one actor: aliases and who uses them, umbrella, relations, techniques, targets, conflicts",
		Long: `Resolve NAME (any alias, any case, spacing or punctuation) to an actor and show
what every source says about it. Where sources attach a name to different
actors, the conflict is listed; umbra never merges actors silently.`,
		Example: `  umbra actor show "wicked panda"
  umbra actor show deputydog
  umbra actor show APT41 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openStore(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			a, err := knowledge.ResolveActor(ctxOf(cmd), st, args[0])
			if err != nil {
				return err
			}
			if wantJSON(cmd) {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(a)
			}
			return a.WriteText(os.Stdout)
		},
	}
	jsonFlag(list)
	jsonFlag(show)
	actor.AddCommand(list, show)
	rootCmd.AddCommand(actor)
}
