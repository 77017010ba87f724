package notify

import (
	"encoding/base64"
	"strings"
)

// toastArgPrefix marks Windows toast activation arguments as pimtray's.
const toastArgPrefix = "pimtray:"

// toastArgs encodes an action, a notice ID and the notice's role key into toast activation
// arguments. go-toast puts them into an XML attribute without escaping, so the ID and the
// key are base64url-encoded. The key lets a click on a toast from an earlier run (Windows
// keeps toasts in the Action Center, and starts the app with the arguments) still act.
func toastArgs(action, noticeID, key string) string {
	s := toastArgPrefix + action + ":" + base64.RawURLEncoding.EncodeToString([]byte(noticeID))
	if key != "" {
		s += ":" + base64.RawURLEncoding.EncodeToString([]byte(key))
	}
	return s
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
	enc, encKey, _ := strings.Cut(enc, ":")
	id, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return ActionEvent{}, false
	}
	key, err := base64.RawURLEncoding.DecodeString(encKey)
	if err != nil {
		return ActionEvent{}, false
	}
	return ActionEvent{NoticeID: string(id), Action: action, Key: string(key)}, true
}

// toastText keeps text from ending go-toast's CDATA sections early.
func toastText(s string) string { return strings.ReplaceAll(s, "]]>", "]] >") }
