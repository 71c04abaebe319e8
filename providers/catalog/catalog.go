// Package catalog lists the providers kycdesk offers, in the order the home
// screen shows them. The UI, the CLI and the sandbox all read this list.
package catalog

import (
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/alibaba"
	"github.com/kycdesk/kycdesk/providers/dws"
	"github.com/kycdesk/kycdesk/providers/idenfy"
)

// All returns every provider.
func All() providers.Registry {
	return providers.Registry{idenfy.Descriptor(), alibaba.Descriptor(), dws.Descriptor()}
}
