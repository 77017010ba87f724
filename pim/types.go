// Package pim speaks Azure Privileged Identity Management for the three planes
// pimtray covers, on azcore pipelines:
//
//   - Entra ID directory roles (Microsoft Graph v1.0, /roleManagement/directory),
//   - Azure resource roles (Azure Resource Manager, Microsoft.Authorization, api-version 2020-10-01),
//   - PIM for Groups (Microsoft Graph v1.0, /identityGovernance/privilegedAccess/group).
//
// It returns domain types (Role, Activation, Policy) and typed errors (*Error),
// never raw payloads. It knows nothing of the tray, notifications or the disk.
//
// Every time it takes and returns is on the local clock (ClientOptions.Now): the client
// converts to and from Azure's clock, which may differ (see Client.ClockOffset).
package pim

import (
	"context"
	"strings"
	"time"
)

// Plane is one of the three PIM planes.
type Plane string

const (
	PlaneEntra Plane = "entra" // Entra ID directory roles (Graph)
	PlaneAzure Plane = "azure" // Azure resource roles (ARM)
	PlaneGroup Plane = "group" // PIM for Groups (Graph)
)

// Planes lists every plane in display order (a new slice each call: callers may keep or change it).
func Planes() []Plane { return []Plane{PlaneEntra, PlaneAzure, PlaneGroup} }

// Title is the plane's name for people: "Entra ID", "Azure", "Groups".
func (p Plane) Title() string {
	switch p {
	case PlaneEntra:
		return "Entra ID"
	case PlaneAzure:
		return "Azure"
	case PlaneGroup:
		return "Groups"
	}
	return string(p)
}

// Scope types, as pimtray reports them (ARM's values are kept as ARM spells them).
const (
	ScopeDirectory          = "directory"          // Entra: the whole tenant ("/")
	ScopeAdministrativeUnit = "administrativeunit" // Entra: /administrativeUnits/{id}
	ScopeManagementGroup    = "managementgroup"
	ScopeSubscription       = "subscription"
	ScopeResourceGroup      = "resourcegroup"
	ScopeResource           = "resource"
	ScopeGroup              = "group" // PIM for Groups: the group itself
)

// Role is one role the signed-in user is eligible for, at one scope, in one tenant.
type Role struct {
	Plane    Plane  `json:"plane"`
	TenantID string `json:"tenantId,omitempty"`

	// RoleID is the role's id: Entra, the roleDefinitionId (a GUID); Azure, the
	// scope-qualified roleDefinitionId (/subscriptions/../providers/Microsoft.Authorization/roleDefinitions/{guid});
	// Groups, the accessId ("member" or "owner").
	RoleID string `json:"roleId"`
	// RoleName is the display name: "Global Administrator", "Owner"; for Groups "Member" or "Owner".
	RoleName string `json:"role"`

	// Scope is where the role applies: Entra, the directoryScopeId ("/" or /administrativeUnits/{id});
	// Azure, the ARM scope id (/providers/Microsoft.Management/managementGroups/IT, /subscriptions/{id}, ...);
	// Groups, the group's object id.
	Scope string `json:"scope"`
	// ScopeName is the scope's display name: "Directory", "IT", "MySubscription", "PIM-Admins".
	ScopeName string `json:"scopeName"`
	// ScopeType is one of the Scope* constants.
	ScopeType string `json:"scopeType"`

	// EligibilityID is the eligibility schedule id (Azure: linkedRoleEligibilityScheduleId).
	EligibilityID string `json:"eligibilityId,omitempty"`
	// PrincipalID is the user's object id the eligibility is for.
	PrincipalID string `json:"principalId,omitempty"`
	// MemberType is Direct, Group or Inherited.
	MemberType string `json:"memberType,omitempty"`
	// EligibleUntil is when the eligibility itself ends; zero means permanent.
	EligibleUntil time.Time `json:"eligibleUntil,omitzero"`
}

// Key identifies a role at a scope in a tenant, stable across runs:
// "entra|{tenant}|{roleId}|{scope}" (lower-cased). Favourites are stored by Key.
func (r Role) Key() string {
	return strings.ToLower(string(r.Plane) + "|" + r.TenantID + "|" + r.RoleID + "|" + r.Scope)
}

// Label is "Role · Scope" for people ("Owner · IT"); directory-wide Entra roles are just "Global Administrator".
func (r Role) Label() string {
	if r.Plane == PlaneEntra && (r.Scope == "/" || r.Scope == "") {
		return r.RoleName
	}
	if r.ScopeName == "" {
		return r.RoleName
	}
	return r.RoleName + " · " + r.ScopeName
}

// Status of a role for the user.
type Status string

const (
	StatusEligible Status = "eligible"
	StatusActive   Status = "active"
	StatusPending  Status = "pending"
	// StatusScheduled is an activation Azure has granted for a later start (request status
	// Granted, its start ahead): it waits for no one and begins on its own at StartsAt.
	StatusScheduled Status = "scheduled"
)

// Activation is an active assignment of a role, or a request for one that is still open.
type Activation struct {
	Role   Role   `json:"role"`
	Status Status `json:"status"` // active or pending

	// RequestID is the id of the request that made it (Graph: request id; ARM: the request's full resource id
	// or name), when known. Needed to cancel a pending request.
	RequestID string `json:"requestId,omitempty"`
	// RequestStatus is Azure's own status word: Provisioned, Granted, PendingApproval, ...
	RequestStatus string `json:"requestStatus,omitempty"`
	// AssignmentType is Activated (came from PIM, has an end) or Assigned (permanently active).
	AssignmentType string `json:"assignmentType,omitempty"`

	StartsAt  time.Time `json:"startsAt,omitzero"`
	ExpiresAt time.Time `json:"expiresAt,omitzero"` // zero: no end (permanent)
}

// Policy is what a role's activation policy asks of a request.
type Policy struct {
	MaxDuration   time.Duration `json:"maxDuration"`           // 0: unknown
	Justification bool          `json:"justification"`         // a reason is required
	Ticket        bool          `json:"ticket"`                // ticket number and system are required
	MFA           bool          `json:"mfa"`                   // the token must carry MFA
	Approval      bool          `json:"approval"`              // requests go to PendingApproval
	AuthContext   string        `json:"authContext,omitempty"` // Conditional Access authentication context claim value ("c1"), "" if none
	// Known is false when the policy could not be read (an eligible-only user may get 403 there);
	// then the activation's own error tells what is needed.
	Known bool `json:"-"`
}

// ActivateRequest asks for one activation.
type ActivateRequest struct {
	Role          Role
	Justification string
	TicketNumber  string
	TicketSystem  string
	Duration      time.Duration // 0: the policy maximum, or 8h when unknown
	StartAt       time.Time     // zero: now; else on the local clock, like every time in this package
	// RequestID is the client-chosen request id (ARM: the request's GUID name). Leave empty and the
	// client chooses one; the same value is reused on every retry so no retry can create a second request.
	RequestID string
	// Policy is the role's policy as the caller knows it (its own cache): when set, the client
	// checks the request against it and reads nothing before sending, so a warm activation is
	// one request. nil: the client reads the policy (cached for an hour).
	Policy *Policy
}

// Overview is what the user has in every plane of one tenant, fetched concurrently.
type Overview struct {
	TenantID  string
	Eligible  []Role
	Active    []Activation    // Status active
	Pending   []Activation    // open requests: Status pending, or scheduled (granted for a later start)
	Errors    map[Plane]error // a plane that failed; the others are still filled
	FetchedAt time.Time
}

// Principal is the signed-in user.
type Principal struct {
	ID                string `json:"id"`
	UserPrincipalName string `json:"userPrincipalName"`
	DisplayName       string `json:"displayName"`
}

// API is what the rest of pimtray needs of Azure PIM in one tenant. *Client implements it.
type API interface {
	// Me is the signed-in user.
	Me(ctx context.Context) (Principal, error)
	// Overview lists eligible roles, active activations and open requests in the given planes
	// (all when none given), concurrently; a failing plane is reported in Overview.Errors.
	Overview(ctx context.Context, planes ...Plane) (*Overview, error)
	// Policy reads (and caches) the role's activation policy.
	Policy(ctx context.Context, role Role) (Policy, error)
	// Activate sends one activation. Approval needed is not an error: the Activation comes back with
	// Status pending. Errors are *Error.
	Activate(ctx context.Context, req ActivateRequest) (Activation, error)
	// Deactivate ends an active activation.
	Deactivate(ctx context.Context, role Role) error
	// Cancel withdraws an open request: pending approval, or scheduled for a later start.
	Cancel(ctx context.Context, a Activation) error
}
