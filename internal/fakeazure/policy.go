package fakeazure

// obj is a JSON object as the fake writes it.
type obj = map[string]any

// approverID is the object id of the (fictitious) approver named in approval rules.
const approverID = "5e2c8d4a-7b1f-4c9e-a3d6-8f0b2e4c6a19"

// policyRules renders a role's activation policy as the full rule set Azure returns (admin
// eligibility/assignment rules, end-user assignment rules and notifications), in the rule order
// and shape of the official examples: Graph's (told apart by @odata.type) or ARM's effectiveRules
// (told apart by ruleType).
func policyRules(p Policy, arm bool) []obj {
	target := func(caller, level string) obj {
		if arm {
			return obj{"caller": caller, "operations": []string{"All"}, "level": level,
				"targetObjects": nil, "inheritableSettings": nil, "enforcedSettings": nil}
		}
		return obj{"caller": caller, "operations": []string{"all"}, "level": level,
			"inheritableSettings": []string{}, "enforcedSettings": []string{}}
	}
	rule := func(kind, id, caller, level string, fields obj) obj {
		o := obj{"id": id, "target": target(caller, level)}
		if arm {
			o["ruleType"] = "RoleManagementPolicy" + kind + "Rule"
		} else {
			o["@odata.type"] = "#microsoft.graph.unifiedRoleManagementPolicy" + kind + "Rule"
		}
		for k, v := range fields {
			o[k] = v
		}
		return o
	}
	expiration := func(id, caller, level string, required bool, max string) obj {
		return rule("Expiration", id, caller, level, obj{"isExpirationRequired": required, "maximumDuration": max})
	}
	enablement := func(id, caller, level string, enabled []string) obj {
		if enabled == nil {
			enabled = []string{}
		}
		return rule("Enablement", id, caller, level, obj{"enabledRules": enabled})
	}
	notifications := func(callerLevel, caller, level string) []obj {
		var out []obj
		for _, recipient := range []string{"Admin", "Requestor", "Approver"} {
			f := obj{"notificationType": "Email", "recipientType": recipient, "isDefaultRecipientsEnabled": true,
				"notificationLevel": "All", "notificationRecipients": []string{}}
			if arm {
				f["notificationLevel"] = "Critical"
				f["notificationRecipients"] = nil
			}
			out = append(out, rule("Notification", "Notification_"+recipient+"_"+callerLevel, caller, level, f))
		}
		return out
	}

	var endUser []string
	if p.MFA {
		endUser = append(endUser, "MultiFactorAuthentication")
	}
	if p.Justification {
		endUser = append(endUser, "Justification")
	}
	if p.Ticket {
		endUser = append(endUser, "Ticketing")
	}

	var primary []obj
	if p.Approval {
		if arm {
			primary = []obj{{"id": approverID, "description": "PIM Approver", "isBackup": false, "userType": "User"}}
		} else {
			primary = []obj{{"@odata.type": "#microsoft.graph.singleUser", "userId": approverID, "description": "PIM Approver"}}
		}
	} else {
		primary = []obj{}
	}
	stage := obj{"approvalStageTimeOutInDays": 1, "isApproverJustificationRequired": true, "escalationTimeInMinutes": 0,
		"isEscalationEnabled": false, "primaryApprovers": primary, "escalationApprovers": []obj{}}
	if arm {
		stage["escalationApprovers"] = nil
	}
	approval := rule("Approval", "Approval_EndUser_Assignment", "EndUser", "Assignment", obj{"setting": obj{
		"isApprovalRequired": p.Approval, "isApprovalRequiredForExtension": false, "isRequestorJustificationRequired": true,
		"approvalMode": "SingleStage", "approvalStages": []obj{stage}}})

	var claim any
	if p.AuthContext != "" {
		claim = p.AuthContext
	} else if arm {
		claim = ""
	}
	authContext := rule("AuthenticationContext", "AuthenticationContext_EndUser_Assignment", "EndUser", "Assignment",
		obj{"isEnabled": p.AuthContext != "", "claimValue": claim})
	maxEndUser := isoDuration(p.maxDuration())

	var rules []obj
	if arm {
		rules = append(rules, enablement("Enablement_Admin_Eligibility", "Admin", "Eligibility", nil),
			expiration("Expiration_Admin_Eligibility", "Admin", "Eligibility", true, "P365D"))
		rules = append(rules, notifications("Admin_Eligibility", "Admin", "Eligibility")...)
		rules = append(rules, enablement("Enablement_Admin_Assignment", "Admin", "Assignment", []string{"Justification"}),
			expiration("Expiration_Admin_Assignment", "Admin", "Assignment", false, "P180D"))
		rules = append(rules, notifications("Admin_Assignment", "Admin", "Assignment")...)
		rules = append(rules, approval, authContext,
			enablement("Enablement_EndUser_Assignment", "EndUser", "Assignment", endUser),
			expiration("Expiration_EndUser_Assignment", "EndUser", "Assignment", true, maxEndUser))
		rules = append(rules, notifications("EndUser_Assignment", "EndUser", "Assignment")...)
		return rules
	}
	rules = append(rules, expiration("Expiration_Admin_Eligibility", "Admin", "Eligibility", false, "P365D"),
		enablement("Enablement_Admin_Eligibility", "Admin", "Eligibility", nil))
	rules = append(rules, notifications("Admin_Eligibility", "Admin", "Eligibility")...)
	rules = append(rules, expiration("Expiration_Admin_Assignment", "Admin", "Assignment", false, "P180D"),
		enablement("Enablement_Admin_Assignment", "Admin", "Assignment", []string{"Justification"}))
	rules = append(rules, notifications("Admin_Assignment", "Admin", "Assignment")...)
	rules = append(rules, expiration("Expiration_EndUser_Assignment", "EndUser", "Assignment", true, maxEndUser),
		enablement("Enablement_EndUser_Assignment", "EndUser", "Assignment", endUser), approval, authContext)
	rules = append(rules, notifications("EndUser_Assignment", "EndUser", "Assignment")...)
	return rules
}
