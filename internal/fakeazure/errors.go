package fakeazure

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Error codes and messages of Azure PIM refusals. Unless marked "guessed", the bodies are the ones
// in ../shared/pim-vectors/community/observed-errors.json.
const (
	codeExists         = "RoleAssignmentExists"
	msgExists          = "The Role assignment already exists."
	codeRequestExists  = "RoleAssignmentRequestExists"
	msgRequestExists   = "The Role assignment request already exists." // guessed: the observed message is unknown
	codePolicy         = "RoleAssignmentRequestPolicyValidationFailed"
	codeAcrs           = "RoleAssignmentRequestAcrsValidationFailed"
	codeTooShort       = "ActiveDurationTooShort"
	msgTooShort        = "The Active duration is too short. Miniumum Required is 5 minutes." // sic
	codeDoesNotExist   = "RoleAssignmentDoesNotExist"
	msgDoesNotExist    = "The Role assignment does not exist."
	codeCannotCancel   = "RoleAssignmentRequestCannotBeCanceled"                 // guessed
	msgCannotCancel    = "Only a request that is still pending can be canceled." // guessed
	codeRequestMissing = "RoleAssignmentRequestDoesNotExist"                     // guessed
	msgRequestMissing  = "The Role assignment request does not exist."           // guessed
)

// failure is a refusal of a PIM operation, independent of the plane that renders it.
type failure struct {
	status  int
	code    string
	message string   // used as is when set
	rules   []string // policy failures (code RoleAssignmentRequestPolicyValidationFailed)
	acrs    string   // authentication context needed (code RoleAssignmentRequestAcrsValidationFailed)
}

// ruleDetail is the newer message form's text per rule ("JustificationRule - Justification is required",
// observed); the other rules' texts are guessed in the same style.
var ruleDetail = map[string]string{
	"ExpirationRule":    "Expiration exceeds the maximum duration",
	"JustificationRule": "Justification is required",
	"TicketingRule":     "Ticket number is required",
	"MfaRule":           "Multi-factor authentication is required",
}

// bracketMessage is the older form: The following policy rules failed: ["ExpirationRule","MfaRule"].
func bracketMessage(rules []string) string {
	b, _ := json.Marshal(rules)
	return "The following policy rules failed: " + string(b)
}

// detailMessage is the newer form: The following policy rules failed: JustificationRule - Justification is required.
// Several rules are joined with ", " (only the single-rule form was observed).
func detailMessage(rules []string) string {
	parts := make([]string, len(rules))
	for i, r := range rules {
		parts[i] = r + " - " + ruleDetail[r]
	}
	return "The following policy rules failed: " + strings.Join(parts, ", ")
}

// acrsClaims is the claims challenge for an authentication context, in the exact JSON form seen in
// the field (note the space after the comma).
func acrsClaims(value string) string {
	return `{"access_token":{"acrs":{"essential":true, "value":"` + value + `"}}}`
}

// acrsMessage is the AcrsValidationFailed message: "&claims=" and the URL-encoded claims, exactly
// as observed (%20 for the space, not '+').
func acrsMessage(value string) string {
	return "&claims=" + strings.ReplaceAll(url.QueryEscape(acrsClaims(value)), "+", "%20")
}

// graphMessage renders a failure's message for the Graph planes: policy failures in the bracket form.
func (f *failure) graphMessage() string {
	switch {
	case f.message != "":
		return f.message
	case len(f.rules) > 0:
		return bracketMessage(f.rules)
	case f.acrs != "":
		return acrsMessage(f.acrs)
	}
	return f.code
}

// armMessage renders a failure's message for ARM: the newer "X - Y is required" form, except that an
// ExpirationRule failure keeps the bracket form it was observed with on ARM.
func (f *failure) armMessage() string {
	switch {
	case f.message != "":
		return f.message
	case len(f.rules) > 0:
		if containsFold(f.rules, "ExpirationRule") {
			return bracketMessage(f.rules)
		}
		return detailMessage(f.rules)
	case f.acrs != "":
		return acrsMessage(f.acrs)
	}
	return f.code
}

// writeJSON writes v as the response body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "fakeazure: encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// graphError writes Graph's OData error shape {"error":{"code","message","innerError"}}.
func graphError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	clientReq := r.Header.Get("client-request-id")
	if clientReq == "" {
		clientReq = uuid.NewString()
	}
	reqID := uuid.NewString()
	w.Header().Set("request-id", reqID)
	w.Header().Set("client-request-id", clientReq)
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code": code, "message": message,
		"innerError": map[string]any{
			"date":              time.Now().UTC().Format("2006-01-02T15:04:05"),
			"request-id":        reqID,
			"client-request-id": clientReq,
		},
	}})
}

func graphFailure(w http.ResponseWriter, r *http.Request, f *failure) {
	graphError(w, r, f.status, f.code, f.graphMessage())
}

// armError writes ARM's error shape {"error":{"code","message"}}.
func armError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("x-ms-request-id", uuid.NewString())
	w.Header().Set("x-ms-correlation-request-id", uuid.NewString())
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": message}})
}

func armFailure(w http.ResponseWriter, f *failure) {
	armError(w, f.status, f.code, f.armMessage())
}
