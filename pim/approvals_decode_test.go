package pim

import (
	"strings"
	"testing"
	"time"
)

// The approver list items in Microsoft's documented shape (unifiedroleassignmentschedulerequest-filterbycurrentuser.md
// @ 09455a65abde17103c17fc70605c4c8553f01978: its example item has approvalId null, status Provisioned
// and createdBy.user.displayName null), with principal expanded as $expand=principal gives it.
const docApproverList = `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#roleManagement/directory/roleAssignmentScheduleRequests","value":[
 {"id":"95c690fb-3eb3-4942-a03f-4524aed6f31e","status":"Provisioned","createdDateTime":"2022-04-11T11:50:05.95Z","approvalId":null,
  "action":"adminAssign","principalId":"071cc716-8147-4397-a5ba-b2105951cc0b","roleDefinitionId":"fdd7a751-b60b-444a-984c-02652fe8fa1c",
  "directoryScopeId":"/","createdBy":{"user":{"displayName":null,"id":"3fbd929d-8c56-4462-851e-0eb9a7b3a2a5"}},
  "scheduleInfo":{"startDateTime":"2022-04-11T11:50:05.9999343Z","recurrence":null,"expiration":{"type":"noExpiration","endDateTime":null,"duration":null}},
  "ticketInfo":{"ticketNumber":null,"ticketSystem":null}},
 {"id":"5a4f9f6e-1f5b-4bf0-9d1c-3d1f1c1a2b3c","status":"PendingApproval","createdDateTime":"2022-04-11T12:00:00Z","approvalId":"5a4f9f6e-1f5b-4bf0-9d1c-3d1f1c1a2b3c",
  "action":"selfActivate","principalId":"071cc716-8147-4397-a5ba-b2105951cc0b","roleDefinitionId":"fdd7a751-b60b-444a-984c-02652fe8fa1c",
  "directoryScopeId":"/","justification":"patch night","createdBy":{"user":{"displayName":null,"id":"071cc716-8147-4397-a5ba-b2105951cc0b"}},
  "scheduleInfo":{"startDateTime":"2022-04-11T12:00:00Z","expiration":{"type":"afterDuration","endDateTime":null,"duration":"PT4H"}},
  "ticketInfo":{"ticketNumber":"CHG-7","ticketSystem":"ServiceNow"},
  "principal":{"@odata.type":"#microsoft.graph.user","id":"071cc716-8147-4397-a5ba-b2105951cc0b","displayName":"Ada Lovelace","userPrincipalName":"ada@contoso.com"},
  "roleDefinition":{"id":"fdd7a751-b60b-444a-984c-02652fe8fa1c","displayName":"Groups Administrator"}}]}`

func TestDecodeGraphApprovalsKeepsOnlyWhatWaits(t *testing.T) {
	p, err := decodeGraphApprovals(PlaneEntra)([]byte(docApproverList))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 1 {
		t.Fatalf("%d items, want the pending one only: %+v", len(p.Items), p.Items)
	}
	a := p.Items[0]
	if a.Requester.DisplayName != "Ada Lovelace" || a.Requester.UserPrincipalName != "ada@contoso.com" || a.Role.RoleName != "Groups Administrator" ||
		a.Role.ScopeName != "Directory" || a.Duration != 4*time.Hour || a.TicketNumber != "CHG-7" || a.API != "beta" || a.Justification != "patch night" {
		t.Errorf("decoded %+v", a)
	}
	if want := "Ada Lovelace · Groups Administrator"; a.Label() != want {
		t.Errorf("label %q, want %q", a.Label(), want)
	}
}

// ARM: the request list item's documented fields (RoleAssignmentScheduleRequest, 2020-10-01:
// approvalId, expandedProperties.principal {id, displayName, email, type}), and the stages list
// of GetRoleAssignmentApprovalSteps.json (2021-01-01-preview) @ c97e2892044873200a5e00b2dec70e9d286952d2.
func TestDecodeARMApprovalsAndStages(t *testing.T) {
	body := `{"value":[{"id":"/subscriptions/s1/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/r1","name":"r1",
	 "properties":{"scope":"/subscriptions/s1","roleDefinitionId":"/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/b24988ac",
	 "principalId":"p1","requestType":"SelfActivate","status":"PendingApproval",
	 "approvalId":"/providers/Microsoft.Authorization/roleAssignmentApprovals/488a6d0e-0a63-4946-86e3-1f5bbc934661",
	 "createdOn":"2020-09-09T21:35:27.91Z","scheduleInfo":{"startDateTime":"2020-09-09T21:35:27.91Z","expiration":{"type":"AfterDuration","duration":"PT8H"}},
	 "expandedProperties":{"scope":{"id":"/subscriptions/s1","displayName":"Pay-As-You-Go","type":"subscription"},
	  "roleDefinition":{"id":"x","displayName":"Contributor","type":"BuiltInRole"},
	  "principal":{"id":"p1","displayName":"User Account","email":"user@my-tenant.com","type":"User"}}}},
	 {"name":"r2","properties":{"status":"Provisioned","approvalId":null}}]}`
	p, err := decodeARMApprovals([]byte(body))
	if err != nil || len(p.Items) != 1 {
		t.Fatalf("%v, %+v", err, p.Items)
	}
	if a := p.Items[0]; a.Requester.UserPrincipalName != "user@my-tenant.com" || a.Role.ScopeName != "Pay-As-You-Go" || a.Duration != 8*time.Hour || a.API != "2021-01-01-preview" {
		t.Errorf("decoded %+v", a)
	}
	stages := `{"value":[{"id":"/providers/Microsoft.Authorization/roleAssignmentApprovals/488a6d0e-0a63-4946-86e3-1f5bbc934661/stages/4135f961-be78-4005-8101-c72a5af307a2",
	 "type":"Microsoft.Authorization/roleAssignmentApprovals/stages","name":"4135f961-be78-4005-8101-c72a5af307a2",
	 "properties":{"displayName":"Vice President Approval Step","assignedToMe":true,"status":"InProgress","reviewedBy":null,"reviewedDateTime":null,"reviewResult":"NotReviewed","justification":""}}]}`
	st, err := decodeStages(PlaneAzure, []byte(stages))
	if err != nil || len(st) != 1 || st[0].ID != "4135f961-be78-4005-8101-c72a5af307a2" || !st[0].AssignedToMe || st[0].Status != "InProgress" {
		t.Errorf("stages %+v, %v", st, err)
	}
}

func FuzzDecodeApprovals(f *testing.F) {
	f.Add([]byte(docApproverList))
	f.Add([]byte(`{"value":[{"properties":{"status":"PendingApproval","approvalId":"a","scheduleInfo":{"expiration":{"type":"AfterDuration","duration":"P1D"}}}}]}`))
	f.Add([]byte(`{"steps":[{"id":"s","assignedToMe":true,"reviewedBy":{"displayName":"x"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, p := range []Plane{PlaneEntra, PlaneGroup} {
			if page, err := decodeGraphApprovals(p)(b); err == nil {
				for _, a := range page.Items {
					if a.ApprovalID == "" || !strings.EqualFold(a.API, map[Plane]string{PlaneEntra: "beta", PlaneGroup: "v1.0"}[p]) {
						t.Fatalf("kept %+v", a)
					}
				}
			}
			_, _ = decodeStages(p, b)
		}
		if page, err := decodeARMApprovals(b); err == nil {
			for _, a := range page.Items {
				if a.ApprovalID == "" {
					t.Fatalf("kept %+v", a)
				}
			}
		}
		_, _ = decodeStages(PlaneAzure, b)
	})
}

func TestDecodeApprovalsSkipsExtendAndRenew(t *testing.T) {
	g := `{"value":[{"id":"e1","status":"PendingApproval","approvalId":"a1","action":"selfExtend","principalId":"p","roleDefinitionId":"r","directoryScopeId":"/"}]}`
	if p, err := decodeGraphApprovals(PlaneEntra)([]byte(g)); err != nil || len(p.Items) != 0 {
		t.Errorf("a selfExtend request kept: %+v, %v", p.Items, err)
	}
	a := `{"value":[{"name":"r1","properties":{"status":"PendingApproval","approvalId":"/providers/Microsoft.Authorization/roleAssignmentApprovals/x","requestType":"SelfRenew","scope":"/subscriptions/s"}}]}`
	if p, err := decodeARMApprovals([]byte(a)); err != nil || len(p.Items) != 0 {
		t.Errorf("a SelfRenew request kept: %+v, %v", p.Items, err)
	}
}
