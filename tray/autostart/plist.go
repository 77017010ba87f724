package autostart

import (
	"encoding/xml"
	"strings"
)

// launchAgentPlist returns the LaunchAgent property list that makes launchd start command
// when the user logs in to the graphical session.
func launchAgentPlist(label string, command []string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>` + xmlText(label) + `</string>
	<key>ProgramArguments</key>
	<array>
`)
	for _, arg := range command {
		b.WriteString("\t\t<string>" + xmlText(arg) + "</string>\n")
	}
	b.WriteString(`	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>LimitLoadToSessionType</key>
	<string>Aqua</string>
	<key>ProcessType</key>
	<string>Interactive</string>
`)
	if bundle, ok := appBundleID(command[0]); ok {
		// Lets System Settings › Login Items show the app's name and icon for this agent.
		b.WriteString("\t<key>AssociatedBundleIdentifiers</key>\n\t<string>" + xmlText(bundle) + "</string>\n")
	}
	b.WriteString("</dict>\n</plist>\n")
	return []byte(b.String())
}

// appBundleID returns pimtray's bundle identifier when the program runs from inside an .app
// bundle (…/pimtray.app/Contents/MacOS/pimtray), as build/macos/build-app.sh makes it.
func appBundleID(program string) (string, bool) {
	if strings.Contains(program, ".app/Contents/MacOS/") {
		return "io.github.pimtray", true
	}
	return "", false
}

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder never fails to write
	return b.String()
}
