package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pimtray/pimtray/internal/engine"
)

// signinOptions are signin's flags and arguments.
type signinOptions struct {
	DeviceCode bool     // --device-code
	Args       []string // none are taken
}

// newCmdSignin is `pimtray signin`.
func newCmdSignin(r *runner, runF func(*signinOptions) int) *cobra.Command {
	o := &signinOptions{}
	cmd := &cobra.Command{
		Use:   "signin",
		Short: "sign in (in the browser, or with a code on another device)",
		Long: `Sign in to the tenant (--tenant ID, or your home tenant): the browser opens Microsoft's
sign-in page; with --device-code a code is printed to enter on another device. The sign-in
is kept in the keyring (sealed on disk, its key in the keyring), or in memory for this run
when the keyring is unavailable.`,
		Example: `  pimtray signin
  pimtray signin --tenant contoso.onmicrosoft.com
  pimtray signin --device-code`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE:              runE(o, &o.Args, runF, r.signin),
	}
	cmd.Flags().BoolVar(&o.DeviceCode, "device-code", false, "sign in with a code on another device")
	return cmd
}

func (r *runner) signin(o *signinOptions) int {
	deviceCode, pos := o.DeviceCode, o.Args
	var err error
	if len(pos) > 0 {
		return r.usage(fmt.Sprintf("signin takes no arguments, got %q (use --tenant ID)", pos[0]))
	}
	if code, ok := r.open(); !ok {
		return code
	}
	acc, err := r.eng.SignInNow(r.ctx, r.g.Tenant, engine.SignInOptions{DeviceCode: deviceCode,
		Prompt: func(msg string) { fmt.Fprintln(r.stderr, msg) }})
	if err != nil {
		if engine.IsInput(err) {
			return r.fail(ExitUsage, engine.HumanError(err))
		}
		return r.fail(ExitFailed, engine.HumanError(err))
	}
	r.demoLine()
	tenant := firstNonEmpty(acc.TenantName, acc.TenantID)
	switch acc.Storage {
	case "memory":
		fmt.Fprintf(r.stdout, "Signed in to %s as %s — not remembered: keyring unavailable.\n", tenant, acc.User)
	case "":
		fmt.Fprintf(r.stdout, "Signed in to %s as %s.\n", tenant, firstNonEmpty(acc.User, "(unknown user)"))
	default:
		fmt.Fprintf(r.stdout, "Signed in to %s as %s, kept in the %s.\n", tenant, acc.User, acc.Storage)
	}
	return ExitOK
}
