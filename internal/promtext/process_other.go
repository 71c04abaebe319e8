//go:build !linux

package promtext

// withProcess registers nothing where /proc is not there: client_golang's
// process metrics elsewhere each needed their own system calls.
func (r *Registry) withProcess() {}
