package pim

import "time"

// Kind sorts Azure's refusals into what pimtray does about them. Compare with errors.Is and the
// Err constants (or the Kind constants, which are the same values):
//
//	if errors.Is(err, pim.ErrAlreadyActive) { ... }
type Kind int

const (
	KindOther         Kind = iota
	KindAlreadyActive      // RoleAssignmentExists
	KindRequestExists      // RoleAssignmentRequestExists
	KindPolicy             // RoleAssignmentRequestPolicyValidationFailed; Error.Rules says which
	KindAuthContext        // RoleAssignmentRequestAcrsValidationFailed or 401 insufficient_claims; Error.Claims
	KindTooShort           // ActiveDurationTooShort: deactivate within 5 minutes of activating
	KindNotFound           // RoleAssignmentDoesNotExist (also: not yet propagated)
	KindThrottled          // 429; Error.RetryAfter
	KindPermission         // 403 / PermissionScopeNotGranted / consent missing; Error.Permission names it
	KindSignInNeeded       // no usable token without an interactive sign-in
	KindBadResponse        // Azure answered something pimtray could not read
	KindUnavailable        // network failure or 5xx after retries
)

// Sentinels for errors.Is: constants, so no caller can reassign or change them. An *Error matches
// the sentinel of its Kind (a Kind is itself an error, as syscall.Errno is).
const (
	ErrAlreadyActive = KindAlreadyActive
	ErrRequestExists = KindRequestExists
	ErrPolicy        = KindPolicy
	ErrAuthContext   = KindAuthContext
	ErrTooShort      = KindTooShort
	ErrNotFound      = KindNotFound
	ErrThrottled     = KindThrottled
	ErrPermission    = KindPermission
	ErrSignInNeeded  = KindSignInNeeded
	ErrBadResponse   = KindBadResponse
	ErrUnavailable   = KindUnavailable
)

// Error names the kind, for a Kind used as an error on its own (the sentinels); an *Error of that
// kind says more.
func (k Kind) Error() string {
	switch k {
	case KindAlreadyActive:
		return "the role is already active"
	case KindRequestExists:
		return "a request for the role is already pending"
	case KindPolicy:
		return "the role's policy refused the request"
	case KindAuthContext:
		return "the role needs a stronger sign-in"
	case KindTooShort:
		return "the role was activated less than 5 minutes ago"
	case KindNotFound:
		return "the role assignment was not found"
	case KindThrottled:
		return "Azure asked to slow down"
	case KindPermission:
		return "a permission is missing"
	case KindSignInNeeded:
		return "sign-in needed"
	case KindBadResponse:
		return "Azure answered something pimtray could not read"
	case KindUnavailable:
		return "Azure is unavailable"
	}
	return "azure pim error"
}

// Policy rule names as Azure reports them in RoleAssignmentRequestPolicyValidationFailed.
const (
	RuleExpiration    = "ExpirationRule"
	RuleJustification = "JustificationRule"
	RuleTicketing     = "TicketingRule"
	RuleMFA           = "MfaRule"
)

// Error is a refusal from Azure (or from pimtray before sending), written for people.
type Error struct {
	Kind  Kind
	Plane Plane
	// Role is the role's label ("Owner · IT") when the error is about one role.
	Role string
	// Code and Message are Azure's own (error.code, error.message); StatusCode the HTTP status.
	Code       string
	Message    string
	StatusCode int
	// Rules are the failed policy rules (KindPolicy): ExpirationRule, JustificationRule, TicketingRule, MfaRule.
	Rules []string
	// Claims is the claims challenge to sign in with (KindAuthContext), as JSON
	// ({"access_token":{"acrs":{"essential":true,"value":"c1"}}}).
	Claims string
	// Permission names the missing permission or consent (KindPermission), when Azure said it.
	Permission string
	// RetryAfter is how long Azure asked to wait (KindThrottled).
	RetryAfter time.Duration
	// Max and Asked are set for an ExpirationRule failure when known.
	Max, Asked time.Duration
	// Text, when set, is the whole human sentence; Error() builds one otherwise.
	Text string
	// Err is the underlying cause (a transport error, a token error, a decoding error), when any.
	Err error
}

// Unwrap gives the underlying cause, so errors.Is(err, context.DeadlineExceeded) and similar work.
func (e *Error) Unwrap() error { return e.Err }

// Is matches the sentinel of the same Kind (errors.Is(err, pim.ErrPolicy)). KindOther has no
// sentinel: nothing matches it.
func (e *Error) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k != KindOther && k == e.Kind
}

// Error is one sentence for people. (The pim client fills Text for most errors; this is the fallback.)
func (e *Error) Error() string {
	if e.Text != "" {
		return e.Text
	}
	if e.Message != "" {
		return e.Message
	}
	if e.Code != "" {
		return e.Code
	}
	return "azure pim error"
}
