package fakeazure

import "time"

// The demo tenant served by `pimtray --demo` (and by New when Options.Tenants is nil). Its
// contents are fixed: tests, docs and users rely on these names (issue 2, item 4).
const (
	DemoTenantID           = "7d4c5a1e-2b8f-4e63-9a1d-5c0f3e8b2a47"
	DemoTenantName         = "Contoso" // not "(demo)": every output adds DEMO itself
	DemoDomain             = "contoso.example"
	DemoUserUPN            = "admin@contoso.example"
	DemoUserID             = "3b9e6f21-8c4d-4a7e-b5f2-19d0c6a8e3f4"
	DemoUserName           = "Alex Admin"
	DemoSubscriptionID     = "b3c1e7f2-4a6d-4e8b-9c0f-2d5a7e1b3c4d" // "MySubscription"
	DemoProdSubscriptionID = "e8a2f4c6-1b3d-4f5e-8a7c-9d0b2e4f6a8c" // "Prod"
	DemoPIMAdminsGroupID   = "4f6a2c8e-1d3b-4b7a-9e5c-7a1f3d9b2c60" // "PIM-Admins"
	DemoBreakGlassGroupID  = "9c2e7b41-5f8a-4d3c-a6e1-2b8f4c7d9e05" // "Break-Glass"
)

// Built-in role definition ids (the same GUIDs in every tenant).
const (
	RoleGlobalAdministrator   = "62e90394-69f5-4237-9190-012177145e10"
	RoleUserAdministrator     = "fe930be7-5e62-47db-91af-98c3a49a38b1"
	RoleSecurityReader        = "5d6b6bb7-de71-4623-b4af-96380a352509"
	RoleExchangeAdministrator = "29232cdf-9323-42fd-ade2-1d097af3e4de"
	RoleOwner                 = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
	RoleContributor           = "b24988ac-6180-42a0-ab88-20f7382dd24c"
	RoleReader                = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
	// RoleAKSContributor is "Azure Kubernetes Service Contributor Role", shown as "AKS Contributor".
	RoleAKSContributor = "ed7f3fbd-7b88-4dd4-9017-9adb7ce333f8"
)

// Demo scopes.
const (
	DemoScopeIT             = "/providers/Microsoft.Management/managementGroups/IT"
	DemoScopeMySubscription = "/subscriptions/" + DemoSubscriptionID
	DemoScopeRGWeb          = "/subscriptions/" + DemoSubscriptionID + "/resourceGroups/rg-web"
	DemoScopeProd           = "/subscriptions/" + DemoProdSubscriptionID
)

// Demo returns a fresh copy of the demo tenant:
//
//   - Entra: "Global Administrator" (max 8h, justification and MFA), "User Administrator"
//     (approval required), "Security Reader" (no justification needed), "Exchange Administrator"
//     (authentication context c1).
//   - Azure: "Owner" on management group "IT" (max 8h), "Contributor" on subscription
//     "MySubscription" (ticket required), "AKS Contributor" on "MySubscription", "Contributor" on
//     resource group "rg-web" in "MySubscription" (max 4h), "Reader" on subscription "Prod".
//   - Groups: member of "PIM-Admins", owner of "Break-Glass" (approval required, max 2h).
func Demo() *Tenant {
	t := NewTenant(DemoTenantID, DemoTenantName, User{ID: DemoUserID, UPN: DemoUserUPN, DisplayName: DemoUserName})
	t.AddEntraRole(EntraRole{RoleDefinitionID: RoleGlobalAdministrator, Name: "Global Administrator",
		Policy: Policy{MaxDuration: 8 * time.Hour, Justification: true, MFA: true}})
	t.AddEntraRole(EntraRole{RoleDefinitionID: RoleUserAdministrator, Name: "User Administrator",
		Policy: Policy{MaxDuration: 8 * time.Hour, Justification: true, Approval: true}})
	t.AddEntraRole(EntraRole{RoleDefinitionID: RoleSecurityReader, Name: "Security Reader",
		Policy: Policy{MaxDuration: 8 * time.Hour}})
	t.AddEntraRole(EntraRole{RoleDefinitionID: RoleExchangeAdministrator, Name: "Exchange Administrator",
		Policy: Policy{MaxDuration: 8 * time.Hour, Justification: true, AuthContext: "c1"}})

	t.AddAzureRole(AzureRole{RoleDefinitionID: RoleOwner, Name: "Owner", Scope: DemoScopeIT, ScopeName: "IT",
		Policy: Policy{MaxDuration: 8 * time.Hour, Justification: true}})
	t.AddAzureRole(AzureRole{RoleDefinitionID: RoleContributor, Name: "Contributor", Scope: DemoScopeMySubscription,
		ScopeName: "MySubscription", Policy: Policy{MaxDuration: 8 * time.Hour, Justification: true, Ticket: true}})
	t.AddAzureRole(AzureRole{RoleDefinitionID: RoleAKSContributor, Name: "AKS Contributor", Scope: DemoScopeMySubscription,
		ScopeName: "MySubscription", Policy: Policy{MaxDuration: 8 * time.Hour, Justification: true}})
	t.AddAzureRole(AzureRole{RoleDefinitionID: RoleContributor, Name: "Contributor", Scope: DemoScopeRGWeb,
		ScopeName: "rg-web", Policy: Policy{MaxDuration: 4 * time.Hour, Justification: true}})
	t.AddAzureRole(AzureRole{RoleDefinitionID: RoleReader, Name: "Reader", Scope: DemoScopeProd, ScopeName: "Prod",
		Policy: Policy{MaxDuration: 8 * time.Hour}})

	t.AddGroup(Group{ID: DemoPIMAdminsGroupID, Name: "PIM-Admins",
		Member: &Policy{MaxDuration: 8 * time.Hour, Justification: true}})
	t.AddGroup(Group{ID: DemoBreakGlassGroupID, Name: "Break-Glass",
		Owner: &Policy{MaxDuration: 2 * time.Hour, Justification: true, Approval: true}})
	// Two colleagues' requests wait for the demo user's approval (the approver's morning).
	t.AddWaitingRequest(WaitingRequest{ID: DemoWaitingEntraID, Plane: "entra",
		Requester: User{ID: "6a1f0c3e-9b2d-4e57-8c4a-d3e2f1a0b9c8", UPN: "grace.hopper@contoso.example", DisplayName: "Grace Hopper"},
		RoleID:    RoleUserAdministrator, RoleName: "User Administrator",
		Justification: "Onboard the new interns", TicketNumber: "HR-311", TicketSystem: "ServiceNow",
		Duration: 2 * time.Hour, Age: 12 * time.Minute})
	t.AddWaitingRequest(WaitingRequest{ID: DemoWaitingAzureID, Plane: "azure",
		Requester: User{ID: "b7e4d2a1-3c5f-4a69-9e8b-0f1d2c3b4a5e", UPN: "alan.turing@contoso.example", DisplayName: "Alan Turing"},
		RoleID:    RoleContributor, RoleName: "Contributor", Scope: DemoScopeRGWeb, ScopeName: "rg-web",
		Justification: "Hotfix deploy for INC-4821", Duration: time.Hour, Age: 4 * time.Minute})
	return t
}

// The demo's two waiting requests (stable ids, so the tray and the command line of a demo agree).
const (
	DemoWaitingEntraID = "c0ffee01-7a2b-4c3d-8e9f-0a1b2c3d4e5f"
	DemoWaitingAzureID = "c0ffee02-7a2b-4c3d-8e9f-0a1b2c3d4e5f"
)
