package pim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// PolicyBatches groups roles by what one policy read can answer: every Entra directory role in
// one listing (scopeId '/' and scopeType 'DirectoryRole'; administrative-unit roles take the
// directory's policy), both accesses of a group in one (scopeId the group, scopeType 'Group'), and
// an Azure role by itself (ARM's list at a scope holds every role definition's assignment, far
// more than the user's; filtered by role it is one small page). Batches come largest first, each
// role once, so a budget of reads covers the most roles.
func PolicyBatches(roles []Role) [][]Role {
	byKey := map[string][]Role{}
	var order []string
	seen := map[string]bool{}
	for _, r := range roles {
		if seen[r.Key()] {
			continue
		}
		seen[r.Key()] = true
		var k string
		switch r.Plane {
		case PlaneEntra:
			k = "entra|" + strings.ToLower(r.TenantID)
		case PlaneGroup:
			k = "group|" + strings.ToLower(r.TenantID) + "|" + strings.ToLower(r.Scope)
		default:
			k = "role|" + r.Key()
		}
		if _, ok := byKey[k]; !ok {
			order = append(order, k)
		}
		byKey[k] = append(byKey[k], r)
	}
	out := make([][]Role, 0, len(order))
	for _, k := range order {
		out = append(out, byKey[k])
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// Policies reads the policies of a batch of roles (one of PolicyBatches) with a single listing
// and returns them by Role.Key. A role the listing has no policy for, or whose policies Azure
// does not show the user (401/403), comes back with Known false, as from Policy. Each is cached
// like Policy's.
func (c *Client) Policies(ctx context.Context, batch []Role) (map[string]Policy, error) {
	out := map[string]Policy{}
	if len(batch) == 0 {
		return out, nil
	}
	first := batch[0]
	if len(batch) == 1 || first.Plane == PlaneAzure {
		for _, r := range batch {
			p, err := c.Policy(ctx, r)
			if err != nil {
				return out, err
			}
			out[r.Key()] = p
		}
		return out, nil
	}
	cl := call{op: opPolicy, plane: first.Plane, subject: "the policies of your " + first.Plane.Title() + " roles"}
	var filter string
	switch first.Plane {
	case PlaneEntra:
		filter = "scopeId eq '/' and scopeType eq 'DirectoryRole'"
	case PlaneGroup:
		filter = fmt.Sprintf("scopeId eq '%s' and scopeType eq 'Group'", odataString(first.Scope))
	default:
		return out, cl.err(&Error{Kind: KindOther, Text: fmt.Sprintf("pimtray knows no plane %q.", string(first.Plane))})
	}
	for _, r := range batch[1:] {
		if r.Plane != first.Plane || (r.Plane == PlaneGroup && !strings.EqualFold(r.Scope, first.Scope)) {
			return out, cl.err(&Error{Kind: KindOther, Text: "pimtray cannot read these policies together."})
		}
	}
	now := c.now()
	list, err := listAll(ctx, c, graphAPI, c.graphEndpoint("/policies/roleManagementPolicyAssignments",
		"$filter", filter, "$expand", "policy($expand=rules)"), cl, decodeGraphPolicyAssignments)
	if err != nil {
		var pe *Error
		if !errors.As(err, &pe) || (pe.StatusCode != http.StatusUnauthorized && pe.StatusCode != http.StatusForbidden) {
			return out, err
		}
		c.log.Info("policies not readable; the activation's answer will tell what they need",
			"plane", first.Plane, "status", pe.StatusCode, "code", pe.Code)
		list = nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range batch {
		p := Policy{Known: false}
		if pa, ok := pickAssignment(list, r); ok {
			p = pa.Policy
		}
		out[r.Key()] = p
		c.policies[r.Key()] = policyEntry{policy: p, fetched: now}
	}
	return out, nil
}
