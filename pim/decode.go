package pim

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// This file holds one decoder per Azure payload shape. Each takes the response body exactly as
// Azure sends it and returns domain values; none of them panics on any input (they are fuzzed).
// They tolerate nulls and unknown fields; what they cannot read is an error, which the client
// reports as KindBadResponse. Decoders fill what the payload says; the client adds what it knows
// besides (tenant, display names looked up elsewhere).

// Page is one page of a list: its items and the absolute link to the next page ("" on the last).
type listPage[T any] struct {
	Items    []T
	NextLink string
}

// PolicyAssignment is one role management policy assignment: which policy applies to which
// role at which scope, with the policy's end-user activation rules when Azure included them.
type policyAssignment struct {
	ID        string
	PolicyID  string
	Scope     string // Graph scopeId ("/" or a group id); ARM scope
	ScopeType string // Graph: Directory, DirectoryRole, Group; ARM: the expanded scope type
	RoleID    string // roleDefinitionId (Groups: member or owner)
	// Policy holds the parsed rules; Policy.Known is false when the payload carried no rules
	// (a list without $expand=policy($expand=rules)).
	Policy Policy
}

// ---- shared wire shapes ----

type wireRef struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Type        string `json:"type"`
}

// wireTicketIn is a request's ticketInfo as Azure returns it.
type wireTicketIn struct {
	TicketNumber string `json:"ticketNumber"`
	TicketSystem string `json:"ticketSystem"`
}

type wireSchedule struct {
	StartDateTime string `json:"startDateTime"`
	Expiration    struct {
		Type        string `json:"type"`
		EndDateTime string `json:"endDateTime"`
		Duration    string `json:"duration"`
	} `json:"expiration"`
}

// window returns when a requested schedule starts and ends. End is zero when it does not end
// (noExpiration) or when the start is unknown.
func (s wireSchedule) window() (start, end time.Time, err error) {
	if start, err = parseTime(s.StartDateTime); err != nil {
		return
	}
	switch strings.ToLower(s.Expiration.Type) {
	case "afterduration":
		if s.Expiration.Duration == "" {
			return
		}
		d, derr := ParseISODuration(s.Expiration.Duration)
		if derr != nil {
			return start, end, derr
		}
		if !start.IsZero() {
			end = start.Add(d)
		}
	case "afterdatetime":
		end, err = parseTime(s.Expiration.EndDateTime)
	case "noexpiration", "notspecified", "":
		// A request without an end: permanent, or Azure's default applies.
		if s.Expiration.Duration != "" && !start.IsZero() {
			d, derr := ParseISODuration(s.Expiration.Duration)
			if derr != nil {
				return start, end, derr
			}
			end = start.Add(d)
		} else if s.Expiration.EndDateTime != "" {
			end, err = parseTime(s.Expiration.EndDateTime)
		}
	default:
		// An expiration type pimtray does not know: trust the explicit fields, if any.
		if s.Expiration.EndDateTime != "" {
			end, err = parseTime(s.Expiration.EndDateTime)
		} else if s.Expiration.Duration != "" && !start.IsZero() {
			d, derr := ParseISODuration(s.Expiration.Duration)
			if derr != nil {
				return start, end, derr
			}
			end = start.Add(d)
		}
	}
	return
}

// parseTime reads Azure's timestamps ("2022-04-12T14:44:50.287Z", seven fractional digits,
// sometimes no zone meaning UTC). Empty (or null) is the zero time.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.9999999", "2006-01-02T15:04:05.9999999Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unreadable timestamp %q", s)
}

// odataList is a Graph collection page; armList an ARM one.
type odataList[T any] struct {
	Value    []*T   `json:"value"`
	NextLink string `json:"@odata.nextLink"`
}

type armList[T any] struct {
	Value    []*T   `json:"value"`
	NextLink string `json:"nextLink"`
}

func decodeJSON(body []byte, what string, v any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return fmt.Errorf("decode %s: empty body", what)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	return nil
}

func decodeGraphList[T, R any](body []byte, what string, conv func(*T) (R, bool, error)) (listPage[R], error) {
	var l odataList[T]
	if err := decodeJSON(body, what, &l); err != nil {
		return listPage[R]{}, err
	}
	return convertList(l.Value, l.NextLink, what, conv)
}

func decodeARMList[T, R any](body []byte, what string, conv func(*T) (R, bool, error)) (listPage[R], error) {
	var l armList[T]
	if err := decodeJSON(body, what, &l); err != nil {
		return listPage[R]{}, err
	}
	return convertList(l.Value, l.NextLink, what, conv)
}

func convertList[T, R any](items []*T, next, what string, conv func(*T) (R, bool, error)) (listPage[R], error) {
	p := listPage[R]{NextLink: next, Items: make([]R, 0, len(items))}
	for i, it := range items {
		if it == nil {
			continue // a null item carries nothing
		}
		r, keep, err := conv(it)
		if err != nil {
			return listPage[R]{}, fmt.Errorf("decode %s item %d: %w", what, i, err)
		}
		if keep {
			p.Items = append(p.Items, r)
		}
	}
	return p, nil
}

// eligibleRole is r with its eligibility schedule's id and end ("": it does not end).
func eligibleRole(r Role, scheduleID, end string) (Role, error) {
	until, err := parseTime(end)
	if err != nil {
		return Role{}, err
	}
	r.EligibilityID, r.EligibleUntil = scheduleID, until
	return r, nil
}

// activeInstance is the running activation of an assignment schedule instance.
func activeInstance(r Role, assignmentType, start, end string) (Activation, error) {
	a := Activation{Role: r, Status: StatusActive, AssignmentType: titleWord(assignmentType)}
	var err error
	if a.StartsAt, err = parseTime(start); err != nil {
		return a, err
	}
	if a.ExpiresAt, err = parseTime(end); err != nil {
		return a, err
	}
	return a, nil
}

// requestActivation is what an assignment schedule request asks for: its status word sorted,
// and the window of its schedule.
func requestActivation(r Role, requestID, status string, s wireSchedule, created string) (Activation, error) {
	a := Activation{Role: r, RequestID: requestID, RequestStatus: status, Status: requestState(status)}
	start, end, err := s.window()
	if err != nil {
		return a, err
	}
	if start.IsZero() {
		// A request waiting for approval may not have its start yet; its creation is the best guess.
		if start, err = parseTime(created); err != nil {
			return a, err
		}
	}
	a.StartsAt, a.ExpiresAt = start, end
	if a.Status == StatusActive && strings.EqualFold(s.Expiration.Type, "afterDuration") {
		a.AssignmentType = "Activated"
	}
	return a, nil
}

// ---- Entra directory roles (Graph) ----

type graphDirectoryInstance struct {
	ID                        string   `json:"id"`
	PrincipalID               string   `json:"principalId"`
	RoleDefinitionID          string   `json:"roleDefinitionId"`
	DirectoryScopeID          string   `json:"directoryScopeId"`
	AppScopeID                string   `json:"appScopeId"`
	StartDateTime             string   `json:"startDateTime"`
	EndDateTime               string   `json:"endDateTime"`
	MemberType                string   `json:"memberType"`
	AssignmentType            string   `json:"assignmentType"`
	RoleEligibilityScheduleID string   `json:"roleEligibilityScheduleId"`
	RoleAssignmentScheduleID  string   `json:"roleAssignmentScheduleId"`
	RoleDefinition            *wireRef `json:"roleDefinition"`
	DirectoryScope            *wireRef `json:"directoryScope"` // with $expand=directoryScope
}

func (in *graphDirectoryInstance) role() Role {
	r := Role{
		Plane:       PlaneEntra,
		RoleID:      in.RoleDefinitionID,
		PrincipalID: in.PrincipalID,
		MemberType:  in.MemberType,
	}
	if r.RoleID == "" && in.RoleDefinition != nil {
		r.RoleID = in.RoleDefinition.ID
	}
	if in.RoleDefinition != nil {
		r.RoleName = in.RoleDefinition.DisplayName
	}
	r.Scope, r.ScopeType, r.ScopeName = directoryScope(in.DirectoryScopeID)
	if r.ScopeName == "" && in.DirectoryScope != nil {
		r.ScopeName = in.DirectoryScope.DisplayName
	}
	return r
}

// directoryScope sorts an Entra directoryScopeId: "/" is the whole directory, /administrativeUnits/{id}
// an administrative unit (its name is looked up separately), anything else an object in the directory.
func directoryScope(id string) (scope, typ, name string) {
	switch {
	case id == "" || id == "/":
		return "/", ScopeDirectory, "Directory"
	case strings.HasPrefix(strings.ToLower(id), "/administrativeunits/"):
		return id, ScopeAdministrativeUnit, ""
	default:
		return id, ScopeResource, ""
	}
}

// administrativeUnitID is the AU's object id in a directoryScopeId, or "".
func administrativeUnitID(scope string) string {
	if strings.HasPrefix(strings.ToLower(scope), "/administrativeunits/") {
		return strings.Trim(scope[len("/administrativeUnits/"):], "/")
	}
	return ""
}

// DecodeGraphEligibilities decodes a page of Entra role eligibility schedule instances
// (GET /roleManagement/directory/roleEligibilityScheduleInstances/filterByCurrentUser(on='principal')).
// RoleName is set only when the page carries $expand=roleDefinition.
func decodeGraphEligibilities(body []byte) (listPage[Role], error) {
	return decodeGraphList(body, "entra eligibilities", func(in *graphDirectoryInstance) (Role, bool, error) {
		r, err := eligibleRole(in.role(), cmp.Or(in.RoleEligibilityScheduleID, in.ID), in.EndDateTime)
		return r, err == nil && r.RoleID != "", err
	})
}

// DecodeGraphAssignments decodes a page of Entra role assignment schedule instances, the user's
// active roles (GET /roleManagement/directory/roleAssignmentScheduleInstances/filterByCurrentUser(on='principal')).
func decodeGraphAssignments(body []byte) (listPage[Activation], error) {
	return decodeGraphList(body, "entra assignments", func(in *graphDirectoryInstance) (Activation, bool, error) {
		a, err := activeInstance(in.role(), in.AssignmentType, in.StartDateTime, in.EndDateTime)
		return a, err == nil && a.Role.RoleID != "", err
	})
}

type graphRequest struct {
	ID               string       `json:"id"`
	Status           string       `json:"status"`
	Action           string       `json:"action"`
	PrincipalID      string       `json:"principalId"`
	RoleDefinitionID string       `json:"roleDefinitionId"`
	DirectoryScopeID string       `json:"directoryScopeId"`
	AccessID         string       `json:"accessId"`
	GroupID          string       `json:"groupId"`
	CreatedDateTime  string       `json:"createdDateTime"`
	Justification    string       `json:"justification"`
	ApprovalID       string       `json:"approvalId"`
	TicketInfo       wireTicketIn `json:"ticketInfo"`
	TargetScheduleID string       `json:"targetScheduleId"`
	ScheduleInfo     wireSchedule `json:"scheduleInfo"`
	RoleDefinition   *wireRef     `json:"roleDefinition"`
	Group            *wireRef     `json:"group"`
}

func (in *graphRequest) activation(r Role) (Activation, error) {
	return requestActivation(r, in.ID, in.Status, in.ScheduleInfo, in.CreatedDateTime)
}

func (in *graphRequest) directoryRole() Role {
	r := Role{Plane: PlaneEntra, RoleID: in.RoleDefinitionID, PrincipalID: in.PrincipalID}
	if in.RoleDefinition != nil {
		r.RoleName = in.RoleDefinition.DisplayName
		if r.RoleID == "" {
			r.RoleID = in.RoleDefinition.ID
		}
	}
	r.Scope, r.ScopeType, r.ScopeName = directoryScope(in.DirectoryScopeID)
	return r
}

func (in *graphRequest) groupRole() Role {
	r := groupRole(in.AccessID, in.GroupID, in.Group)
	r.PrincipalID = in.PrincipalID
	return r
}

// DecodeGraphRequest decodes one Entra role assignment schedule request (the 201 answer to
// POST /roleManagement/directory/roleAssignmentScheduleRequests). Status is active or pending
// according to Azure's status word, or "" for a request that ended (Denied, Canceled, Failed, ...);
// ExpiresAt is computed from the schedule.
func decodeGraphRequest(body []byte) (Activation, error) {
	return decodeGraphRequestOf(body, "entra request", (*graphRequest).directoryRole)
}

// DecodeGraphRequests decodes a page of Entra role assignment schedule requests and keeps the
// user's own activation requests (action selfActivate); deactivations and admin actions are dropped.
func decodeGraphRequests(body []byte) (listPage[Activation], error) {
	return decodeGraphRequestsOf(body, "entra requests", (*graphRequest).directoryRole)
}

// decodeGraphRequest decodes one Graph assignment schedule request (Entra or Groups: role
// reads the role from it).
func decodeGraphRequestOf(body []byte, what string, role func(*graphRequest) Role) (Activation, error) {
	var in graphRequest
	if err := decodeJSON(body, what, &in); err != nil {
		return Activation{}, err
	}
	a, err := in.activation(role(&in))
	if err != nil {
		return Activation{}, fmt.Errorf("decode %s: %w", what, err)
	}
	return a, nil
}

// decodeGraphRequests decodes a page of Graph assignment schedule requests (Entra or Groups:
// role reads the role from each) and keeps the user's own activation requests (action
// selfActivate) for a known role and scope (an Entra role always has a scope: "/" at least).
func decodeGraphRequestsOf(body []byte, what string, role func(*graphRequest) Role) (listPage[Activation], error) {
	return decodeGraphList(body, what, func(in *graphRequest) (Activation, bool, error) {
		if !strings.EqualFold(in.Action, "selfActivate") {
			return Activation{}, false, nil
		}
		a, err := in.activation(role(in))
		return a, err == nil && a.Role.RoleID != "" && a.Role.Scope != "", err
	})
}

// ---- PIM for Groups (Graph) ----

type graphGroupInstance struct {
	ID                    string   `json:"id"`
	PrincipalID           string   `json:"principalId"`
	AccessID              string   `json:"accessId"`
	GroupID               string   `json:"groupId"`
	StartDateTime         string   `json:"startDateTime"`
	EndDateTime           string   `json:"endDateTime"`
	MemberType            string   `json:"memberType"`
	AssignmentType        string   `json:"assignmentType"`
	EligibilityScheduleID string   `json:"eligibilityScheduleId"`
	AssignmentScheduleID  string   `json:"assignmentScheduleId"`
	Group                 *wireRef `json:"group"`
}

func (in *graphGroupInstance) role() Role {
	r := groupRole(in.AccessID, in.GroupID, in.Group)
	r.PrincipalID, r.MemberType = in.PrincipalID, in.MemberType
	return r
}

func groupRole(accessID, groupID string, group *wireRef) Role {
	r := Role{Plane: PlaneGroup, RoleID: strings.ToLower(accessID), Scope: groupID, ScopeType: ScopeGroup}
	r.RoleName = groupAccessName(r.RoleID)
	if group != nil {
		r.ScopeName = group.DisplayName
		if r.Scope == "" {
			r.Scope = group.ID
		}
	}
	return r
}

// groupAccessName is the display name of a group access id: member → Member, owner → Owner.
func groupAccessName(accessID string) string {
	switch strings.ToLower(accessID) {
	case "member":
		return "Member"
	case "owner":
		return "Owner"
	}
	return titleWord(accessID)
}

// DecodeGroupEligibilities decodes a page of PIM for Groups eligibility schedule instances
// (GET /identityGovernance/privilegedAccess/group/eligibilityScheduleInstances/filterByCurrentUser(on='principal')).
// ScopeName (the group's display name) is set only when the page carries $expand=group.
func decodeGroupEligibilities(body []byte) (listPage[Role], error) {
	return decodeGraphList(body, "group eligibilities", func(in *graphGroupInstance) (Role, bool, error) {
		r, err := eligibleRole(in.role(), cmp.Or(in.EligibilityScheduleID, in.ID), in.EndDateTime)
		return r, err == nil && r.RoleID != "" && r.Scope != "", err
	})
}

// DecodeGroupAssignments decodes a page of PIM for Groups assignment schedule instances, the
// user's active memberships and ownerships
// (GET /identityGovernance/privilegedAccess/group/assignmentScheduleInstances/filterByCurrentUser(on='principal')).
func decodeGroupAssignments(body []byte) (listPage[Activation], error) {
	return decodeGraphList(body, "group assignments", func(in *graphGroupInstance) (Activation, bool, error) {
		a, err := activeInstance(in.role(), in.AssignmentType, in.StartDateTime, in.EndDateTime)
		return a, err == nil && a.Role.RoleID != "" && a.Role.Scope != "", err
	})
}

// DecodeGroupRequest decodes one PIM for Groups assignment schedule request (the 201 answer to
// POST /identityGovernance/privilegedAccess/group/assignmentScheduleRequests).
func decodeGroupRequest(body []byte) (Activation, error) {
	return decodeGraphRequestOf(body, "group request", (*graphRequest).groupRole)
}

// DecodeGroupRequests decodes a page of PIM for Groups assignment schedule requests and keeps
// the user's own activation requests (action selfActivate).
func decodeGroupRequests(body []byte) (listPage[Activation], error) {
	return decodeGraphRequestsOf(body, "group requests", (*graphRequest).groupRole)
}

// ---- Azure resource roles (ARM) ----

type armExpanded struct {
	Scope          wireRef `json:"scope"`
	RoleDefinition wireRef `json:"roleDefinition"`
	Principal      wireRef `json:"principal"`
}

type armItem struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	Properties *struct {
		Scope                           string       `json:"scope"`
		RoleDefinitionID                string       `json:"roleDefinitionId"`
		PrincipalID                     string       `json:"principalId"`
		PrincipalType                   string       `json:"principalType"`
		Status                          string       `json:"status"`
		RequestType                     string       `json:"requestType"`
		MemberType                      string       `json:"memberType"`
		AssignmentType                  string       `json:"assignmentType"`
		StartDateTime                   string       `json:"startDateTime"`
		EndDateTime                     string       `json:"endDateTime"`
		CreatedOn                       string       `json:"createdOn"`
		RoleEligibilityScheduleID       string       `json:"roleEligibilityScheduleId"`
		RoleAssignmentScheduleID        string       `json:"roleAssignmentScheduleId"`
		LinkedRoleEligibilityScheduleID string       `json:"linkedRoleEligibilityScheduleId"`
		ScheduleInfo                    wireSchedule `json:"scheduleInfo"`
		Justification                   string       `json:"justification"`
		ApprovalID                      string       `json:"approvalId"`
		TicketInfo                      wireTicketIn `json:"ticketInfo"`
		ExpandedProperties              *armExpanded `json:"expandedProperties"`
	} `json:"properties"`
}

func (it *armItem) role() Role {
	r := Role{Plane: PlaneAzure}
	p := it.Properties
	if p == nil {
		return r
	}
	r.RoleID, r.Scope, r.PrincipalID, r.MemberType = p.RoleDefinitionID, p.Scope, p.PrincipalID, p.MemberType
	var typ string
	if e := p.ExpandedProperties; e != nil {
		// The top-level roleDefinitionId is the one to send back; the expanded id can differ
		// (a known error in the official example), so it is only a fallback.
		if r.RoleID == "" {
			r.RoleID = e.RoleDefinition.ID
		}
		if r.Scope == "" {
			r.Scope = e.Scope.ID
		}
		r.RoleName, r.ScopeName, typ = e.RoleDefinition.DisplayName, e.Scope.DisplayName, e.Scope.Type
	}
	r.ScopeType = armScopeType(typ, r.Scope)
	if r.ScopeName == "" {
		r.ScopeName = lastSegment(r.Scope)
	}
	return r
}

// armScopeType normalises ARM's scope type (managementgroup, subscription, resourcegroup, resource),
// inferring it from the scope's path when Azure did not say.
func armScopeType(typ, scope string) string {
	switch t := strings.ToLower(strings.ReplaceAll(typ, " ", "")); t {
	case ScopeManagementGroup, ScopeSubscription, ScopeResourceGroup, ScopeResource:
		return t
	case "managementgroups", "microsoft.management/managementgroups":
		return ScopeManagementGroup
	case "subscriptions":
		return ScopeSubscription
	case "resourcegroups":
		return ScopeResourceGroup
	case "":
	default:
		return t
	}
	parts := strings.Split(strings.Trim(strings.ToLower(scope), "/"), "/")
	switch {
	case len(parts) == 4 && parts[0] == "providers" && parts[1] == "microsoft.management" && parts[2] == "managementgroups":
		return ScopeManagementGroup
	case len(parts) == 2 && parts[0] == "subscriptions":
		return ScopeSubscription
	case len(parts) == 4 && parts[0] == "subscriptions" && parts[2] == "resourcegroups":
		return ScopeResourceGroup
	case len(parts) > 4 && parts[0] == "subscriptions":
		return ScopeResource
	case len(parts) == 1 && parts[0] == "":
		return "root"
	}
	return ""
}

func lastSegment(p string) string {
	p = strings.TrimRight(p, "/")
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[i+1:]
	}
	return p
}

// DecodeARMEligibilities decodes a page of Azure role eligibility schedule instances
// (GET /providers/Microsoft.Authorization/roleEligibilityScheduleInstances?$filter=asTarget()).
// Names and scope types come from expandedProperties.
func decodeARMEligibilities(body []byte) (listPage[Role], error) {
	return decodeARMList(body, "azure eligibilities", func(it *armItem) (Role, bool, error) {
		if it.Properties == nil {
			return Role{}, false, nil
		}
		r, err := eligibleRole(it.role(), it.Properties.RoleEligibilityScheduleID, it.Properties.EndDateTime)
		return r, err == nil && r.RoleID != "" && r.Scope != "", err
	})
}

// DecodeARMAssignments decodes a page of Azure role assignment schedule instances, the user's
// active Azure roles (GET /providers/Microsoft.Authorization/roleAssignmentScheduleInstances?$filter=asTarget()).
func decodeARMAssignments(body []byte) (listPage[Activation], error) {
	return decodeARMList(body, "azure assignments", func(it *armItem) (Activation, bool, error) {
		if it.Properties == nil {
			return Activation{}, false, nil
		}
		r := it.role()
		r.EligibilityID = it.Properties.LinkedRoleEligibilityScheduleID
		a, err := activeInstance(r, it.Properties.AssignmentType, it.Properties.StartDateTime, it.Properties.EndDateTime)
		return a, err == nil && r.RoleID != "" && r.Scope != "", err
	})
}

func (it *armItem) request() (Activation, error) {
	r, id := it.role(), it.ID
	if id == "" {
		id = it.Name
	}
	p := it.Properties
	if p == nil {
		return Activation{Role: r, RequestID: id}, nil
	}
	r.EligibilityID = p.LinkedRoleEligibilityScheduleID
	return requestActivation(r, id, p.Status, p.ScheduleInfo, p.CreatedOn)
}

// DecodeARMRequest decodes one Azure role assignment schedule request (the 201 answer to
// PUT {scope}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/{name}, or a GET of it).
// RequestID is the request's full resource id.
func decodeARMRequest(body []byte) (Activation, error) {
	var it armItem
	if err := decodeJSON(body, "azure request", &it); err != nil {
		return Activation{}, err
	}
	a, err := it.request()
	if err != nil {
		return Activation{}, fmt.Errorf("decode azure request: %w", err)
	}
	return a, nil
}

// DecodeARMRequests decodes a page of Azure role assignment schedule requests
// ($filter=asRequestor()) and keeps activation requests (requestType SelfActivate).
func decodeARMRequests(body []byte) (listPage[Activation], error) {
	return decodeARMList(body, "azure requests", func(it *armItem) (Activation, bool, error) {
		if it.Properties == nil || !strings.EqualFold(it.Properties.RequestType, "SelfActivate") {
			return Activation{}, false, nil
		}
		a, err := it.request()
		return a, err == nil && a.Role.RoleID != "", err
	})
}

// ---- policies ----

type wireRule struct {
	ODataType       string   `json:"@odata.type"`
	RuleType        string   `json:"ruleType"`
	ID              string   `json:"id"`
	MaximumDuration string   `json:"maximumDuration"`
	EnabledRules    []string `json:"enabledRules"`
	IsEnabled       bool     `json:"isEnabled"`
	ClaimValue      string   `json:"claimValue"`
	Setting         *struct {
		IsApprovalRequired bool `json:"isApprovalRequired"`
	} `json:"setting"`
	Target *struct {
		Caller string `json:"caller"`
		Level  string `json:"level"`
	} `json:"target"`
}

// Rule ids of the end-user activation rules pimtray reads.
const (
	ruleIDExpiration  = "Expiration_EndUser_Assignment"
	ruleIDEnablement  = "Enablement_EndUser_Assignment"
	ruleIDApproval    = "Approval_EndUser_Assignment"
	ruleIDAuthContext = "AuthenticationContext_EndUser_Assignment"
)

// endUserRuleID is the rule's id when it is one of the end-user activation rules, telling rules
// apart by id, or, without an id, by type (Graph's @odata.type, ARM's ruleType) and target.
func (r *wireRule) endUserRuleID() string {
	if r.ID != "" {
		for _, id := range []string{ruleIDExpiration, ruleIDEnablement, ruleIDApproval, ruleIDAuthContext} {
			if strings.EqualFold(r.ID, id) {
				return id
			}
		}
		return ""
	}
	if r.Target == nil || !strings.EqualFold(r.Target.Caller, "EndUser") || !strings.EqualFold(r.Target.Level, "Assignment") {
		return ""
	}
	t := strings.ToLower(r.ODataType + " " + r.RuleType)
	switch {
	case strings.Contains(t, "authenticationcontextrule"):
		return ruleIDAuthContext
	case strings.Contains(t, "expirationrule"):
		return ruleIDExpiration
	case strings.Contains(t, "enablementrule"):
		return ruleIDEnablement
	case strings.Contains(t, "approvalrule"):
		return ruleIDApproval
	}
	return ""
}

// policyFromRules reads the end-user activation rules into a Policy (Known true).
func policyFromRules(rules []*wireRule) (Policy, error) {
	p := Policy{Known: true}
	for _, r := range rules {
		if r == nil {
			continue
		}
		switch r.endUserRuleID() {
		case ruleIDExpiration:
			if r.MaximumDuration != "" {
				d, err := ParseISODuration(r.MaximumDuration)
				if err != nil {
					return Policy{}, fmt.Errorf("rule %s: %w", r.ID, err)
				}
				p.MaxDuration = d
			}
		case ruleIDEnablement:
			for _, e := range r.EnabledRules {
				switch strings.ToLower(e) {
				case "multifactorauthentication":
					p.MFA = true
				case "justification":
					p.Justification = true
				case "ticketing":
					p.Ticket = true
				}
			}
		case ruleIDApproval:
			p.Approval = r.Setting != nil && r.Setting.IsApprovalRequired
		case ruleIDAuthContext:
			if r.IsEnabled && r.ClaimValue != "" {
				p.AuthContext = r.ClaimValue
			}
		}
	}
	return p, nil
}

type graphPolicyAssignment struct {
	ID               string `json:"id"`
	PolicyID         string `json:"policyId"`
	ScopeID          string `json:"scopeId"`
	ScopeType        string `json:"scopeType"`
	RoleDefinitionID string `json:"roleDefinitionId"`
	Policy           *struct {
		ID    string      `json:"id"`
		Rules []*wireRule `json:"rules"`
	} `json:"policy"`
}

// DecodeGraphPolicyAssignments decodes a page of Graph role management policy assignments
// (GET /policies/roleManagementPolicyAssignments?$filter=...&$expand=policy($expand=rules)), for
// directory roles and for groups alike. Policy.Known is true for assignments whose rules came along.
func decodeGraphPolicyAssignments(body []byte) (listPage[policyAssignment], error) {
	return decodeGraphList(body, "graph policy assignments", func(in *graphPolicyAssignment) (policyAssignment, bool, error) {
		pa := policyAssignment{ID: in.ID, PolicyID: in.PolicyID, Scope: in.ScopeID, ScopeType: in.ScopeType, RoleID: in.RoleDefinitionID}
		if in.Policy != nil && in.Policy.Rules != nil {
			p, err := policyFromRules(in.Policy.Rules)
			if err != nil {
				return pa, false, err
			}
			pa.Policy = p
		}
		return pa, true, nil
	})
}

type armPolicyAssignment struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Properties *struct {
		Scope                      string      `json:"scope"`
		RoleDefinitionID           string      `json:"roleDefinitionId"`
		PolicyID                   string      `json:"policyId"`
		EffectiveRules             []*wireRule `json:"effectiveRules"`
		PolicyAssignmentProperties *struct {
			Scope wireRef `json:"scope"`
		} `json:"policyAssignmentProperties"`
	} `json:"properties"`
}

// DecodeARMPolicyAssignments decodes a page of ARM role management policy assignments
// (GET {scope}/providers/Microsoft.Authorization/roleManagementPolicyAssignments?$filter=roleDefinitionId eq '...'),
// reading properties.effectiveRules.
func decodeARMPolicyAssignments(body []byte) (listPage[policyAssignment], error) {
	return decodeARMList(body, "azure policy assignments", func(in *armPolicyAssignment) (policyAssignment, bool, error) {
		pa := policyAssignment{ID: in.ID}
		p := in.Properties
		if p == nil {
			return pa, true, nil
		}
		pa.PolicyID, pa.Scope, pa.RoleID = p.PolicyID, p.Scope, p.RoleDefinitionID
		if p.PolicyAssignmentProperties != nil {
			pa.ScopeType = armScopeType(p.PolicyAssignmentProperties.Scope.Type, p.Scope)
		} else {
			pa.ScopeType = armScopeType("", p.Scope)
		}
		if p.EffectiveRules != nil {
			pol, err := policyFromRules(p.EffectiveRules)
			if err != nil {
				return pa, false, err
			}
			pa.Policy = pol
		}
		return pa, true, nil
	})
}

// ---- small shapes ----

// DecodePrincipal decodes GET /me?$select=id,userPrincipalName,displayName.
func decodePrincipal(body []byte) (Principal, error) {
	var p Principal
	if err := decodeJSON(body, "me", &p); err != nil {
		return Principal{}, err
	}
	if p.ID == "" {
		return Principal{}, errors.New("decode me: no id")
	}
	return p, nil
}

// DecodeDisplayName decodes any Graph object read with $select=id,displayName (a role definition,
// a group, an administrative unit).
func decodeDisplayName(body []byte) (id, name string, err error) {
	var r wireRef
	if err := decodeJSON(body, "display name", &r); err != nil {
		return "", "", err
	}
	return r.ID, r.DisplayName, nil
}

// ---- statuses ----

// requestState sorts Azure's request status words: Provisioned, Granted and the like are
// active; Pending* (but PendingRevocation) is pending; ended requests (Denied, Canceled,
// Failed, Revoked, ...) are "". Unknown words count as pending: the next listing corrects it.
func requestState(status string) Status {
	switch strings.ToLower(status) {
	case "provisioned", "granted", "schedulecreated", "adminapproved", "accepted", "provisioningstarted":
		return StatusActive
	case "denied", "admindenied", "canceled", "cancelled", "failed", "failedasresourceislocked",
		"revoked", "timedout", "invalid", "pendingrevocation":
		return ""
	}
	return StatusPending
}

// isPendingStatus tells an open request (waiting for approval, evaluation or provisioning).
func isPendingStatus(status string) bool {
	s := strings.ToLower(status)
	return strings.HasPrefix(s, "pending") && s != "pendingrevocation"
}

// titleWord upper-cases the first letter: "activated" → "Activated" (Groups spell them lower-case).
func titleWord(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
