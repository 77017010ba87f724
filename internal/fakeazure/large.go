package fakeazure

import (
	"fmt"
	"strings"
	"time"
)

// The large tenant: an administrator's real-sized view of PIM, for tests and build/bench.sh that
// measure what pimtray costs at scale (issue 10). The demo stays small (Demo).
const (
	LargeTenantID   = "0b5e8f3a-6c1d-4e27-9a84-3f7d2b1c9e60"
	LargeTenantName = "Fabrikam"
	LargeUserUPN    = "ops@fabrikam.example"
	LargeUserID     = "c7a1e3d5-2f4b-4869-8d0c-1e5a7b9f3d24"
	LargeUserName   = "Robin Operator"

	// LargeRoles is the number of eligible roles in Large(): 40 Entra, 360 Azure, 40 group accesses.
	LargeRoles = 440
	// LargeScopes is the number of distinct scopes they sit on: the directory and 10 administrative
	// units, 20 groups, and 169 Azure scopes (2 management groups, 12 subscriptions, 125 resource
	// groups, 30 resources).
	LargeScopes = 200
	// LargePastRequests is Large()'s request history: past requests per plane (all closed).
	LargePastRequests = 1000
	// LargePageSize is the page size to serve the large tenant with (Options.PageSize): the
	// issue's measurements use pages of 100, the order Graph and ARM use for these lists.
	LargePageSize = 100

	// A role of Large() that the benchmarks and tests activate by name, as the user does:
	// `pimtray activate "Website Contributor" --scope rg-shop`.
	LargeWebsiteContributor = "de139f84-1756-47ae-9be6-808fbbe84772"
	LargeScopeRGShop        = "/subscriptions/" + largeSubShop + "/resourceGroups/rg-shop"
	largeSubShop            = "a1f0c2d4-5e6b-4a7c-8d9e-0f1a2b3c4d5e"
)

// Built-in Azure roles the large tenant hands out (name, role definition GUID).
var largeAzureRoles = []struct{ name, id string }{
	{"Owner", RoleOwner},
	{"Contributor", RoleContributor},
	{"Reader", RoleReader},
	{"User Access Administrator", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"},
	{"Website Contributor", LargeWebsiteContributor},
	{"Virtual Machine Contributor", "9980e02c-c2be-4d73-94e8-173b1dc7cf3c"},
	{"Storage Account Contributor", "17d1049b-9a84-46fb-8f53-869881c3d3ab"},
	{"Storage Blob Data Contributor", "ba92f5b4-2d11-453d-a403-e96b0029c9fe"},
	{"Storage Blob Data Reader", "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"},
	{"Key Vault Administrator", "00482a5a-887f-4fb3-b363-3b7fe8e74483"},
	{"Key Vault Secrets User", "4633458b-17de-408a-b874-0445c86b69e6"},
	{"Network Contributor", "4d97b98b-1d4f-4787-a291-c67834d212e7"},
	{"SQL DB Contributor", "9b7fa17d-e63e-47b0-bb0a-15c516ac86ec"},
	{"Monitoring Reader", "43d0d8ad-25c7-4714-9337-8ba259a9fe05"},
	{"Monitoring Contributor", "749f88d5-cbae-40b8-bcfc-e573ddc772fa"},
	{"Log Analytics Contributor", "92aaf0da-9dab-42b6-94a3-d43ce8d16293"},
	{"AKS Contributor", RoleAKSContributor},
	{"Web Plan Contributor", "2cc479cb-7b4d-49a8-b449-8c00fd0f0a4b"},
}

// Built-in Entra roles (name, template id).
var largeEntraRoles = []struct{ name, id string }{
	{"Global Administrator", RoleGlobalAdministrator},
	{"User Administrator", RoleUserAdministrator},
	{"Security Reader", RoleSecurityReader},
	{"Exchange Administrator", RoleExchangeAdministrator},
	{"Security Administrator", "194ae4cb-b126-40b2-bd5b-6091b380977d"},
	{"SharePoint Administrator", "f28a1f50-f6e7-4571-818b-6a12f2af6b6c"},
	{"Teams Administrator", "69091246-20e8-4a56-aa4d-066075b2a7a8"},
	{"Intune Administrator", "3a2c62db-5318-420d-8d74-23affee5d9d5"},
	{"Helpdesk Administrator", "729827e3-9c14-49f7-bb1b-9608f156bbb8"},
	{"Application Administrator", "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"},
	{"Cloud Application Administrator", "158c047a-c907-4556-b7ef-446551a6b5f7"},
	{"Privileged Role Administrator", "e8611ab8-c189-46e8-94e1-60213ab1f814"},
	{"Conditional Access Administrator", "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9"},
	{"Billing Administrator", "b0f54661-2d74-4c50-afa3-1ec803f12efe"},
	{"Global Reader", "f2ef992c-3afb-46b9-b7cf-a126ee74c451"},
	{"Authentication Administrator", "c4e39bd9-1100-46d3-8c65-fb160da0071f"},
	{"Groups Administrator", "fdd7a751-b60b-444a-984c-02652fe8fa1c"},
	{"License Administrator", "4d6ac14f-3453-41d0-bef9-a3e0c569773a"},
	{"Compliance Administrator", "17315797-102d-40b4-93e0-432062caca18"},
	{"Reports Reader", "4a5d8f65-41da-4de4-8968-e035b65339cf"},
	{"Password Administrator", "966707d0-3269-4727-9be2-8c3a10f19b9d"},
	{"Security Operator", "5f2222b1-57c3-48ba-8ad5-d4759f1fde6f"},
	{"Directory Readers", "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"},
	{"Printer Administrator", "644ef478-e28f-4e28-b9dc-3fdde9aa0b1f"},
	{"Azure DevOps Administrator", "e3973bdf-4987-49ae-837a-ba8e231c7286"},
	{"Exchange Recipient Administrator", "31392ffb-586c-42d1-9346-e59415a2cc4e"},
	{"Knowledge Administrator", "b5a8dcf3-09d5-43a9-a639-8e29ef291470"},
	{"Power Platform Administrator", "11648597-926c-4cf3-9c36-bcebb0ba8dcc"},
	{"Dynamics 365 Administrator", "44367163-eba1-44c3-98af-f5787879f96a"},
	{"Fabric Administrator", "a9ea8996-122f-4c74-9520-8edcd192826c"},
}

// largePolicy varies the policies the way a real tenant does: mostly 8h with a justification,
// some with a ticket, a few with MFA, a few with approval, short maximums here and there. No
// authentication context: a benchmark must not need a browser.
func largePolicy(i int) Policy {
	p := Policy{MaxDuration: 8 * time.Hour, Justification: true}
	switch {
	case i%11 == 3:
		p.Ticket = true
	case i%13 == 5:
		p.MFA = true
	case i%17 == 7:
		p.Approval = true
	case i%7 == 2:
		p.MaxDuration = 4 * time.Hour
	case i%9 == 4:
		p.Justification = false
	}
	return p
}

// Large returns a fresh copy of the large tenant ("Fabrikam"): LargeRoles eligible roles over
// LargeScopes scopes in the three planes, and a history of LargePastRequests closed requests per
// plane (Tenant.PastRequests). Serve it with Options{Tenants: []*Tenant{Large()}, PageSize:
// LargePageSize}. Names are stable across runs; "Website Contributor" on resource group
// "rg-shop" (LargeScopeRGShop) has a plain policy (8h, justification).
func Large() *Tenant {
	t := NewTenant(LargeTenantID, LargeTenantName, User{ID: LargeUserID, UPN: LargeUserUPN, DisplayName: LargeUserName})
	t.PastRequests = LargePastRequests
	n := 0

	// Entra: 30 roles on the directory, 10 on administrative units.
	for i, r := range largeEntraRoles {
		t.AddEntraRole(EntraRole{RoleDefinitionID: r.id, Name: r.name, Policy: largePolicy(i)})
		n++
	}
	auRoles := []int{1, 8, 16, 15, 20} // User, Helpdesk, Groups, Authentication, Password Administrator
	for i := 0; i < 10; i++ {
		region := []string{"Europe", "Americas", "Asia", "Africa", "Oceania"}[i%5]
		idx := auRoles[i/2%len(auRoles)]
		if i%2 == 1 {
			idx = auRoles[(i/2+2)%len(auRoles)]
		}
		r := largeEntraRoles[idx]
		au := stableGUID(LargeTenantID, "au", region, fmt.Sprint(i/5))
		name := region
		if i >= 5 {
			name = region + " Staff"
		}
		t.AddEntraRole(EntraRole{RoleDefinitionID: r.id, Name: r.name, DirectoryScopeID: "/administrativeUnits/" + au,
			ScopeName: name, Policy: largePolicy(idx)}) // a directory role's policy is the role's, wherever it is held
		n++
	}

	// Groups: 20 PIM-enabled groups, member and owner of each.
	for i := 0; i < 20; i++ {
		name := fmt.Sprintf("%s-%s", []string{"PIM", "Ops", "SecOps", "Finance", "Platform"}[i%5],
			[]string{"Admins", "Oncall", "Breakglass", "Auditors"}[i/5])
		mp, op := largePolicy(n), largePolicy(n+1)
		t.AddGroup(Group{ID: stableGUID(LargeTenantID, "group", name), Name: name, Member: &mp, Owner: &op})
		n += 2
	}

	// Azure: 169 scopes, 360 roles.
	type scope struct{ id, name string }
	var scopes []scope
	for _, mg := range []string{"Corp", "Online"} {
		scopes = append(scopes, scope{"/providers/Microsoft.Management/managementGroups/" + mg, mg})
	}
	subNames := []string{"Shop", "Prod-EU", "Prod-US", "Dev", "Test", "Sandbox", "Data", "Identity",
		"Connectivity", "Management", "Legacy", "Research"}
	var subs []scope
	for i, name := range subNames {
		id := stableGUID(LargeTenantID, "subscription", name)
		if i == 0 {
			id = largeSubShop
		}
		subs = append(subs, scope{"/subscriptions/" + id, name})
	}
	scopes = append(scopes, subs...)
	var rgs []scope
	for i := 0; i < 125; i++ {
		sub := subs[i%len(subs)]
		name := fmt.Sprintf("rg-%s-%02d", strings.ToLower(sub.name), i/len(subs)+1)
		if i == 0 {
			name = "rg-shop"
		}
		rgs = append(rgs, scope{sub.id + "/resourceGroups/" + name, name})
	}
	scopes = append(scopes, rgs...)
	for i := 0; i < 30; i++ {
		rg := rgs[i]
		var name, typ string
		switch i % 3 {
		case 0:
			name, typ = fmt.Sprintf("kv-%02d", i+1), "Microsoft.KeyVault/vaults"
		case 1:
			name, typ = fmt.Sprintf("st%02dfabrikam", i+1), "Microsoft.Storage/storageAccounts"
		default:
			name, typ = fmt.Sprintf("app-%02d", i+1), "Microsoft.Web/sites"
		}
		scopes = append(scopes, scope{rg.id + "/providers/" + typ + "/" + name, name})
	}
	const azureRoles = LargeRoles - 40 - 40
	// Every scope gets two roles; the first scopes (management groups, subscriptions) one more,
	// until there are azureRoles.
	per := make([]int, len(scopes))
	total := 0
	for i := range per {
		per[i] = 2
		total += 2
	}
	for i := 0; total < azureRoles; i = (i + 1) % len(per) {
		per[i]++
		total++
	}
	for si, sc := range scopes {
		for j := 0; j < per[si]; j++ {
			r := largeAzureRoles[(si*3+j)%len(largeAzureRoles)]
			p := largePolicy(n)
			if sc.name == "rg-shop" {
				r = largeAzureRoles[4+j] // Website Contributor first
				p = Policy{MaxDuration: 8 * time.Hour, Justification: true}
			}
			t.AddAzureRole(AzureRole{RoleDefinitionID: r.id, Name: r.name, Scope: sc.id, ScopeName: sc.name, Policy: p})
			n++
		}
	}
	return t
}

// history makes the tenant's past requests: PastRequests per plane, all closed (Provisioned
// activations that have long expired, their deactivations, denials, cancellations and timeouts),
// spread over the year that ended a week before now, oldest first. Their ids are stable for a given tenant.
func (t *Tenant) history(now time.Time) []*pimRequest {
	if t.PastRequests <= 0 {
		return nil
	}
	var out []*pimRequest
	for _, plane := range []string{"entra", "azure", "group"} {
		var roles []*eligibility
		for _, e := range t.roles {
			if e.plane == plane && !e.assigned {
				roles = append(roles, e)
			}
		}
		if len(roles) == 0 {
			continue
		}
		// The year before last week: even the undecided ones have timed out.
		span, last := 365*24*time.Hour, now.Add(-7*24*time.Hour)
		step := span / time.Duration(t.PastRequests)
		for i := 0; i < t.PastRequests; i++ {
			e := roles[(i*7)%len(roles)]
			created := last.Add(-span + time.Duration(i)*step).Truncate(time.Second)
			r := &pimRequest{ID: stableGUID(t.ID, "history", plane, fmt.Sprint(i)), Plane: plane, Key: e.key,
				Action: "selfActivate", Created: created, Start: created, End: created.Add(2 * time.Hour),
				ExpirationType: "afterDuration", Duration: "PT2H", Justification: fmt.Sprintf("Change %d", 4000+i)}
			switch i % 10 {
			case 7:
				r.Status = "Denied"
				r.Completed = created.Add(time.Hour)
			case 8:
				r.Status = "Canceled"
				r.Completed = created.Add(10 * time.Minute)
			case 9:
				r.Status = "PendingApproval" // never decided: reads TimedOut (statusAt)
			case 3:
				r.Action, r.Status, r.ExpirationType, r.Duration = "selfDeactivate", "Revoked", "noExpiration", ""
				r.Completed, r.End = created, time.Time{}
			default:
				r.Status = "Provisioned"
				r.Completed = created
			}
			if plane == "azure" {
				r.Scope = e.scope
			}
			if e.policy.Approval && r.Action == "selfActivate" && r.Status != "Canceled" {
				// It went to an approver (decided, or left to time out).
				r.ApprovalID = stableGUID(t.ID, "approval", plane, fmt.Sprint(i))
			}
			out = append(out, r)
		}
	}
	return out
}
