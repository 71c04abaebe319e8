package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/BurntSushi/toml"

	"github.com/kycdesk/kycdesk/providers"
)

// A Profile is a desk profile: a named, saved launch setup — the provider,
// the values fixed for every launch, the few fields asked per customer, and
// the warnings already accepted. Its file, profiles/NAME.toml, is a
// contract (scripts and tests rely on it):
//
//	provider = "idenfy"
//	title = "Passport, Lithuanian"   # optional; shown on home
//	label = "Ticket number"          # optional desk label, asked and kept (see Label)
//	key = 1                          # optional: home's number key, pinned
//	asked = ["clientId"]
//	accepted = []
//	[values]
//	locale = "lt"
//	country = "LT"
//	documents = ["PASSPORT"]
//
// values holds wire names with a string or a list of strings each; asked
// lists the fields typed per customer; accepted lists the warning codes
// (providers.FieldError.Code) this profile has confirmed. The same keys
// make a [profiles.NAME] table in config.toml.
type Profile struct {
	// Name is the file name without .toml, or the config table's key.
	Name     string
	Provider string
	// Title is shown on home instead of the name; optional.
	Title string
	// Label, when set, is the title of a desk label asked with the asked
	// fields ("Ticket number"): non-personal text the desk uses to find the
	// session again, shown in lists and kept in the store. It is not sent
	// to the provider. The typed customer id itself is never stored.
	Label string
	// Key pins the profile's number key on home (1–9; 0 = not pinned:
	// the desk gives it a free one).
	Key      int
	Asked    []string
	Accepted []string
	// Values are the fixed values by wire name.
	Values providers.Values
	// Source says where the profile was read: its path, or
	// "config.toml [profiles.NAME]".
	Source string
	// lists names the values written as lists, kept as lists even with one
	// entry (documents = ["PASSPORT"]).
	lists map[string]bool
}

// SetValue fixes a value; list says it is written as a list (a
// multi-valued parameter) even with one entry.
func (p *Profile) SetValue(name string, list bool, vals ...string) {
	if p.Values == nil {
		p.Values = providers.Values{}
	}
	if p.lists == nil {
		p.lists = map[string]bool{}
	}
	p.Values.Set(name, vals...)
	p.lists[name] = list
}

// ProfileExt is a profile file's extension.
const ProfileExt = ".toml"

// Limits of the free-text keys, which home and lists show on one line.
const (
	MaxProfileName  = 64
	MaxProfileTitle = 80
	MaxLabelTitle   = 40
	MaxLabelValue   = 64
)

// profileName is what a profile may be called: a file name on every
// system, typed after --profile, with no dot (NAME.toml, NAME.toml.tmp).
var profileName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`) })

// CheckProfileName refuses names that are not safe as a file name.
func CheckProfileName(name string) error {
	switch {
	case name == "":
		return errors.New("a profile needs a name")
	case len(name) > MaxProfileName:
		return fmt.Errorf("profile name %q is longer than %d characters", name, MaxProfileName)
	case !profileName().MatchString(name):
		return fmt.Errorf("profile name %q: use letters, digits, - and _ only, starting with a letter or digit", name)
	}
	return nil
}

// Dir is kycdesk's configuration directory: $XDG_CONFIG_HOME/kycdesk, or
// $HOME/.config/kycdesk; "" when neither is set.
func Dir(env Env) string {
	if env == nil {
		env = os.Getenv
	}
	base := env("XDG_CONFIG_HOME")
	if base == "" {
		home := env("HOME")
		if home == "" {
			return ""
		}
		base = filepath.Join(home, ".config")
	}
	return filepath.Join(base, "kycdesk")
}

// ProfilesDir is where profile files live: Dir/profiles; "" when there is
// no configuration directory.
func ProfilesDir(env Env) string {
	d := Dir(env)
	if d == "" {
		return ""
	}
	return filepath.Join(d, "profiles")
}

// ProfileError is a profile that cannot be used, with where it is and why.
type ProfileError struct {
	Source string // a path, or "config.toml [profiles.NAME]"
	Err    error
}

func (e *ProfileError) Error() string { return e.Source + ": " + e.Err.Error() }
func (e *ProfileError) Unwrap() error { return e.Err }

// ListProfiles reads every NAME.toml in dir, sorted by name, so that home's
// number keys stay the same from one start to the next. A file that cannot
// be read is reported with its path and reason and left out; the others
// are still listed. A missing directory holds no profiles.
func ListProfiles(dir string) ([]Profile, []error) { return listProfiles(dir, readProfile) }

func listProfiles(dir string, read func(path, name string) (Profile, error)) ([]Profile, []error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || dir == "" {
		return nil, nil
	}
	if err != nil {
		return nil, []error{&ProfileError{Source: dir, Err: err}}
	}
	var out []Profile
	var problems []error
	for _, e := range entries { // os.ReadDir sorts by file name
		name, ok := strings.CutSuffix(e.Name(), ProfileExt)
		if !ok || e.IsDir() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if err := CheckProfileName(name); err != nil {
			problems = append(problems, &ProfileError{Source: path, Err: err})
			continue
		}
		p, err := read(path, name)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		out = append(out, p)
	}
	return out, problems
}

// ProfileCache lists profile files as ListProfiles does, reading and
// decoding a file again only when it changed (its modification time, size
// or mode): a served desk lists the profiles at every launch, and 50
// desks launching at once read and decoded every file each time (issue
// 18). A file changed less than racyWindow before it was read is read
// again each time until it is older (as git's racy-clean index): a
// file system's clock is coarse, and a rewrite of the same size in the
// same tick keeps the stamp. Each call returns its own copies. The zero
// value is ready to use.
type ProfileCache struct {
	mu    sync.Mutex
	files map[string]cachedProfile // by path
	reads int
}

// racyWindow is how much older than its reading a file's stamp must be
// for the stamp to say it has not changed since (FAT's 2 s ticks).
const racyWindow = 2 * time.Second

type cachedProfile struct {
	read time.Time // when it was read
	mod  int64     // UnixNano
	size int64
	mode fs.FileMode
	p    Profile
	err  error
}

// List lists dir's profiles (ListProfiles).
func (c *ProfileCache) List(dir string) ([]Profile, []error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := map[string]bool{}
	out, problems := listProfiles(dir, func(path, name string) (Profile, error) {
		seen[path] = true
		fi, err := os.Stat(path)
		if err != nil {
			delete(c.files, path)
			return readProfile(path, name) // its error, as ListProfiles gives it
		}
		if x, ok := c.files[path]; ok && x.mod == fi.ModTime().UnixNano() && x.size == fi.Size() && x.mode == fi.Mode() &&
			fi.ModTime().Before(x.read.Add(-racyWindow)) {
			return x.p.Clone(), x.err
		}
		now := time.Now()
		c.reads++
		p, err := readProfile(path, name)
		if c.files == nil {
			c.files = map[string]cachedProfile{}
		}
		c.files[path] = cachedProfile{read: now, mod: fi.ModTime().UnixNano(), size: fi.Size(), mode: fi.Mode(), p: p.Clone(), err: err}
		return p, err
	})
	for path := range c.files { // files gone from dir
		if filepath.Dir(path) == filepath.Clean(dir) && !seen[path] {
			delete(c.files, path)
		}
	}
	return out, problems
}

// Reads counts the files read and decoded so far.
func (c *ProfileCache) Reads() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads
}

// Clone returns a copy of the profile that shares nothing it can change.
func (p Profile) Clone() Profile {
	p.Asked = slices.Clone(p.Asked)
	p.Accepted = slices.Clone(p.Accepted)
	if p.Values != nil {
		p.Values = p.Values.Clone()
	}
	if p.lists != nil {
		p.lists = maps.Clone(p.lists)
	}
	return p
}

// LoadProfile reads dir/NAME.toml.
func LoadProfile(dir, name string) (Profile, error) {
	if err := CheckProfileName(name); err != nil {
		return Profile{}, err
	}
	return readProfile(filepath.Join(dir, name+ProfileExt), name)
}

func readProfile(path, name string) (Profile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Profile{}, &ProfileError{Source: path, Err: errors.Unwrap(err)}
	}
	var raw map[string]any
	if _, err := toml.Decode(string(b), &raw); err != nil {
		return Profile{}, &ProfileError{Source: path, Err: errors.New(TOMLError(err))}
	}
	p, err := profileFromTable(name, raw)
	if err != nil {
		return Profile{}, &ProfileError{Source: path, Err: err}
	}
	p.Source = path
	return p, nil
}

// profileFromTable decodes a profile from its TOML table (a file, or a
// [profiles.NAME] table), refusing unknown keys and values that are not a
// string or a list of strings.
func profileFromTable(name string, t map[string]any) (Profile, error) {
	p := Profile{Name: name, Values: providers.Values{}}
	str := func(key string, v any) (string, error) {
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("%s must be a string", key)
		}
		return s, nil
	}
	list := func(key string, v any) ([]string, error) {
		switch v := v.(type) {
		case []any:
			out := make([]string, 0, len(v))
			for _, x := range v {
				s, ok := x.(string)
				if !ok {
					return nil, fmt.Errorf("%s must list strings (write %v as \"%v\")", key, x, x)
				}
				out = append(out, s)
			}
			return out, nil
		case string:
			return nil, fmt.Errorf("%s must be a list, e.g. %s = [%q]", key, key, v)
		}
		return nil, fmt.Errorf("%s must be a list of strings", key)
	}
	var err error
	for _, key := range sortedKeys(t) {
		v := t[key]
		switch key {
		case "provider":
			p.Provider, err = str(key, v)
		case "title":
			p.Title, err = str(key, v)
		case "label":
			p.Label, err = str(key, v)
		case "key":
			n, ok := v.(int64)
			if !ok || n < 1 || n > 9 {
				return p, fmt.Errorf("key must be a number key from 1 to 9 (e.g. key = 1), not %v", v)
			}
			p.Key = int(n)
		case "asked":
			p.Asked, err = list(key, v)
		case "accepted":
			p.Accepted, err = list(key, v)
		case "values":
			vals, ok := v.(map[string]any)
			if !ok {
				return p, errors.New("values must be a table ([values])")
			}
			for _, n := range sortedKeys(vals) {
				switch x := vals[n].(type) {
				case string:
					p.SetValue(n, false, x)
				case []any:
					l, err := list("values."+n, x)
					if err != nil {
						return p, err
					}
					p.SetValue(n, true, l...)
				default:
					return p, fmt.Errorf("values.%s must be a string or a list of strings (write %v as \"%v\")", n, x, x)
				}
			}
		default:
			return p, fmt.Errorf("unknown key %q (a profile has provider, title, label, key, asked, accepted and [values])", key)
		}
		if err != nil {
			return p, err
		}
	}
	if p.Provider == "" {
		return p, errors.New(`provider is missing (e.g. provider = "idenfy")`)
	}
	return p, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// profileFile is the file layout, in the contract's key order.
type profileFile struct {
	Provider string         `toml:"provider"`
	Title    string         `toml:"title,omitempty"`
	Label    string         `toml:"label,omitempty"`
	Key      int            `toml:"key,omitzero"`
	Asked    []string       `toml:"asked"`
	Accepted []string       `toml:"accepted"`
	Values   map[string]any `toml:"values"`
}

// Encode is the profile's file text.
func (p Profile) Encode() ([]byte, error) {
	f := profileFile{Provider: p.Provider, Title: p.Title, Label: p.Label, Key: p.Key,
		Asked: nonNil(p.Asked), Accepted: nonNil(p.Accepted), Values: map[string]any{}}
	for _, n := range p.Values.Names() {
		if l := p.Values.List(n); len(l) == 1 && !p.lists[n] {
			f.Values[n] = l[0]
		} else {
			f.Values[n] = l
		}
	}
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(f); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// SaveProfile writes dir/NAME.toml atomically (a temporary file in the
// same directory, synced, then renamed), mode 0600 in a 0700 directory,
// and returns its path. Callers check the profile against the registry
// first (desk.CheckProfile).
func SaveProfile(dir string, p Profile) (string, error) {
	if dir == "" {
		return "", errors.New("no configuration directory (set XDG_CONFIG_HOME or HOME)")
	}
	if err := CheckProfileName(p.Name); err != nil {
		return "", err
	}
	b, err := p.Encode()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(dir, p.Name+ProfileExt)
	tmp, err := os.CreateTemp(dir, "."+p.Name+".*.tmp") // CreateTemp makes it 0600
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", err
	}
	return path, nil
}

// CheckLine refuses text that does not fit one line of a list: the
// reason, or "".
func CheckLine(s string, max int) string {
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Sprintf("is %d characters long; at most %d fit a line", n, max)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return fmt.Sprintf("must be printable text on one line (found %q)", r)
		}
	}
	return ""
}

// CheckLabelValue checks the desk label an operator types (a ticket
// number): printable, one line, at most MaxLabelValue characters. Empty is
// allowed: the label is optional per launch.
func CheckLabelValue(v string) error {
	if msg := CheckLine(strings.TrimSpace(v), MaxLabelValue); msg != "" {
		return errors.New(msg)
	}
	return nil
}

// CredentialNamed finds the provider's credential a profile value is
// named after (its environment name in any case, its Name, or its Name in
// snake_case): credentials never go in a profile.
func CredentialNamed(d providers.Descriptor, name string) (providers.Credential, bool) {
	for _, c := range d.Credentials {
		if strings.EqualFold(name, c.Env) || strings.EqualFold(name, c.Name) || name == snake(c.Name) {
			return c, true
		}
	}
	return providers.Credential{}, false
}

// Without returns a copy of the profile without the named values.
func (p Profile) Without(names ...string) Profile {
	p.Values = p.Values.Clone()
	lists := map[string]bool{}
	for k, v := range p.lists {
		lists[k] = v
	}
	for _, n := range names {
		delete(p.Values, n)
		delete(lists, n)
	}
	p.lists = lists
	return p
}

// profilesFromConfig decodes config.toml's [profiles.NAME] tables. A table
// that is not a profile makes the file an error, as any other bad setting.
func profilesFromConfig(path string, t map[string]any) ([]Profile, error) {
	var out []Profile
	for _, name := range sortedKeys(t) {
		src := fmt.Sprintf("%s [profiles.%s]", path, name)
		if err := CheckProfileName(name); err != nil {
			return nil, &ProfileError{Source: src, Err: err}
		}
		table, ok := t[name].(map[string]any)
		if !ok {
			return nil, &ProfileError{Source: src, Err: errors.New("must be a table")}
		}
		p, err := profileFromTable(name, table)
		if err != nil {
			return nil, &ProfileError{Source: src, Err: err}
		}
		p.Source = src
		out = append(out, p)
	}
	return out, nil
}

// DisplayTitle is what home shows: the title, or the name.
func (p Profile) DisplayTitle() string {
	if p.Title != "" {
		return p.Title
	}
	return p.Name
}
