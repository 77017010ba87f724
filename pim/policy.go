package pim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// How long a role's policy is trusted: policies rarely change. An unreadable one is asked
// again sooner, in case consent was granted meanwhile.
const (
	policyTTL        = time.Hour
	unknownPolicyTTL = 10 * time.Minute
)

type policyEntry struct {
	policy  Policy
	fetched time.Time
}

// Policy reads the role's activation policy (maximum duration, justification, ticket, MFA,
// approval, authentication context), cached per role for an hour. When Azure refuses to show it
// (401/403: an eligible-only user may not read policies) it returns Policy{Known: false} and no
// error: the activation's own answer will then tell what is needed.
func (c *Client) Policy(ctx context.Context, role Role) (Policy, error) {
	key := role.Key()
	now := c.now()
	c.mu.Lock()
	if e, ok := c.policies[key]; ok {
		ttl := policyTTL
		if !e.policy.Known {
			ttl = unknownPolicyTTL
		}
		if now.Sub(e.fetched) < ttl && !now.Before(e.fetched) {
			c.mu.Unlock()
			return e.policy, nil
		}
	}
	c.mu.Unlock()

	p, err := c.fetchPolicy(ctx, role)
	if err != nil {
		var pe *Error
		if errors.As(err, &pe) && (pe.StatusCode == http.StatusUnauthorized || pe.StatusCode == http.StatusForbidden) {
			c.log.Info("policy not readable; the activation's answer will tell what it needs",
				"role", role.Label(), "status", pe.StatusCode, "code", pe.Code)
			p, err = Policy{Known: false}, nil
		} else {
			return Policy{}, err
		}
	}
	c.mu.Lock()
	c.policies[key] = policyEntry{policy: p, fetched: now}
	c.mu.Unlock()
	return p, nil
}

func (c *Client) fetchPolicy(ctx context.Context, role Role) (Policy, error) {
	cl := roleCall(opPolicy, role)
	var (
		list []policyAssignment
		err  error
	)
	switch role.Plane {
	case PlaneEntra:
		filter := fmt.Sprintf("scopeId eq '/' and scopeType eq 'DirectoryRole' and roleDefinitionId eq '%s'", odataString(role.RoleID))
		list, err = listAll(ctx, c, graphAPI, c.graphEndpoint("/policies/roleManagementPolicyAssignments",
			"$filter", filter, "$expand", "policy($expand=rules)"), cl, decodeGraphPolicyAssignments)
	case PlaneGroup:
		filter := fmt.Sprintf("scopeId eq '%s' and scopeType eq 'Group' and roleDefinitionId eq '%s'", odataString(role.Scope), odataString(role.RoleID))
		list, err = listAll(ctx, c, graphAPI, c.graphEndpoint("/policies/roleManagementPolicyAssignments",
			"$filter", filter, "$expand", "policy($expand=rules)"), cl, decodeGraphPolicyAssignments)
	case PlaneAzure:
		if role.Scope == "" {
			return Policy{}, cl.err(&Error{Kind: KindOther, Text: "pimtray does not know the scope of " + role.Label() + "."})
		}
		list, err = listAll(ctx, c, armAPI, c.armEndpoint(role.Scope+"/providers/Microsoft.Authorization/roleManagementPolicyAssignments",
			"$filter", fmt.Sprintf("roleDefinitionId eq '%s'", odataString(role.RoleID))), cl, decodeARMPolicyAssignments)
	default:
		return Policy{}, cl.err(&Error{Kind: KindOther, Text: fmt.Sprintf("pimtray knows no plane %q.", string(role.Plane))})
	}
	if err != nil {
		return Policy{}, err
	}
	if pa, ok := pickAssignment(list, role); ok {
		return pa.Policy, nil
	}
	c.log.Info("no activation policy found for the role", "role", role.Label(), "assignments", len(list))
	return Policy{Known: false}, nil
}

// pickAssignment chooses the assignment for the role among what the filter returned: same role
// (ARM: same role definition GUID), with rules, preferring the role's own scope.
func pickAssignment(list []policyAssignment, role Role) (policyAssignment, bool) {
	sameID := func(a string) bool {
		if role.Plane == PlaneAzure {
			return strings.EqualFold(lastSegment(a), lastSegment(role.RoleID))
		}
		return strings.EqualFold(a, role.RoleID)
	}
	var best policyAssignment
	found := false
	for _, pa := range list {
		if !pa.Policy.Known || (pa.RoleID != "" && !sameID(pa.RoleID)) {
			continue
		}
		if !found || strings.EqualFold(strings.TrimRight(pa.Scope, "/"), strings.TrimRight(role.Scope, "/")) {
			best, found = pa, true
		}
	}
	return best, found
}

// odataString escapes a value for an OData string literal by doubling each single quote.
func odataString(s string) string { return strings.ReplaceAll(s, "'", "''") }
