// Package providers holds what every identity-verification provider shares:
// the parameter spec, field errors, launch results, statuses, typed errors,
// request dumping with secrets masked, and the descriptor the registry lists.
//
// A provider package (providers/idenfy, providers/alibaba, providers/dws) owns
// all knowledge of its API: fields, rules, wire format, signing, error codes
// and a simulator. Forms, the CLI, the review screen and the sandbox read that
// knowledge from here; nothing in this package knows a provider by name.
package providers
