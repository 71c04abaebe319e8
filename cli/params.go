package cli

import (
	"flag"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/kycdesk/kycdesk/forms"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
)

// paramJSON is one parameter in `params --json`.
type paramJSON struct {
	Name        string             `json:"name"`
	Label       string             `json:"label,omitempty"`
	Type        string             `json:"type"`
	Required    bool               `json:"required"`
	Essential   bool               `json:"essential"`
	Default     string             `json:"default,omitempty"`
	Constraints string             `json:"constraints,omitempty"`
	Options     []providers.Option `json:"options,omitempty"`
	Aliases     map[string]string  `json:"aliases,omitempty"`
	Doc         string             `json:"doc,omitempty"`
	Personal    bool               `json:"personal,omitempty"`
	Generated   bool               `json:"generated,omitempty"`
	Unconfirmed string             `json:"unconfirmed,omitempty"`
}

func cmdParams(args []string, io *IO) error {
	fs := flag.NewFlagSet("params", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	reg := catalog.All()
	if len(pos) != 1 {
		return usage(*asJSON, "PROVIDER", "name one provider: "+strings.Join(reg.IDs(), ", "))
	}
	d, ok := reg.Get(pos[0])
	if !ok {
		return usage(*asJSON, "PROVIDER", fmt.Sprintf("unknown provider %q (one of: %s)", pos[0], strings.Join(reg.IDs(), ", ")))
	}
	spec := d.Spec()
	if *asJSON {
		out := make([]paramJSON, len(spec))
		for i, p := range spec {
			out[i] = paramJSON{Name: p.Name, Label: p.Label, Type: p.Kind.String(), Required: p.Required, Essential: forms.IsEssential(p),
				Default: p.Default, Constraints: p.Constraints(), Options: p.Options, Aliases: p.Aliases, Doc: p.Doc,
				Personal: p.Personal, Generated: p.Generate != nil, Unconfirmed: p.Unconfirmed}
		}
		printJSON(io, map[string]any{"provider": d.ID, "name": d.Name, "parameters": out})
		return nil
	}
	fmt.Fprintf(io.Out, "%s (%s) — %d parameters; essentials first. Set with --set NAME=VALUE.\n\n", d.Name, d.ID, len(spec))
	for _, essential := range []bool{true, false} {
		for _, p := range spec {
			if forms.IsEssential(p) != essential {
				continue
			}
			req := "optional"
			if p.Required {
				req = "required"
				if p.Generate != nil {
					req = "required, generated when empty"
				}
			}
			fmt.Fprintf(io.Out, "%s  %s, %s\n", p.Name, p.Kind, req)
			if c := p.Constraints(); c != "" {
				fmt.Fprintf(io.Out, "    constraints: %s\n", c)
			}
			if p.Default != "" {
				fmt.Fprintf(io.Out, "    default: %s\n", p.Default)
			}
			if len(p.Options) > 0 {
				tw := tabwriter.NewWriter(io.Out, 0, 0, 2, ' ', 0)
				for _, o := range p.Options {
					fmt.Fprintf(tw, "      %s\t%s\n", o.Value, o.Label)
				}
				tw.Flush()
			}
			if a := alsoAccepted(p); a != "" {
				fmt.Fprintf(io.Out, "    also accepted: %s\n", a)
			}
			if p.Doc != "" {
				fmt.Fprintf(io.Out, "    %s\n", p.Doc)
			}
			if p.Unconfirmed != "" {
				fmt.Fprintf(io.Out, "    note: %s\n", p.Unconfirmed)
			}
			if p.Personal {
				fmt.Fprintf(io.Out, "    personal data: never written to the store\n")
			}
			fmt.Fprintln(io.Out)
		}
	}
	return nil
}

// alsoAccepted is a parameter's other spellings on one line: "any case"
// for the aliases that only change the case of a value, then the others
// ("h5 → MOBILE_H5").
func alsoAccepted(p providers.Param) string {
	keys := make([]string, 0, len(p.Aliases))
	anyCase := false
	for k, v := range p.Aliases {
		if strings.EqualFold(k, v) {
			anyCase = true
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	if anyCase {
		parts = append(parts, "the values in any case")
	}
	for _, k := range keys {
		parts = append(parts, k+" → "+p.Aliases[k])
	}
	return strings.Join(parts, ", ")
}
