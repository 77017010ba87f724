package notify

import (
	"encoding/base64"
	"strings"
)

// toastArgPrefix marks Windows toast activation arguments as pimtray's.
const toastArgPrefix = "pimtray:"

// toastArgs encodes an action and a notice ID into toast activation arguments. go-toast
// puts them into an XML attribute without escaping, so the ID is base64url-encoded.
func toastArgs(action, noticeID string) string {
	return toastArgPrefix + action + ":" + base64.RawURLEncoding.EncodeToString([]byte(noticeID))
}

// parseToastArgs decodes activation arguments made by toastArgs.
func parseToastArgs(args string) (ActionEvent, bool) {
	rest, ok := strings.CutPrefix(args, toastArgPrefix)
	if !ok {
		return ActionEvent{}, false
	}
	action, enc, ok := strings.Cut(rest, ":")
	if !ok || actionLabels[action] == "" {
		return ActionEvent{}, false
	}
	id, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return ActionEvent{}, false
	}
	return ActionEvent{NoticeID: string(id), Action: action}, true
}

// toastText keeps text from ending go-toast's CDATA sections early.
func toastText(s string) string { return strings.ReplaceAll(s, "]]>", "]] >") }
