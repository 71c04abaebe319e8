package desk

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/providers"
)

// ConvertedExt is appended to a preset file once it became a profile, so
// that it is read only once and stays at hand.
const ConvertedExt = ".converted"

// ConvertPresets turns the per-provider presets of earlier versions
// (dir/presets/PROVIDER.json, dir being Dir) into desk profiles, once:
// each becomes dir/profiles/PROVIDER.toml (PROVIDER-preset.toml when that
// name is taken), titled "<provider> preset", asking the provider's
// customer field and the required fields the preset does not fix; then
// the preset is renamed PROVIDER.json.converted. Values a profile must not
// hold (personal data, phone numbers, per-launch ids, unknown names) are
// left out and named in the problems. A preset that cannot be converted is
// left in place and reported; the others are still converted.
func ConvertPresets(dir string, reg providers.Registry) (converted []Profile, problems []error) {
	if dir == "" {
		return nil, nil
	}
	profilesDir := filepath.Join(dir, "profiles")
	for _, d := range reg {
		path := filepath.Join(dir, "presets", d.ID+".json")
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		p, notes, err := convertPreset(path, profilesDir, d, reg)
		problems = append(problems, notes...)
		if err != nil {
			problems = append(problems, &config.ProfileError{Source: path, Err: err})
		}
		if p.Source != "" { // saved, even when the rename failed
			converted = append(converted, p)
		}
	}
	return converted, problems
}

func convertPreset(path, profilesDir string, d providers.Descriptor, reg providers.Registry) (Profile, []error, error) {
	values, err := config.ReadPreset(path)
	if err != nil {
		return Profile{}, nil, err
	}
	name := ""
	for _, n := range []string{d.ID, d.ID + "-preset"} {
		if _, err := os.Stat(filepath.Join(profilesDir, n+config.ProfileExt)); errors.Is(err, fs.ErrNotExist) {
			name = n
			break
		}
	}
	if name == "" {
		return Profile{}, nil, fmt.Errorf("profiles %s and %s-preset exist already; rename one to convert this preset", d.ID, d.ID)
	}
	// The customer field and the personal ones are asked; so is every
	// required field the preset does not fix.
	var asked []string
	for _, n := range SuggestAsked(d, values) {
		if n == d.CustomerParam || !values.Has(n) {
			asked = append(asked, n)
		}
	}
	var notes []error
	for _, n := range asked {
		if values.Has(n) {
			notes = append(notes, &config.ProfileError{Source: path, Err: fmt.Errorf("%s is asked per customer now, not kept", n)})
		}
	}
	p, dropped := NewProfile(name, d, values, asked)
	p.Title = d.Name + " preset"
	for _, n := range dropped {
		notes = append(notes, &config.ProfileError{Source: path, Err: fmt.Errorf("%s left out: a profile does not keep it", n)})
	}
	if errs := CheckProfile(p, reg); len(errs) > 0 {
		return Profile{}, notes, fmt.Errorf("cannot become a profile: %v", errs[0].Error())
	}
	saved, err := config.SaveProfile(profilesDir, p)
	if err != nil {
		return Profile{}, notes, err
	}
	p.Source = saved
	if err := os.Rename(path, path+ConvertedExt); err != nil {
		// The profile exists; a second run would find its name taken and
		// convert again under -preset, so say what to do.
		return p, notes, fmt.Errorf("converted to %s, but could not rename the preset (rename it yourself): %v", saved, err)
	}
	return p, notes, nil
}
