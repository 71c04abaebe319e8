package desk

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/providers"
)

// Profile is a desk profile (config.Profile): the screens reach profiles
// through the desk only, so they name the type here.
type Profile = config.Profile

// LabelKey is where a launch keeps its desk label (a ticket number): in
// the launch's Extra, which the history stores with the session, lists
// show and a store migration carries as it is. It is never sent to the
// provider, and it is the only place the label lives.
const LabelKey = "deskLabel"

// ProfileStore is where a desk's profiles come from and go: profile files
// (ProfileDir), or a served desk's configuration.
type ProfileStore interface {
	// List returns the profiles (sorted, so number keys stay put) and
	// the ones that could not be read.
	List() ([]Profile, []error)
	// Save writes a profile and returns where.
	Save(Profile) (string, error)
}

// ProfileDir keeps profiles as files in Dir (config.ProfilesDir), plus
// read-only ones from the configuration file ([profiles.NAME]), listed
// after the files; a file of the same name wins.
type ProfileDir struct {
	Dir    string
	Config []Profile
}

// List implements ProfileStore.
func (p ProfileDir) List() ([]Profile, []error) {
	out, problems := config.ListProfiles(p.Dir)
	seen := map[string]bool{}
	for _, x := range out {
		seen[x.Name] = true
	}
	for _, x := range p.Config {
		if !seen[x.Name] {
			out = append(out, x)
		}
	}
	return out, problems
}

// Save implements ProfileStore.
func (p ProfileDir) Save(x Profile) (string, error) { return config.SaveProfile(p.Dir, x) }

// DeskProfile is a profile as the desk offers it: its provider, or why it
// cannot be used.
type DeskProfile struct {
	Profile
	Provider *Provider // nil when the provider is unknown
	Disabled string    // why it cannot be used ("" = usable)
}

// Asked is the spec of the fields asked per customer, in the profile's
// order.
func (p DeskProfile) Asked() providers.Spec {
	if p.Provider == nil {
		return nil
	}
	spec := p.Provider.Desc.Spec()
	var out providers.Spec
	for _, n := range p.Profile.Asked {
		if prm, ok := spec.Lookup(n); ok {
			out = append(out, prm)
		}
	}
	return out
}

// Profiles lists the desk's profiles (none when it has no store) and the
// problems met reading them, one line each. A profile whose provider is
// unavailable, or that its provider's rules refuse, is listed disabled
// with the reason.
func (d *Desk) Profiles() ([]DeskProfile, []string) {
	if d.o.Profiles == nil {
		return nil, nil
	}
	list, errs := d.o.Profiles.List()
	var problems []string
	for _, e := range errs {
		problems = append(problems, providers.SanitizeLine(e.Error()))
	}
	out := make([]DeskProfile, 0, len(list))
	for _, p := range list {
		dp := DeskProfile{Profile: p, Provider: d.Lookup(p.Provider)}
		switch {
		case dp.Provider == nil:
			dp.Disabled = fmt.Sprintf("unknown provider %q", p.Provider)
		case dp.Provider.Disabled != "":
			dp.Disabled = dp.Provider.Disabled
		default:
			if bad := p.Check(d.o.Registry); len(bad) > 0 {
				var msgs []string
				for _, e := range bad {
					msgs = append(msgs, e.Error())
				}
				dp.Disabled = providers.SanitizeLine(strings.Join(msgs, "; "))
			}
		}
		out = append(out, dp)
	}
	return out, problems
}

// Profile finds a profile by name.
func (d *Desk) Profile(name string) (DeskProfile, error) {
	list, problems := d.Profiles()
	for _, p := range list {
		if p.Name == name {
			if p.Disabled != "" {
				return p, fmt.Errorf("profile %s cannot be used: %s", name, p.Disabled)
			}
			return p, nil
		}
	}
	if err := config.CheckProfileName(name); err != nil {
		return DeskProfile{}, err
	}
	msg := fmt.Sprintf("no profile named %q", name)
	if len(problems) > 0 {
		msg += " (unreadable: " + strings.Join(problems, "; ") + ")"
	}
	return DeskProfile{}, errors.New(msg)
}

// ProfileDraft prepares a launch from a profile: its fixed values with
// the typed ones over them (Profile.Prepare), validated once and built
// once as any draft; warnings the profile has accepted are dropped, so
// with no refusals and no warnings left the launch goes straight out.
// label is the desk label typed with the asked fields ("" = none).
func (d *Desk) ProfileDraft(p DeskProfile, typed providers.Values, label string) *Draft {
	prov := p.Provider
	values, refusals, warnings := p.Prepare(prov.Client, prov.Desc.Spec(), typed)
	dr := &Draft{Provider: prov, Values: values, Refusals: refusals, Warnings: warnings, Profile: p.Name}
	if err := config.CheckLabelValue(label); err != nil {
		dr.Refusals = append(dr.Refusals, providers.FieldError{Field: "label", Message: err.Error()})
	}
	dr.Label = strings.TrimSpace(label)
	if len(dr.Refusals) > 0 {
		return dr
	}
	d.build(dr)
	return dr
}

// AcceptWarnings records the draft's warnings as accepted by the profile
// it came from, so they are not asked again; a profile from the server's
// configuration cannot be changed here and is left as it is (false).
func (d *Desk) AcceptWarnings(dr *Draft) (bool, error) {
	if dr.Profile == "" || len(dr.Warnings) == 0 || d.o.Profiles == nil {
		return false, nil
	}
	p, err := d.Profile(dr.Profile)
	if err != nil {
		return false, err
	}
	if strings.HasPrefix(p.Source, "config") || strings.Contains(p.Source, "[profiles.") {
		return false, nil
	}
	before := len(p.Accepted)
	p.Accept(dr.Warnings...)
	if len(p.Accepted) == before {
		return false, nil
	}
	_, err = d.o.Profiles.Save(p.Profile)
	return err == nil, err
}

// ProfileSpec is what review's `p` saves: a name, an optional title and
// desk label, the fields asked per customer.
type ProfileSpec struct {
	Name, Title, Label string
	Asked              []string
}

// SuggestAsked proposes the fields a new profile from v asks.
func (d *Desk) SuggestAsked(p *Provider, v providers.Values) []string {
	return config.SuggestAsked(p.Desc, v)
}

// SaveProfile saves the draft's values as a profile (review's `p`):
// personal data, phone numbers and per-launch ids are left out (named in
// dropped); the profile is checked against the providers' rules first.
func (d *Desk) SaveProfile(dr *Draft, s ProfileSpec) (path string, dropped []string, err error) {
	if d.o.Profiles == nil {
		return "", nil, errors.New("this desk has no place to keep profiles")
	}
	if err := config.CheckProfileName(s.Name); err != nil {
		return "", nil, err
	}
	p, dropped := config.NewProfile(s.Name, dr.Provider.Desc, dr.Values, s.Asked)
	p.Title, p.Label = strings.TrimSpace(s.Title), strings.TrimSpace(s.Label)
	// The warnings the operator saw on this review are not accepted by
	// saving: they are asked on the profile's first launch.
	if bad := p.Check(d.o.Registry); len(bad) > 0 {
		return "", dropped, providers.Invalid(bad)
	}
	path, err = d.o.Profiles.Save(p)
	return path, dropped, err
}

// CheckProfileName refuses names that are not safe as a file name
// (config.CheckProfileName), for screens that ask one.
func CheckProfileName(name string) error { return config.CheckProfileName(name) }

// CheckLabelValue checks a typed desk label (config.CheckLabelValue).
func CheckLabelValue(v string) error { return config.CheckLabelValue(v) }

// MaxLabelValue is the longest desk label (config.MaxLabelValue).
const MaxLabelValue = config.MaxLabelValue
