package phonenumbers

import (
	"regexp"
	"sync"
)

// LazyRegexp is a regular expression compiled when first used.
//
// kycdesk patch: the package-level patterns were *regexp.Regexp compiled
// during package initialization, which cost every process importing the
// package about half a millisecond (VALID_PHONE_NUMBER_PATTERN and
// EXTN_PATTERN alone most of it) whether or not it ever parsed a number.
// The methods the library uses are forwarded; Regexp gives the compiled one.
type LazyRegexp struct {
	expr string
	once sync.Once
	re   *regexp.Regexp
}

func lazyRegexp(expr string) *LazyRegexp { return &LazyRegexp{expr: expr} }

// Regexp compiles the expression on first call and returns it.
func (l *LazyRegexp) Regexp() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.expr) })
	return l.re
}

func (l *LazyRegexp) String() string                 { return l.expr }
func (l *LazyRegexp) MatchString(s string) bool      { return l.Regexp().MatchString(s) }
func (l *LazyRegexp) FindIndex(b []byte) []int       { return l.Regexp().FindIndex(b) }
func (l *LazyRegexp) FindStringIndex(s string) []int { return l.Regexp().FindStringIndex(s) }
func (l *LazyRegexp) FindStringSubmatch(s string) []string {
	return l.Regexp().FindStringSubmatch(s)
}
func (l *LazyRegexp) FindAllString(s string, n int) []string {
	return l.Regexp().FindAllString(s, n)
}
func (l *LazyRegexp) ReplaceAllString(src, repl string) string {
	return l.Regexp().ReplaceAllString(src, repl)
}
func (l *LazyRegexp) ReplaceAllStringFunc(src string, repl func(string) string) string {
	return l.Regexp().ReplaceAllStringFunc(src, repl)
}
func (l *LazyRegexp) Split(s string, n int) []string { return l.Regexp().Split(s, n) }
