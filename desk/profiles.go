package desk

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// Profile is a desk profile (config.Profile): the screens reach profiles
// through the desk only, so they name the type here.
type Profile = config.Profile

// LabelKey is where a launch keeps its desk label (a ticket number): in
// the launch's Extra, which the history stores with the session, lists
// show and a store migration carries as it is. It is never sent to the
// provider, and it is the only place the label lives.
const LabelKey = session.LabelKey

// ShownCustomer is who a session is for as a list shows it: the desk
// label ("#T-043") when the launch kept one, else the customer; a keyed
// hash that stands for the customer id (Alibaba's, 64 hex digits) is
// shortened to its first 8 digits, which still tell sessions apart.
func ShownCustomer(customer, label string) string {
	if label != "" {
		return "#" + label
	}
	if len(customer) >= 32 && isHex(customer) {
		return customer[:8] + "…"
	}
	return customer
}

func isHex(s string) bool {
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F') {
			return false
		}
	}
	return true
}

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

// profileFiles keeps the profile files as last read, for every desk of
// the process (a file is read again when it changes).
var profileFiles config.ProfileCache

// List implements ProfileStore.
func (p ProfileDir) List() ([]Profile, []error) {
	out, problems := profileFiles.List(p.Dir)
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
	// HomeKey is its number key on home (0 = none: more profiles than
	// keys); see HomeKeys.
	HomeKey int
	// Note says what was cleaned from the profile as it was read (values
	// kycdesk works out at each launch); "" when nothing was.
	Note string
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

// Profiles lists the desk's profiles (none when it has no store), ordered
// by their home key, and one line for each problem met reading them and
// each profile cleaned as it was read. A profile whose provider is
// unavailable, or that its provider's rules refuse, is listed disabled
// with the reason.
func (d *Desk) Profiles() ([]DeskProfile, []string) {
	if d.o.Profiles == nil {
		return nil, nil
	}
	list, errs := d.o.Profiles.List()
	// What follows (each profile's provider spec, checks and home keys)
	// depends only on the list and the desk: worked out again only when
	// the list changed (issue 18: at every launch of every desk).
	d.profMu.Lock()
	defer d.profMu.Unlock()
	if m := d.profMemo; m != nil && reflect.DeepEqual(m.list, list) && reflect.DeepEqual(m.errs, errs) {
		return cloneDeskProfiles(m.out), slices.Clone(m.notes)
	}
	out, notes := d.profiles(list, errs)
	d.profMemo = &profilesMemo{list: cloneProfiles(list), errs: errs, out: cloneDeskProfiles(out), notes: slices.Clone(notes)}
	return out, notes
}

// profilesMemo is a list of profiles and the desk's profiles made of it.
type profilesMemo struct {
	list  []Profile
	errs  []error
	out   []DeskProfile
	notes []string
}

func cloneProfiles(in []Profile) []Profile {
	out := slices.Clone(in)
	for i := range out {
		out[i] = out[i].Clone()
	}
	return out
}

func cloneDeskProfiles(in []DeskProfile) []DeskProfile {
	out := slices.Clone(in)
	for i := range out {
		out[i].Profile = out[i].Profile.Clone()
	}
	return out
}

func (d *Desk) profiles(list []Profile, errs []error) ([]DeskProfile, []string) {
	var notes []string
	for _, e := range errs {
		notes = append(notes, "profile not read: "+providers.SanitizeLine(e.Error()))
	}
	out := make([]DeskProfile, 0, len(list))
	for _, p := range list {
		dp := DeskProfile{Profile: p, Provider: d.Lookup(p.Provider)}
		if dp.Provider != nil {
			dp.Profile, dp.Note = d.clean(p, dp.Provider.Desc)
			if dp.Note != "" {
				notes = append(notes, dp.Note)
			}
		}
		switch {
		case dp.Provider == nil:
			dp.Disabled = fmt.Sprintf("unknown provider %q", p.Provider)
		case dp.Provider.Disabled != "":
			dp.Disabled = dp.Provider.Disabled
		default:
			if bad := CheckProfile(dp.Profile, d.o.Registry); len(bad) > 0 {
				var msgs []string
				for _, e := range bad {
					msgs = append(msgs, e.Error())
				}
				dp.Disabled = providers.SanitizeLine(strings.Join(msgs, "; "))
			}
		}
		out = append(out, dp)
	}
	keys, clash := HomeKeys(out, len(d.providers))
	for i := range out {
		out[i].HomeKey = keys[i]
	}
	notes = append(notes, clash...)
	sort.SliceStable(out, func(i, j int) bool { return homeOrder(out[i].HomeKey) < homeOrder(out[j].HomeKey) })
	return out, notes
}

// homeOrder puts the profiles without a key after those with one.
func homeOrder(k int) int {
	if k == 0 {
		return 10
	}
	return k
}

// clean drops the values a profile must not keep because kycdesk works
// them out at each launch (a callback address from an earlier run, whose
// port is dead now, would leave every session pending): they are removed
// as the profile is read, and its file is rewritten without them; a
// profile from config.toml is cleaned for this run and the note says what
// to delete there.
func (d *Desk) clean(p Profile, desc providers.Descriptor) (Profile, string) {
	drop := LaunchValues(p, desc)
	if len(drop) == 0 {
		return p, ""
	}
	p = p.Without(drop...)
	note := fmt.Sprintf("profile %s: left out %s, which kycdesk works out at each launch", p.Name, strings.Join(drop, ", "))
	if fromConfig(p) {
		return p, note + " (delete it from " + providers.SanitizeLine(p.Source) + ")"
	}
	if _, err := d.o.Profiles.Save(p); err != nil {
		return p, note + " (its file could not be rewritten: " + providers.SanitizeLine(err.Error()) + ")"
	}
	return p, note + " (file rewritten)"
}

// fromConfig reports whether a profile was read from config.toml's
// [profiles.NAME] tables, which the desk does not rewrite.
func fromConfig(p Profile) bool {
	return strings.HasPrefix(p.Source, "config") || strings.Contains(p.Source, "[profiles.")
}

// LaunchValues names the fixed values of p that kycdesk works out at
// each launch (callback addresses and tokens, per-launch ids): a profile
// never keeps them.
func LaunchValues(p Profile, desc providers.Descriptor) []string {
	spec := desc.Spec()
	var out []string
	for _, n := range p.Values.Names() {
		if prm, ok := spec.Lookup(n); ok && perLaunch(prm) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// perLaunch reports whether a parameter's value belongs to one launch.
func perLaunch(prm providers.Param) bool { return prm.Unique || prm.FilledAtLaunch }

// HomeKeys gives each profile its number key on home, and names the pins
// it could not honour. The providers (the explorer) hold the last keys,
// in their order (with three providers: 7, 8, 9), so they never move nor
// lose a key as profiles come and go; a profile may pin a key below them
// (key = 1); the others take the free keys in name order; profiles beyond
// the keys have none (they are reached with the arrows).
func HomeKeys(profiles []DeskProfile, nProviders int) (keys []int, notes []string) {
	last := 9 - nProviders // the last key a profile may take
	keys = make([]int, len(profiles))
	taken := map[int]string{}
	for i, p := range profiles {
		k := p.Profile.Key
		switch {
		case k == 0:
		case k > last:
			notes = append(notes, fmt.Sprintf("profile %s: key = %d is an explorer's key; pin one from 1 to %d", p.Name, k, last))
		case taken[k] != "":
			notes = append(notes, fmt.Sprintf("profile %s: key = %d is pinned by profile %s already", p.Name, k, taken[k]))
		default:
			keys[i], taken[k] = k, p.Name
		}
	}
	next := 1
	for i := range profiles {
		if keys[i] != 0 {
			continue
		}
		for next <= last && taken[next] != "" {
			next++
		}
		if next <= last {
			keys[i], taken[next] = next, profiles[i].Name
		}
	}
	return keys, notes
}

// ProviderKey is the number key of the i-th of n providers on home (see
// HomeKeys).
func ProviderKey(i, n int) int { return 9 - n + 1 + i }

// Profile finds a profile by name; the error names the profiles there
// are.
func (d *Desk) Profile(name string) (DeskProfile, error) {
	list, notes := d.Profiles()
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
	var names []string
	for _, p := range list {
		names = append(names, p.Name)
	}
	if len(names) > 0 {
		msg += " (profiles: " + strings.Join(names, ", ") + ")"
	} else {
		msg += " (there are no profiles yet: save one with p on the console's review)"
	}
	for _, n := range notes {
		if strings.HasPrefix(n, "profile not read: ") {
			msg += "; " + n
		}
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
	values, refusals, warnings := PrepareProfile(p.Profile, prov.Client, prov.Desc.Spec(), typed)
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
	if fromConfig(p.Profile) {
		return false, nil
	}
	before := len(p.Accepted)
	acceptCodes(&p.Profile, dr.Warnings...)
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
	return SuggestAsked(p.Desc, v)
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
	p, dropped := NewProfile(s.Name, dr.Provider.Desc, dr.Values, s.Asked)
	p.Title, p.Label = strings.TrimSpace(s.Title), strings.TrimSpace(s.Label)
	// The warnings the operator saw on this review are not accepted by
	// saving: they are asked on the profile's first launch.
	if bad := CheckProfile(p, d.o.Registry); len(bad) > 0 {
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

// CheckProfile validates a profile against the provider registry and
// returns every problem, each naming its key (provider, key, asked,
// values.NAME…): an unknown provider; unknown field names (with the
// closest wire name); credentials, which never go in a profile; personal
// data and phone numbers in the fixed values (a profile must not store
// them: ask them); values kycdesk works out at each launch; fixed values
// the field rules refuse; asked fields that are also fixed; required
// fields neither fixed nor asked; titles that do not fit a line; a home
// key among the explorer's.
func CheckProfile(p Profile, reg providers.Registry) []providers.FieldError {
	var errs []providers.FieldError
	add := func(field, format string, a ...any) {
		errs = append(errs, providers.FieldError{Field: field, Message: fmt.Sprintf(format, a...)})
	}
	if p.Name != "" {
		if err := config.CheckProfileName(p.Name); err != nil {
			add("name", "%s", err.Error())
		}
	}
	if msg := config.CheckLine(p.Title, config.MaxProfileTitle); msg != "" {
		add("title", "%s", msg)
	}
	if msg := config.CheckLine(p.Label, config.MaxLabelTitle); msg != "" {
		add("label", "%s", msg)
	}
	if last := 9 - len(reg); p.Key != 0 && (p.Key < 1 || p.Key > last) {
		add("key", "must be from 1 to %d (%d to 9 open the explorer's providers)", last, last+1)
	}
	d, ok := reg.Get(p.Provider)
	if !ok {
		add("provider", "unknown provider %q (known: %s)", p.Provider, strings.Join(reg.IDs(), ", "))
		return errs
	}
	spec := d.Spec()
	fixed := map[string]bool{}
	for _, name := range p.Values.Names() {
		key := "values." + name
		if c, ok := config.CredentialNamed(d, name); ok {
			add(key, "is a credential; credentials never go in a profile (set %s in the environment or in config.toml's [%s] table)", c.Env, d.ID)
			continue
		}
		prm, ok := spec.Lookup(name)
		if !ok {
			add(key, "%s", unknownField(d, spec, name))
			continue
		}
		fixed[prm.Name] = true
		switch {
		case perLaunch(prm):
			add(key, "is worked out at each launch (a callback address, a token or an id that keeps retries apart); leave it out of the profile")
			continue
		case prm.Personal || prm.Kind == providers.KindPhone:
			add(key, "is personal data; a profile must not store it: ask it per customer instead (asked = [%q])", prm.Name)
			continue
		}
		for _, e := range providers.ValidateSpec(providers.Spec{prm}, providers.Values{prm.Name: p.Values[name]}) {
			if !e.Warning {
				add(key, "%s", e.Message)
			}
		}
	}
	asked := map[string]bool{}
	for _, name := range p.Asked {
		prm, ok := spec.Lookup(name)
		switch {
		case !ok:
			add("asked", "%s: %s", name, unknownField(d, spec, name))
		case asked[prm.Name]:
			add("asked", "%s is listed twice", prm.Name)
		case fixed[prm.Name]:
			add("asked", "%s is both asked and fixed in [values]; remove one", prm.Name)
		}
		if ok {
			asked[prm.Name] = true
		}
	}
	for _, prm := range spec {
		if prm.Required && prm.Default == "" && prm.Generate == nil && !fixed[prm.Name] && !asked[prm.Name] {
			add("asked", "%s is required: fix it in [values] or ask it (asked = [%q])", prm.Name, prm.Name)
		}
	}
	seen := map[string]bool{}
	for _, code := range p.Accepted {
		if strings.TrimSpace(code) == "" || seen[code] {
			add("accepted", "%q: list each warning code once", code)
		}
		seen[code] = true
	}
	return errs
}

// unknownField names the closest wire name, if one is close.
func unknownField(d providers.Descriptor, spec providers.Spec, name string) string {
	if c := spec.Closest(name); c != "" {
		return fmt.Sprintf("unknown %s parameter; did you mean %s?", d.ID, c)
	}
	return fmt.Sprintf("unknown %s parameter (see `kycdesk params %s` for the documented names)", d.ID, d.ID)
}

// ApplyProfile builds the values of a launch: the fixed values, then what
// the operator typed for the asked fields, in the spec's spelling with
// each value normalised. A typed field the profile does not ask is
// refused (it is fixed, or not part of this setup): nothing is silently
// overridden.
func ApplyProfile(p Profile, spec providers.Spec, typed providers.Values) (providers.Values, []providers.FieldError) {
	asked := map[string]bool{}
	for _, n := range p.Asked {
		if prm, ok := spec.Lookup(n); ok {
			asked[prm.Name] = true
		}
	}
	out := p.Values.Clone()
	var errs []providers.FieldError
	for _, n := range typed.Names() {
		prm, ok := spec.Lookup(n)
		if !ok || !asked[prm.Name] {
			errs = append(errs, providers.FieldError{Field: n,
				Message: fmt.Sprintf("is not asked by profile %s; edit the profile to change it", p.Name)})
			continue
		}
		out.Set(prm.Name, typed[n]...)
	}
	return spec.Canonical(out), errs
}

// ProfileAccepts reports whether the profile has accepted a warning: it
// has a code and the code is listed in accepted.
func ProfileAccepts(p Profile, w providers.FieldError) bool {
	if !w.Warning || w.Code == "" {
		return false
	}
	for _, c := range p.Accepted {
		if c == w.Code {
			return true
		}
	}
	return false
}

// remaining drops the warnings the profile has accepted; the rest are
// asked (review) before a launch.
func remaining(p Profile, warnings []providers.FieldError) []providers.FieldError {
	var out []providers.FieldError
	for _, w := range warnings {
		if !ProfileAccepts(p, w) {
			out = append(out, w)
		}
	}
	return out
}

// acceptCodes records warning codes as accepted (review's "accept for
// this profile"), once each; warnings without a code cannot be accepted.
func acceptCodes(p *Profile, warnings ...providers.FieldError) {
	for _, w := range warnings {
		if w.Code != "" && !ProfileAccepts(*p, w) {
			p.Accepted = append(p.Accepted, w.Code)
		}
	}
}

// PrepareProfile is the profile screen's enter: the values of the launch
// (typed over fixed, then the client's Prepare: generated ids and the
// callback address made for this launch), the refusals, and the warnings
// this profile has not accepted. With no refusals and no warnings the
// launch goes straight out.
func PrepareProfile(p Profile, c providers.Client, spec providers.Spec, typed providers.Values) (values providers.Values, refusals, warnings []providers.FieldError) {
	values, refusals = ApplyProfile(p, spec, typed)
	values = c.Prepare(values)
	r, w := providers.Problems(c.Validate(values))
	return values, append(refusals, r...), remaining(p, w)
}

// SuggestAsked proposes the fields a new profile asks per customer: the
// provider's customer field, the required fields with no default that the
// provider does not generate, and every personal or phone field that is
// set (a profile cannot store those).
func SuggestAsked(d providers.Descriptor, values providers.Values) []string {
	var out []string
	for _, p := range d.Spec() {
		switch {
		case p.Name == d.CustomerParam,
			p.Required && p.Default == "" && p.Generate == nil,
			(p.Personal || p.Kind == providers.KindPhone) && values.Has(p.Name) && !perLaunch(p):
			out = append(out, p.Name)
		}
	}
	return out
}

// NewProfile makes a profile from a form's values (review's `p`): the
// asked fields are left out of the fixed values, and so are values a
// profile must not hold (personal data, phone numbers, values worked out
// at each launch such as the callback address and per-launch ids, unknown
// names), which are returned as dropped. Check it before saving.
func NewProfile(name string, d providers.Descriptor, values providers.Values, asked []string) (p Profile, dropped []string) {
	spec := d.Spec()
	p = Profile{Name: name, Provider: d.ID, Asked: []string{}, Accepted: []string{}, Values: providers.Values{}}
	isAsked := map[string]bool{}
	for _, n := range asked {
		if prm, ok := spec.Lookup(n); ok && !isAsked[prm.Name] {
			isAsked[prm.Name] = true
			p.Asked = append(p.Asked, prm.Name)
		}
	}
	for _, n := range values.Names() {
		prm, ok := spec.Lookup(n)
		switch {
		case ok && isAsked[prm.Name]:
		case !ok || prm.Personal || prm.Kind == providers.KindPhone || perLaunch(prm):
			dropped = append(dropped, n)
		default:
			p.SetValue(prm.Name, prm.IsList(), values[n]...)
		}
	}
	return p, dropped
}
