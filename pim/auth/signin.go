package auth

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/pkg/browser"

	"github.com/pimtray/pimtray/pim"
)

// SignInOptions choose how SignIn asks the user.
type SignInOptions struct {
	// DeviceCode uses the device-code flow instead of the browser: Prompt gets
	// "To sign in, open https://… and enter code ABCD" for the user to do on any device.
	DeviceCode bool
	// Prompt shows a message to the user (required for DeviceCode).
	Prompt func(message string)
}

// SignIn signs the user in interactively: the browser (or a device code), once, for Graph;
// then ARM silently from the same sign-in (a second prompt only when ARM uses another client id
// that has no sign-in yet, or needs its own consent). The sign-in is kept in the Cache.
func (s *Session) SignIn(ctx context.Context, o SignInOptions) (Account, error) {
	if o.DeviceCode && o.Prompt == nil {
		return Account{}, errors.New("sign in with a device code: nowhere to show the code")
	}
	unlock, err := s.lockInteractive(ctx)
	if err != nil {
		return Account{}, err
	}
	defer unlock()
	// A sign-in the user asked for renews every plane: an access token Azure stopped
	// accepting must not come back from the cache for ARM after a new Graph sign-in.
	s.renewMu.Lock()
	s.renewed = nil
	s.renewMu.Unlock()
	if n, err := s.shared.dropAccessTokens(ctx, ""); err != nil || n > 0 {
		if unusableFile(err) != nil {
			// The sign-in could not be kept: say why before a browser round trip, not after.
			return Account{}, s.failure(ctx, err)
		}
		s.log.Debug("access tokens dropped before the sign-in", "dropped", n, "err", err)
	}
	ar, err := s.interactive(ctx, s.graph, GraphScopes(s.opts.Cloud), "", o)
	if err != nil {
		return Account{}, err
	}
	acct := ar.Account
	if s.armCred == nil {
		armScopes := []string{s.opts.Cloud.ARMScope()}
		if _, err := s.silent(ctx, s.arm, armScopes, ""); err != nil {
			if !needsInteraction(err) {
				// Not a sign-in matter (network, service): the ARM plane will say so when used.
				s.log.Warn("no ARM token after sign-in", "reason", reason(err))
			} else if _, err := s.interactive(ctx, s.arm, armScopes, "", o); err != nil {
				return toAccount(acct), fmt.Errorf("signed in for Entra roles and groups, but not for Azure roles: %w", err)
			}
		}
	}
	s.log.Info("signed in", "account_tenant", acct.Realm)
	return toAccount(acct), nil
}

// SignOut forgets the sign-in: the accounts in every client's cache, then the stored cache
// itself (the sealed file and its key).
func (s *Session) SignOut(ctx context.Context) error {
	clients := []*client{s.graph}
	if s.arm != s.graph {
		clients = append(clients, s.arm)
	}
	for _, c := range clients {
		accounts, err := c.pca.Accounts(ctx)
		if err != nil {
			continue
		}
		for _, a := range accounts {
			if err := c.pca.RemoveAccount(ctx, a); err != nil {
				s.log.Debug("remove account", "err", reason(err))
			}
		}
	}
	s.mu.Lock()
	s.account = nil
	s.mu.Unlock()
	if err := s.cache.Delete(ctx); err != nil {
		return fmt.Errorf("sign out of %s: %w", s.displayTenant(), err)
	}
	s.log.Info("signed out")
	return nil
}

// openError is the browser (or the OpenURL func) failing to show the page or to reach back.
type openError struct{ err error }

func (e *openError) Error() string { return e.err.Error() }
func (e *openError) Unwrap() error { return e.err }

// interactive acquires a token with the user: the browser (loopback redirect) or a device code.
// The caller holds the interactive lock.
func (s *Session) interactive(parent context.Context, c *client, scopes []string, claims string, o SignInOptions) (public.AuthResult, error) {
	ctx, cancel := context.WithTimeout(parent, s.timeout)
	defer cancel()
	if o.DeviceCode {
		return s.deviceCode(parent, ctx, c, scopes, claims, o)
	}
	var opened atomic.Bool
	open := func(u string) error {
		opened.Store(true)
		s.log.Debug("opening the sign-in page", "client", c.id, "claims", claims != "")
		f := s.openURL
		if f == nil {
			f = browser.OpenURL
		}
		if err := f(u); err != nil {
			return &openError{err}
		}
		return nil
	}
	redirect := s.opts.RedirectURI
	if redirect == "" {
		redirect = "http://localhost"
	}
	opts := []public.AcquireInteractiveOption{public.WithOpenURL(open), public.WithRedirectURI(redirect)}
	if claims != "" {
		opts = append(opts, public.WithClaims(claims))
	}
	if acct, ok := s.knownAccount(); ok && acct.PreferredUsername != "" {
		opts = append(opts, public.WithLoginHint(acct.PreferredUsername))
	}
	ar, err := c.pca.AcquireTokenInteractive(ctx, scopes, opts...)
	if err != nil {
		return public.AuthResult{}, s.interactiveFailure(parent, ctx, err, opened.Load())
	}
	s.signedIn(c, ar.Account)
	return ar, nil
}

func (s *Session) deviceCode(parent, ctx context.Context, c *client, scopes []string, claims string, o SignInOptions) (public.AuthResult, error) {
	var opts []public.AcquireByDeviceCodeOption
	if claims != "" {
		opts = append(opts, public.WithClaims(claims))
	}
	dc, err := c.pca.AcquireTokenByDeviceCode(ctx, scopes, opts...)
	if err != nil {
		return public.AuthResult{}, s.interactiveFailure(parent, ctx, err, false)
	}
	o.Prompt(fmt.Sprintf("To sign in, open %s and enter code %s", dc.Result.VerificationURL, dc.Result.UserCode))
	ar, err := dc.AuthenticationResult(ctx)
	if err != nil {
		if parent.Err() == nil && ctx.Err() == nil && dc.Result.ExpiresOn.Before(timeNow()) {
			return public.AuthResult{}, &pim.Error{Kind: pim.KindSignInNeeded,
				Text: fmt.Sprintf("The code expired before the sign-in to %s was finished: sign in again.", s.displayTenant())}
		}
		return public.AuthResult{}, s.interactiveFailure(parent, ctx, err, true)
	}
	s.signedIn(c, ar.Account)
	return ar, nil
}

func (s *Session) knownAccount() (public.Account, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.account == nil {
		return public.Account{}, false
	}
	return *s.account, true
}

func (s *Session) signedIn(c *client, a public.Account) {
	if c != s.graph {
		return
	}
	s.mu.Lock()
	s.account = &a
	s.mu.Unlock()
}
