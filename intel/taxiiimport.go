package intel

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/umbra-cti/umbra/intel/taxii"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/stix"
)

// FormatTAXII names imports from a TAXII 2.1 collection.
const FormatTAXII = "taxii"

// Metadata is where TAXII imports remember how far they got.
type Metadata interface {
	Meta(ctx context.Context, key string) (string, error)
	SetMeta(ctx context.Context, key, value string) error
}

// importTAXII pulls a collection from where the last import stopped. The
// pull runs inside one store transaction; the resume point is saved only
// after it commits, so an interrupted pull is simply repeated.
func importTAXII(ctx context.Context, st knowledge.Store, raw string, opt Options, res *Result) error {
	meta, ok := st.(Metadata)
	if !ok {
		return fmt.Errorf("this store cannot remember TAXII positions")
	}
	u, err := taxii.CollectionURL(raw)
	if err != nil {
		return err
	}
	cl := &taxii.Client{Token: os.Getenv("UMBRA_TAXII_TOKEN"), PageSize: 1000}
	if u.User != nil {
		cl.User = u.User.Username()
		cl.Password, _ = u.User.Password()
		u.User = nil // never store or print credentials
	}
	res.Path = u.String()
	key := "taxii-added-after " + res.Path
	after, err := meta.Meta(ctx, key)
	if err != nil {
		return err
	}
	if res.Source == "" {
		res.Source = "taxii:" + u.Host
	}
	info := knowledge.ImportInfo{Source: res.Source, Path: res.Path, TLP: opt.TLP, Progress: opt.Progress}
	var last string
	sum, err := st.Import(ctx, info, func(put func(stix.Object) error) error {
		i := 0
		var err error
		last, err = cl.Pull(ctx, u, after, func(b json.RawMessage) error {
			i++
			o, err := stix.Parse(b)
			if err != nil {
				res.Rejected = append(res.Rejected, fmt.Sprintf("%s: object %d: %v", res.Path, i-1, err))
				return nil
			}
			res.ByType[o.Type]++
			return put(o)
		})
		return err
	})
	res.Summary = sum
	if err != nil {
		return fmt.Errorf("%s: %w", res.Path, err)
	}
	if last != "" && last != after {
		res.Notes = append(res.Notes, "next import resumes after "+last)
		return meta.SetMeta(ctx, key, last)
	}
	return nil
}
