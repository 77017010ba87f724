package pim

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

type claimsKey struct{}

// WithClaims returns a context whose requests ask for a token carrying these claims (a claims
// challenge as JSON, e.g. {"access_token":{"acrs":{"essential":true,"value":"c1"}}}), as needed
// after an Error of KindAuthContext. The sign-in package reads it too, to step up interactively.
func WithClaims(ctx context.Context, claims string) context.Context {
	return context.WithValue(ctx, claimsKey{}, claims)
}

// ClaimsFrom returns the claims WithClaims put in ctx, or "".
func ClaimsFrom(ctx context.Context) string {
	s, _ := ctx.Value(claimsKey{}).(string)
	return s
}

type rejectedKey struct{}

// WithRejectedToken returns a context whose token requests say that Azure refused token with
// a plain 401 (no claims challenge) before its expiry — a revocation, a service that forgot
// it, a clock jump. The credential drops that token from its cache and gets a new one
// silently (with the refresh token), never reusing it. The token stays in memory only.
func WithRejectedToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, rejectedKey{}, token)
}

// RejectedTokenFrom returns the token WithRejectedToken put in ctx, or "".
func RejectedTokenFrom(ctx context.Context) string {
	s, _ := ctx.Value(rejectedKey{}).(string)
	return s
}

// authorize is the bearer policy's OnRequest hook. Without claims it lets the policy use its
// cached token. With claims it must not: azcore's bearer policy caches one token per pipeline
// and hands it back whatever the TokenRequestOptions say, so a cached token without the claims
// would be reused. Such a request therefore gets its own token straight from the credential (the
// credential keeps its own cache and knows about claims), and the policy's cache is left alone.
func (c *Client) authorize(scope string) func(*policy.Request, func(policy.TokenRequestOptions) error) error {
	return func(req *policy.Request, authNZ func(policy.TokenRequestOptions) error) error {
		ctx := req.Raw().Context()
		tro := policy.TokenRequestOptions{Scopes: []string{scope}}
		claims := ClaimsFrom(ctx)
		if claims != "" || RejectedTokenFrom(ctx) != "" {
			// With a rejected token, the policy's cache may still hold it too: ask the credential.
			tro.Claims, tro.EnableCAE = claims, true
			tk, err := c.cred.GetToken(ctx, tro)
			if err != nil {
				return &tokenError{err}
			}
			req.Raw().Header.Set("Authorization", "Bearer "+tk.Token)
			c.noteToken(tk.Token)
			return nil
		}
		if err := authNZ(tro); err != nil {
			return err // already a tokenError from challengeCredential
		}
		c.noteToken(strings.TrimPrefix(req.Raw().Header.Get("Authorization"), "Bearer "))
		return nil
	}
}

// tokenError marks a failure to get a token, so it is never mistaken for a network failure
// (nothing was sent) and the credential's own *Error passes through unchanged.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return "get token: " + e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

// challengeCredential wraps the credential given to the bearer policies. When Azure answers
// 401 with an insufficient_claims challenge, azcore asks the credential for a token with the
// challenge's claims; a credential that cannot get one silently (it needs an interactive
// step-up) fails there. That failure becomes an Error of KindAuthContext carrying the claims,
// so the caller can sign in with them and retry.
type challengeCredential struct{ cred azcore.TokenCredential }

func (c challengeCredential) GetToken(ctx context.Context, tro policy.TokenRequestOptions) (azcore.AccessToken, error) {
	tk, err := c.cred.GetToken(ctx, tro)
	if err == nil {
		return tk, nil
	}
	if tro.Claims != "" && tro.Claims != ClaimsFrom(ctx) {
		// The cause is kept as text only: this error must not also match ErrSignInNeeded, or a
		// caller could answer it with a plain sign-in that lacks the claims.
		return tk, &tokenError{&Error{Kind: KindAuthContext, StatusCode: 401, Claims: tro.Claims,
			Err: errors.New(err.Error()), Text: authContextSentence(tro.Claims)}}
	}
	return tk, &tokenError{err}
}

func authContextSentence(claims string) string {
	if v := authContextValue(claims); v != "" {
		return "Azure asks for a fresh sign-in with authentication context " + v + "."
	}
	return "Azure asks for a fresh, stronger sign-in (a claims challenge)."
}

// tokenIdentity is what an access token says about its user. The token itself is never kept.
type tokenIdentity struct {
	ObjectID, TenantID, UPN, Name string
}

// noteToken reads the identity claims of an access token (without checking its signature:
// it is used only to learn who and which tenant, never to trust anything).
func (c *Client) noteToken(token string) tokenIdentity {
	id := parseTokenIdentity(token)
	if id.ObjectID == "" && id.TenantID == "" {
		return id
	}
	c.mu.Lock()
	c.fromToken = id
	c.mu.Unlock()
	return id
}

func parseTokenIdentity(token string) tokenIdentity {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return tokenIdentity{}
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return tokenIdentity{}
	}
	var cl struct {
		OID               string `json:"oid"`
		TID               string `json:"tid"`
		UPN               string `json:"upn"`
		PreferredUsername string `json:"preferred_username"`
		UniqueName        string `json:"unique_name"`
		Name              string `json:"name"`
	}
	if json.Unmarshal(payload, &cl) != nil {
		return tokenIdentity{}
	}
	return tokenIdentity{ObjectID: cl.OID, TenantID: cl.TID, UPN: firstNonEmpty(cl.UPN, cl.PreferredUsername, cl.UniqueName), Name: cl.Name}
}
