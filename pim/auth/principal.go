package auth

import (
	"context"
	"time"

	"github.com/pimtray/pimtray/pim"
)

var _ pim.PrincipalSource = (*Session)(nil)

// Principal is the signed-in user as the sign-in already knows them, with no network call: the
// object id the ID token of this tenant's authority carries (its oid, MSAL's LocalAccountID; a
// guest's id in this tenant, not in the home one), the user name, and the tenant (the account's
// realm). ok is false when nobody is signed in or the account names no object id. pim.Client.Me
// takes it before asking Graph's /me.
func (s *Session) Principal() (p pim.Principal, tenantID string, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, ok := s.msalAccount(ctx, s.graph)
	if !ok || a.LocalAccountID == "" {
		return pim.Principal{}, "", false
	}
	return pim.Principal{ID: a.LocalAccountID, UserPrincipalName: a.PreferredUsername}, a.Realm, true
}
