package config

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/kycdesk/kycdesk/providers"
)

// PresetPath is where a provider's preset lives: the values every new form
// for that provider starts with (a desk's usual locale, documents…). It is
// in the format `kycdesk launch --from` reads.
func PresetPath(env Env, provider string) string {
	p := DefaultPath(env)
	if p == "" {
		return ""
	}
	return filepath.Join(filepath.Dir(p), "presets", provider+".json")
}

// SavePreset writes v as the provider's preset (mode 0600) and returns the
// path. The caller leaves out personal data and generated ids.
func SavePreset(env Env, provider string, v providers.Values) (string, error) {
	path := PresetPath(env, provider)
	if path == "" {
		return "", errors.New("no configuration directory (set XDG_CONFIG_HOME or HOME)")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	out := map[string]any{}
	names := v.Names()
	sort.Strings(names)
	for _, n := range names {
		if l := v.List(n); len(l) == 1 {
			out[n] = l[0]
		} else {
			out[n] = l
		}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return "", err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return "", err
	}
	return path, os.Rename(tmp, path)
}

// LoadPreset reads the provider's preset; no file is no preset.
func LoadPreset(env Env, provider string) (providers.Values, error) {
	path := PresetPath(env, provider)
	if path == "" {
		return nil, nil
	}
	return ReadPreset(path)
}

// ReadPreset reads a preset file; no file is no preset.
func ReadPreset(path string) (providers.Values, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, errors.New(path + ": " + err.Error())
	}
	v := providers.Values{}
	for name, x := range raw {
		switch x := x.(type) {
		case string:
			v.Add(name, x)
		case []any:
			for _, e := range x {
				if s, ok := e.(string); ok {
					v.Add(name, s)
				}
			}
		}
	}
	return v, nil
}
