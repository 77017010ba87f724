package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pimtray/pimtray/internal/engine"
)

// signoutOptions are signout's arguments.
type signoutOptions struct {
	Args []string // none are taken
}

// newCmdSignout is `pimtray signout`.
func newCmdSignout(r *runner, runF func(*signoutOptions) int) *cobra.Command {
	o := &signoutOptions{}
	cmd := &cobra.Command{
		Use:   "signout",
		Short: "forget a sign-in",
		Long: `Forget the sign-in to the tenant (--tenant ID, or the only one): its sealed cache and the
key in the keyring.`,
		Example: `  pimtray signout
  pimtray signout --tenant contoso.onmicrosoft.com`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE:              runE(o, &o.Args, runF, r.signout),
	}
	return cmd
}

func (r *runner) signout(o *signoutOptions) int {
	pos := o.Args
	if len(pos) > 0 {
		return r.usage(fmt.Sprintf("signout takes no arguments, got %q (use --tenant ID)", pos[0]))
	}
	if code, ok := r.open(); !ok {
		return code
	}
	accounts := r.eng.Tenants()
	if err := r.eng.SignOutNow(r.ctx, r.g.Tenant); err != nil {
		if engine.IsInput(err) {
			return r.fail(ExitUsage, engine.HumanError(err))
		}
		return r.fail(ExitFailed, engine.HumanError(err))
	}
	r.demoLine()
	tenant := r.g.Tenant
	for _, a := range accounts {
		if r.inTenant(a.TenantID) {
			tenant = firstNonEmpty(a.TenantName, a.TenantID)
			break
		}
	}
	fmt.Fprintf(r.stdout, "Signed out of %s.\n", tenant)
	return ExitOK
}
