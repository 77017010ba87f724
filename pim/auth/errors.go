package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"

	"github.com/pimtray/pimtray/pim"
)

var timeNow = time.Now

// idpError is the identity platform's error answer ({"error": ..., "error_description": ...}).
type idpError struct {
	Status      int    `json:"-"`
	Code        string `json:"error"`
	Description string `json:"error_description"`
	Codes       []int  `json:"error_codes"`
	SubError    string `json:"suberror"`
	Claims      string `json:"claims"`
}

// aadsts is the description's AADSTS code ("AADSTS50076"), or "".
func (e idpError) aadsts() string {
	i := strings.Index(e.Description, "AADSTS")
	if i < 0 {
		return ""
	}
	j := i + len("AADSTS")
	for j < len(e.Description) && e.Description[j] >= '0' && e.Description[j] <= '9' {
		j++
	}
	return e.Description[i:j]
}

// summary is the description's first sentence without trace ids, for people.
func (e idpError) summary() string {
	d := firstLine(e.Description)
	if i := strings.Index(d, " Trace ID:"); i > 0 {
		d = d[:i]
	}
	d = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(d), "."))
	if d == "" {
		d = firstLine(e.Code)
	}
	return d
}

// asIdpError finds the identity platform's answer in an MSAL error. The response body is read
// and put back, so it can be asked again.
func asIdpError(err error) (idpError, bool) {
	var ce msalerrors.CallErr
	if !errors.As(err, &ce) || ce.Resp == nil {
		return idpError{}, false
	}
	e := idpError{Status: ce.Resp.StatusCode}
	if ce.Resp.Body != nil {
		body, _ := io.ReadAll(io.LimitReader(ce.Resp.Body, 1<<20))
		ce.Resp.Body = io.NopCloser(bytes.NewReader(body))
		_ = json.Unmarshal(body, &e)
	}
	return e, true
}

// isNetwork: the identity platform could not be reached at all.
func isNetwork(err error) bool {
	var ue *url.Error
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ue) || errors.As(err, &ne) || errors.As(err, &oe)
}

// needsInteraction tells whether a silent attempt failed because the user must sign in (no
// account, no or a revoked refresh token, a claims challenge, consent), as opposed to the
// network, the service or the caller's context.
func needsInteraction(err error) bool {
	if unusableFile(err) != nil {
		return false // a sign-in would not help: the cache's file must be moved first
	}
	if errors.Is(err, errNoAccount) {
		return true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if e, ok := asIdpError(err); ok {
		switch e.Code {
		case "invalid_grant", "interaction_required", "consent_required", "login_required", "mfa_required":
			return true
		}
		return e.Status == 400 && e.Code == ""
	}
	if isNetwork(err) {
		return false
	}
	// MSAL's own cache misses ("refresh token not found", "no token found"): sign in.
	return true
}

// reason is a short, secret-free description of an error for debug logs.
func reason(err error) string {
	if errors.Is(err, errNoAccount) {
		return "no account"
	}
	if e, ok := asIdpError(err); ok {
		return fmt.Sprintf("%d %s %s", e.Status, e.Code, e.aadsts())
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err.Error()
	}
	if isNetwork(err) {
		return "network"
	}
	return "other"
}

// failure words a token failure that is not "sign in needed".
func (s *Session) failure(ctx context.Context, err error) error {
	name := s.displayTenant()
	if ctx.Err() != nil {
		return fmt.Errorf("token for %s: %w", name, ctx.Err())
	}
	if f := unusableFile(err); f != nil {
		return &pim.Error{Kind: pim.KindOther, Text: sentence(f.Error())}
	}
	host := s.authorityHost()
	if e, ok := asIdpError(err); ok {
		switch {
		case tenantNotFound(e, err):
			return &pim.Error{Kind: pim.KindOther, StatusCode: e.Status, Code: e.Code,
				Text: fmt.Sprintf("Tenant %q was not found at %s: check the tenant id (its GUID or a domain like contoso.onmicrosoft.com).", s.tenant, host)}
		case e.Status == 429 || e.Status >= 500:
			return &pim.Error{Kind: pim.KindUnavailable, StatusCode: e.Status, Code: e.Code,
				Text: fmt.Sprintf("The sign-in service at %s is not answering properly (HTTP %d): try again in a moment.", host, e.Status)}
		case e.Code == "invalid_scope" || e.Code == "consent_required" || e.aadsts() == "AADSTS65001" || e.aadsts() == "AADSTS65002":
			return &pim.Error{Kind: pim.KindPermission, StatusCode: e.Status, Code: e.Code, Permission: e.aadsts(),
				Text: fmt.Sprintf("Sign-in to %s was refused: the app has no consent for the permissions pimtray needs (%s); an admin must grant consent, see the README.", name, e.summary())}
		case e.Code == "invalid_client" || e.Code == "unauthorized_client" || e.aadsts() == "AADSTS700016":
			return &pim.Error{Kind: pim.KindOther, StatusCode: e.Status, Code: e.Code,
				Text: fmt.Sprintf("Sign-in to %s was refused for this client id: %s.", name, e.summary())}
		}
		return &pim.Error{Kind: pim.KindOther, StatusCode: e.Status, Code: e.Code,
			Text: fmt.Sprintf("Sign-in to %s failed: %s.", name, e.summary())}
	}
	if isNetwork(err) {
		return &pim.Error{Kind: pim.KindUnavailable,
			Text: fmt.Sprintf("Cannot reach the sign-in service at %s: %s.", host, netReason(err))}
	}
	if strings.Contains(err.Error(), "openid-configuration") || strings.Contains(err.Error(), "resolve") && strings.Contains(err.Error(), "endpoint") {
		return &pim.Error{Kind: pim.KindOther,
			Text: fmt.Sprintf("Tenant %q was not found at %s: check the tenant id (its GUID or a domain like contoso.onmicrosoft.com).", s.tenant, host)}
	}
	return &pim.Error{Kind: pim.KindOther, Text: fmt.Sprintf("Sign-in to %s failed: %s.", name, strings.TrimSuffix(firstLine(err.Error()), "."))}
}

// interactiveFailure words a failed browser or device-code sign-in. parent is the caller's
// context, ctx the one bounded by the sign-in timeout; opened tells whether the page was shown.
func (s *Session) interactiveFailure(parent, ctx context.Context, err error, opened bool) error {
	name := s.displayTenant()
	switch {
	case unusableFile(err) != nil:
		return s.failure(parent, err)
	case parent.Err() != nil:
		return fmt.Errorf("sign in to %s: %w", name, parent.Err())
	case ctx.Err() != nil:
		return &pim.Error{Kind: pim.KindSignInNeeded,
			Text: fmt.Sprintf("The sign-in to %s was not finished within %s: sign in again when ready.", name, s.timeout)}
	}
	var oe *openError
	if errors.As(err, &oe) {
		return &pim.Error{Kind: pim.KindSignInNeeded,
			Text: fmt.Sprintf("The browser could not finish the sign-in to %s (%s); if it cannot reach this computer's localhost, use `pimtray signin --device-code`.", name, strings.TrimSuffix(firstLine(oe.err.Error()), "."))}
	}
	var op *net.OpError
	if !opened && errors.As(err, &op) && op.Op == "listen" {
		return &pim.Error{Kind: pim.KindOther,
			Text: fmt.Sprintf("Cannot listen on %s for the sign-in reply (%s): choose another redirect port or use `pimtray signin --device-code`.", s.redirectDisplay(), op.Err)}
	}
	if e, ok := asIdpError(err); ok {
		switch e.Code {
		case "authorization_declined", "access_denied":
			return s.cancelled(e.summary())
		case "expired_token":
			return &pim.Error{Kind: pim.KindSignInNeeded,
				Text: fmt.Sprintf("The code expired before the sign-in to %s was finished: sign in again.", name)}
		}
		return s.failure(parent, err)
	}
	if opened && !isNetwork(err) {
		// The loopback listener got the identity platform's error instead of a code: the user
		// cancelled, or the platform refused (MSAL hands over error_description only).
		return s.cancelled(strings.TrimSpace(firstLine(err.Error())))
	}
	return s.failure(parent, err)
}

func (s *Session) cancelled(why string) error {
	text := fmt.Sprintf("The sign-in to %s was cancelled in the browser.", s.displayTenant())
	if why = strings.TrimSuffix(strings.TrimSpace(why), "."); why != "" {
		if i := strings.Index(why, " Trace ID:"); i > 0 {
			why = why[:i]
		}
		text = fmt.Sprintf("The sign-in to %s was cancelled or refused in the browser: %s.", s.displayTenant(), why)
	}
	return &pim.Error{Kind: pim.KindSignInNeeded, Text: text}
}

func tenantNotFound(e idpError, err error) bool {
	switch e.aadsts() {
	case "AADSTS90002", "AADSTS900023", "AADSTS90023":
		return true
	}
	if e.Code == "invalid_tenant" {
		return true
	}
	// A failed OIDC discovery (GET .../v2.0/.well-known/openid-configuration) means no such tenant.
	return (e.Status == 400 || e.Status == 404) && strings.Contains(err.Error(), "openid-configuration")
}

func (s *Session) authorityHost() string {
	u, err := url.Parse(s.opts.Cloud.AuthorityHost)
	if err != nil || u.Host == "" {
		return s.opts.Cloud.AuthorityHost
	}
	return u.Host
}

func (s *Session) redirectDisplay() string {
	if s.opts.RedirectURI != "" {
		return s.opts.RedirectURI
	}
	return "http://localhost"
}

func netReason(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return firstLine(ue.Err.Error())
	}
	return firstLine(err.Error())
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// unusableFile is the TokenCache's error for a stored file pimtray will not read (see
// TokenCache), nil for any other error.
func unusableFile(err error) error {
	var f interface {
		error
		UnusableFile() bool
	}
	if err != nil && errors.As(err, &f) && f.UnusableFile() {
		return f
	}
	return nil
}

// sentence is s with a capital first letter and a full stop.
func sentence(s string) string {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:] + "."
}
