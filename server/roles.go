package server

import (
	"fmt"
	"sort"
	"strings"
)

// Roles is the [serve.roles] table of config.toml: which operators (by
// their name in the operators file) are supervisors. Everyone else is an
// operator, who sees and acts on their own desk's sessions only.
type Roles struct {
	Supervisors []string `toml:"supervisors"`
}

// Quotas is the [serve.quotas] table: launches allowed per desk and per
// operator per UTC hour and day (0 or absent: no limit). The store counts
// them (session.Quotas), so servers sharing one store enforce one count.
type Quotas struct {
	DeskPerHour     int `toml:"desk_per_hour"`
	DeskPerDay      int `toml:"desk_per_day"`
	OperatorPerHour int `toml:"operator_per_hour"`
	OperatorPerDay  int `toml:"operator_per_day"`
}

// check refuses a negative limit, by name.
func (q Quotas) check() error {
	var bad []string
	for _, l := range []struct {
		name string
		n    int
	}{{"desk_per_hour", q.DeskPerHour}, {"desk_per_day", q.DeskPerDay}, {"operator_per_hour", q.OperatorPerHour}, {"operator_per_day", q.OperatorPerDay}} {
		if l.n < 0 {
			bad = append(bad, fmt.Sprintf("%s = %d must be 0 (no limit) or more", l.name, l.n))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("[serve.quotas] %s", strings.Join(bad, "; "))
	}
	return nil
}

// check refuses a supervisor that set does not name, by name, and a name
// listed twice or blank.
func (r Roles) check(set *operatorSet, file string) error {
	known := set.nameSet()
	seen := map[string]bool{}
	var unknown, problems []string
	for _, n := range r.Supervisors {
		switch {
		case strings.TrimSpace(n) == "":
			problems = append(problems, "a name is empty")
		case seen[n]:
			problems = append(problems, fmt.Sprintf("%q is listed twice", n))
		case !known[n]:
			unknown = append(unknown, fmt.Sprintf("%q", n))
		}
		seen[n] = true
	}
	if len(unknown) > 0 {
		names := make([]string, 0, len(known))
		for n := range known {
			names = append(names, n)
		}
		sort.Strings(names)
		problems = append(problems, fmt.Sprintf("%s %s not in the operators file %s (its operators: %s)",
			strings.Join(unknown, ", "), map[bool]string{true: "is", false: "are"}[len(unknown) == 1], file, strings.Join(names, ", ")))
	}
	if len(problems) > 0 {
		return fmt.Errorf("[serve.roles] supervisors: %s", strings.Join(problems, "; "))
	}
	return nil
}

// nameSet is every operator's name.
func (o *operatorSet) nameSet() map[string]bool {
	out := make(map[string]bool, o.names)
	for _, n := range o.byKey {
		out[n] = true
	}
	return out
}

// supervisor reports whether the operator named name is a supervisor now:
// listed in [serve.roles] and in the operators file as last read (a
// supervisor removed from the file at a reload is one no longer).
func (s *Server) supervisor(name string) bool {
	if name == "" {
		return false
	}
	for _, n := range s.cfg.Roles.Supervisors {
		if n == name {
			return s.ops.set.Load().nameSet()[name]
		}
	}
	return false
}

// checkRolesOnReload logs, by name, each supervisor that a reloaded
// operators file no longer lists: they are refused (they cannot log in,
// and would not be a supervisor if they came back under another key
// without the name).
func (s *Server) checkRolesOnReload(set *operatorSet) {
	if err := s.cfg.Roles.check(set, s.cfg.OperatorsFile); err != nil {
		s.log.Error("operators reloaded: a supervisor is refused", "err", err)
	}
}
