package fakeazure

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Tenant is one Entra tenant the fake serves: its signed-in user and what that user is eligible
// for in the three planes. Build one with NewTenant and the Add* methods; hand it to New through
// Options.Tenants. A Tenant is read when New runs and must not be changed afterwards.
type Tenant struct {
	ID     string // tenant id (a GUID)
	Name   string // display name ("Contoso")
	Domain string // the verified domain, also accepted in authority URLs ("contoso.example")
	User   User   // the user every sign-in and Credential of this tenant acts as

	// GraphConsent lists the delegated Graph permissions consented for every client in this
	// tenant (what "/.default" grants). Nil means the six PIM permissions plus User.Read.
	GraphConsent []string
	// PasswordOnlySignIn makes browser and device-code sign-ins carry amr ["pwd"] (no MFA)
	// unless the request's claims ask for MFA or an authentication context.
	PasswordOnlySignIn bool
	// PastRequests gives the user a request history: that many closed requests per plane (past
	// activations, deactivations, denials, cancellations, timeouts) over the year before last
	// week, listed and filtered as Azure lists them. They are made when New runs, never saved
	// in the state file. 0 means no history.
	PastRequests int

	roles      []*eligibility
	groupNames map[string]string // group id -> display name
	adminUnits map[string]string // administrative unit id -> display name
	waiting    []WaitingRequest  // requests by other users waiting for User's approval (AddWaitingRequest)
}

// User is a tenant's user.
type User struct {
	ID          string // object id (oid)
	UPN         string // userPrincipalName
	DisplayName string
}

// Policy is a role's activation policy, as the fake enforces and reports it.
type Policy struct {
	MaxDuration   time.Duration // longest activation; 0 means 8h
	Justification bool          // a justification is required
	Ticket        bool          // a ticket number is required
	MFA           bool          // the token must carry amr "mfa"
	Approval      bool          // requests wait in PendingApproval until Server.Approve
	AuthContext   string        // Conditional Access authentication context ("c1"); "" for none
}

func (p Policy) maxDuration() time.Duration {
	if p.MaxDuration <= 0 {
		return 8 * time.Hour
	}
	return p.MaxDuration
}

// EntraRole is an Entra directory role the tenant's user is eligible for (or permanently holds).
type EntraRole struct {
	RoleDefinitionID string // the role's template id, e.g. 62e90394-69f5-4237-9190-012177145e10
	Name             string // "Global Administrator"
	// DirectoryScopeID is "/" (the default: the whole tenant) or "/administrativeUnits/{id}".
	DirectoryScopeID string
	// ScopeName is the administrative unit's display name (ignored for "/").
	ScopeName string
	Policy    Policy
	// MemberType is Direct (default), Group or Inherited.
	MemberType string
	// EligibleUntil ends the eligibility itself; zero is permanent eligibility.
	EligibleUntil time.Time
	// Assigned makes the role permanently active (assignmentType Assigned) instead of eligible.
	Assigned bool
}

// AzureRole is an Azure resource role the tenant's user is eligible for (or permanently holds).
type AzureRole struct {
	// RoleDefinitionID is the role definition's GUID (built-in ids such as Owner's
	// 8e3af657-a8ff-443c-a75c-2fe8c4bcb635); the fake qualifies it with the scope.
	RoleDefinitionID string
	Name             string // "Owner"
	// Scope is the ARM scope: /providers/Microsoft.Management/managementGroups/IT,
	// /subscriptions/{id}, /subscriptions/{id}/resourceGroups/{name}, or a resource id.
	Scope string
	// ScopeName is the scope's display name ("IT", "MySubscription", "rg-web"); defaults to
	// the scope's last segment.
	ScopeName     string
	Policy        Policy
	MemberType    string
	EligibleUntil time.Time
	Assigned      bool
}

// Group is a PIM-for-Groups group. Member and Owner, when set, make the user eligible for that
// access with that policy.
type Group struct {
	ID     string // object id; generated from the name when empty
	Name   string // display name
	Member *Policy
	Owner  *Policy
}

// eligibility is one role at one scope the user can activate (or holds permanently), in any plane.
type eligibility struct {
	plane      string // "entra", "azure", "group"
	roleID     string // entra: template GUID; azure: role definition GUID; group: member|owner
	roleName   string
	scope      string // entra: directoryScopeId; azure: ARM scope; group: group id
	scopeName  string
	scopeType  string // azure: managementgroup|subscription|resourcegroup|resource
	policy     Policy
	memberType string
	from       time.Time
	until      time.Time
	assigned   bool

	key            string // stable identity, used by the persisted state
	scheduleID     string // eligibility schedule id (GUID)
	instanceID     string // eligibility schedule instance id
	policyID       string // the policy's GUID
	assignedInstID string // for assigned roles: the permanent assignment instance id
}

// NewTenant starts a tenant with its user. Domain defaults to the part of the UPN after "@".
func NewTenant(id, name string, user User) *Tenant {
	t := &Tenant{ID: strings.ToLower(id), Name: name, User: user}
	if i := strings.LastIndex(user.UPN, "@"); i >= 0 {
		t.Domain = strings.ToLower(user.UPN[i+1:])
	}
	if t.User.DisplayName == "" {
		t.User.DisplayName = user.UPN
	}
	return t
}

// eligibilityStart is when seeded eligibilities began: a fixed date, so ids and payloads are
// stable across runs.
var eligibilityStart = time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)

// AddEntraRole adds an Entra directory role. It returns t for chaining.
func (t *Tenant) AddEntraRole(r EntraRole) *Tenant {
	t.init()
	scope := r.DirectoryScopeID
	if scope == "" {
		scope = "/"
	}
	e := &eligibility{plane: "entra", roleID: strings.ToLower(r.RoleDefinitionID), roleName: r.Name,
		scope: scope, scopeName: "Directory", scopeType: "directory", policy: r.Policy,
		memberType: r.MemberType, until: r.EligibleUntil, assigned: r.Assigned}
	if scope != "/" {
		e.scopeType = "administrativeunit"
		e.scopeName = r.ScopeName
		if id := strings.TrimPrefix(scope, "/administrativeUnits/"); id != scope {
			if e.scopeName == "" {
				e.scopeName = id
			}
			t.adminUnits[strings.ToLower(id)] = e.scopeName
		}
	}
	t.add(e)
	return t
}

// AddAzureRole adds an Azure resource role. It returns t for chaining.
func (t *Tenant) AddAzureRole(r AzureRole) *Tenant {
	scope := "/" + strings.Trim(r.Scope, "/")
	e := &eligibility{plane: "azure", roleID: strings.ToLower(r.RoleDefinitionID), roleName: r.Name,
		scope: scope, scopeName: r.ScopeName, scopeType: armScopeType(scope), policy: r.Policy,
		memberType: r.MemberType, until: r.EligibleUntil, assigned: r.Assigned}
	if e.scopeName == "" {
		e.scopeName = scope[strings.LastIndex(scope, "/")+1:]
	}
	t.add(e)
	return t
}

// AddGroup adds a PIM-for-Groups group with the user's eligible access. It returns t for chaining.
func (t *Tenant) AddGroup(g Group) *Tenant {
	t.init()
	id := strings.ToLower(g.ID)
	if id == "" {
		id = stableGUID(t.ID, "group", g.Name)
	}
	t.groupNames[id] = g.Name
	for _, a := range []struct {
		access, name string
		p            *Policy
	}{{"member", "Member", g.Member}, {"owner", "Owner", g.Owner}} {
		if a.p == nil {
			continue
		}
		t.add(&eligibility{plane: "group", roleID: a.access, roleName: a.name, scope: id,
			scopeName: g.Name, scopeType: "group", policy: *a.p})
	}
	return t
}

func (t *Tenant) init() {
	if t.groupNames == nil {
		t.groupNames = map[string]string{}
	}
	if t.adminUnits == nil {
		t.adminUnits = map[string]string{}
	}
}

func (t *Tenant) add(e *eligibility) {
	if e.memberType == "" {
		e.memberType = "Direct"
	}
	e.from = eligibilityStart
	e.key = strings.ToLower(e.plane + "|" + e.roleID + "|" + e.scope)
	e.scheduleID = stableGUID(t.ID, "schedule", e.key)
	e.instanceID = stableGUID(t.ID, "instance", e.key)
	e.policyID = stableGUID(t.ID, "policy", e.key)
	e.assignedInstID = stableGUID(t.ID, "assigned", e.key)
	for i, have := range t.roles {
		if have.key == e.key { // the same role at the same scope again replaces it
			t.roles[i] = e
			return
		}
	}
	t.roles = append(t.roles, e)
}

// armScopeType names an ARM scope's type the way expandedProperties.scope.type does.
func armScopeType(scope string) string {
	s := strings.ToLower(scope)
	parts := strings.Split(strings.Trim(s, "/"), "/")
	switch {
	case strings.HasPrefix(s, "/providers/microsoft.management/managementgroups/") && len(parts) == 4:
		return "managementgroup"
	case len(parts) == 2 && parts[0] == "subscriptions":
		return "subscription"
	case len(parts) == 4 && parts[0] == "subscriptions" && parts[2] == "resourcegroups":
		return "resourcegroup"
	}
	return "resource"
}

// stableGUID derives a GUID from its inputs, so seeded ids are the same in every run and process.
func stableGUID(parts ...string) string {
	return uuid.NewSHA1(fakeNamespace, []byte(strings.ToLower(strings.Join(parts, "|")))).String()
}

// graphInstanceID derives an id shaped like Graph's schedule instance ids
// ("8MYkhImhnkm70CbBdTyW1BbHHAdHgZdDpbqyEFlRzAs-1-e").
func graphInstanceID(suffix string, parts ...string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.Join(parts, "|"))))
	return base64.RawURLEncoding.EncodeToString(sum[:]) + suffix
}

var fakeNamespace = uuid.MustParse("5d1f0c1e-9a0b-4f38-8b8e-2f5a3c0d7e61")
