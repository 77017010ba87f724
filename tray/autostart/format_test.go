package autostart

import (
	"encoding/xml"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDesktopExecQuoting(t *testing.T) {
	for _, tc := range []struct {
		command []string
		want    string
	}{
		{[]string{"/usr/bin/pimtray"}, `/usr/bin/pimtray`},
		{[]string{"/home/ann/My Apps/pimtray", "--tray"}, `"/home/ann/My Apps/pimtray" --tray`},
		{[]string{"/opt/pim$tray/pimtray"}, `"/opt/pim\\$tray/pimtray"`},
		{[]string{`/opt/back\slash/pimtray`}, `"/opt/back\\\\slash/pimtray"`},
		{[]string{`/opt/"quoted"/pimtray`}, `"/opt/\\"quoted\\"/pimtray"`},
		{[]string{"/opt/tick`s/pimtray"}, "\"/opt/tick\\\\`s/pimtray\""},
		{[]string{"/opt/100%/pimtray", "--label=50%"}, `/opt/100%%/pimtray --label=50%%`},
		{[]string{"/opt/it's/pimtray"}, `"/opt/it's/pimtray"`},
		{[]string{"/usr/bin/pimtray", ""}, `/usr/bin/pimtray ""`},
		{[]string{"/usr/bin/pimtray", "a\tb"}, `/usr/bin/pimtray "a\tb"`},
		{[]string{"/home/ann/~x/(pim)tray"}, `"/home/ann/~x/(pim)tray"`},
	} {
		got, err := desktopExec(tc.command)
		if err != nil {
			t.Errorf("%q: %v", tc.command, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%q: Exec=%s, want Exec=%s", tc.command, got, tc.want)
		}
		if back := parseDesktopExec(t, got); !slices.Equal(back, tc.command) {
			t.Errorf("%q: Exec=%s reads back as %q", tc.command, got, back)
		}
	}
	if _, err := desktopExec([]string{"/opt/a=b/pimtray"}); err == nil {
		t.Error("'=' in the program path: no error")
	}
}

// FuzzDesktopExec checks that whatever the path and arguments, a desktop environment reading
// the Exec line back gets exactly the command that was written.
func FuzzDesktopExec(f *testing.F) {
	f.Add("/home/ann/My Apps/pimtray", `--x="a b"`, `c:\d$e%f`)
	f.Add(`/a\b`, "", "`;|&")
	f.Fuzz(func(t *testing.T, program, arg1, arg2 string) {
		command := []string{program, arg1, arg2}
		for _, s := range command {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
				return
			}
		}
		exec, err := desktopExec(command)
		if program == "" || strings.Contains(program, "=") {
			if err == nil {
				t.Fatalf("%q: no error", command)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(exec, "\n") {
			t.Fatalf("Exec value %q spans lines", exec)
		}
		if back := parseDesktopExec(t, exec); !slices.Equal(back, command) {
			t.Fatalf("%q: Exec=%s reads back as %q", command, exec, back)
		}
	})
}

// parseDesktopExec reads an Exec value as the specification says a desktop environment
// does: undo the string escapes, split into arguments undoing the quoting, then turn %% into %.
func parseDesktopExec(t *testing.T, value string) []string {
	t.Helper()
	var s strings.Builder
	for i := 0; i < len(value); i++ {
		if value[i] != '\\' || i+1 == len(value) {
			s.WriteByte(value[i])
			continue
		}
		i++
		switch value[i] {
		case 's':
			s.WriteByte(' ')
		case 'n':
			s.WriteByte('\n')
		case 't':
			s.WriteByte('\t')
		case 'r':
			s.WriteByte('\r')
		case '\\':
			s.WriteByte('\\')
		default:
			t.Fatalf("Exec value %q has the unknown string escape \\%c", value, value[i])
		}
	}
	line := s.String()
	var args []string
	var cur strings.Builder
	inArg, quoted := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quoted && c == '\\' && i+1 < len(line) && strings.IndexByte("\"`$\\", line[i+1]) >= 0:
			i++
			cur.WriteByte(line[i])
		case quoted && c == '"':
			quoted = false
		case quoted:
			cur.WriteByte(c)
		case c == '"':
			quoted, inArg = true, true
		case c == ' ':
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			if strings.IndexByte(desktopReserved, c) >= 0 {
				t.Fatalf("Exec value %q has the reserved %q outside quotes", value, c)
			}
			cur.WriteByte(c)
			inArg = true
		}
	}
	if quoted {
		t.Fatalf("Exec value %q has an unclosed quote", value)
	}
	if inArg {
		args = append(args, cur.String())
	}
	for i, a := range args {
		if strings.Count(strings.ReplaceAll(a, "%%", ""), "%") != 0 {
			t.Fatalf("Exec value %q has a field code in %q", value, a)
		}
		args[i] = strings.ReplaceAll(a, "%%", "%")
	}
	return args
}

func TestDesktopEntryEnabled(t *testing.T) {
	for _, tc := range []struct {
		content string
		want    bool
	}{
		{"[Desktop Entry]\nExec=x\n", true},
		{"[Desktop Entry]\nHidden=true\n", false},
		{"[Desktop Entry]\nHidden=false\n", true},
		{"[Desktop Entry]\nX-GNOME-Autostart-enabled=false\n", false},
		{"[Desktop Entry]\nX-GNOME-Autostart-enabled = true\n", true},
		{"[Desktop Entry]\nExec=x\n[Desktop Action quit]\nHidden=true\n", true},
	} {
		if got := desktopEntryEnabled(tc.content); got != tc.want {
			t.Errorf("%q: enabled %v, want %v", tc.content, got, tc.want)
		}
	}
}

// plistDoc is the shape of a LaunchAgent property list, read generically.
type plistDoc struct {
	Dict struct {
		Items []struct {
			XMLName xml.Name
			Value   string   `xml:",chardata"`
			Strings []string `xml:"string"`
		} `xml:",any"`
	} `xml:"dict"`
}

// plistKeys returns the top-level dictionary: key → value, with arrays joined by "\x00" and
// booleans as "true"/"false".
func plistKeys(t *testing.T, data []byte) map[string]string {
	t.Helper()
	var doc plistDoc
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("plist does not parse: %v\n%s", err, data)
	}
	out := map[string]string{}
	items := doc.Dict.Items
	for i := 0; i+1 < len(items); i += 2 {
		if items[i].XMLName.Local != "key" {
			t.Fatalf("plist dict item %d is <%s>, want <key>", i, items[i].XMLName.Local)
		}
		v := items[i+1]
		switch v.XMLName.Local {
		case "string":
			out[items[i].Value] = v.Value
		case "array":
			out[items[i].Value] = strings.Join(v.Strings, "\x00")
		case "true", "false":
			out[items[i].Value] = v.XMLName.Local
		default:
			t.Fatalf("plist value <%s> unexpected", v.XMLName.Local)
		}
	}
	return out
}

func TestLaunchAgentPlist(t *testing.T) {
	a := New("pimtray", "/Users/ann/Apps & Tools/pimtray<1>", []string{"--tray"})
	data := launchAgentPlist(a.launchAgentLabel(), a.Command())
	if !strings.HasPrefix(string(data), `<?xml version="1.0" encoding="UTF-8"?>`+"\n<!DOCTYPE plist") {
		t.Errorf("plist header wrong:\n%s", data)
	}
	got := plistKeys(t, data)
	want := map[string]string{
		"Label":                  "io.github.pimtray",
		"ProgramArguments":       "/Users/ann/Apps & Tools/pimtray<1>\x00--tray",
		"RunAtLoad":              "true",
		"LimitLoadToSessionType": "Aqua",
		"ProcessType":            "Interactive",
	}
	if len(got) != len(want) {
		t.Errorf("plist keys %q, want %q", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("plist %s = %q, want %q", k, got[k], v)
		}
	}

	inBundle := launchAgentPlist("io.github.pimtray", []string{"/Applications/pimtray.app/Contents/MacOS/pimtray"})
	if got := plistKeys(t, inBundle)["AssociatedBundleIdentifiers"]; got != "io.github.pimtray" {
		t.Errorf("AssociatedBundleIdentifiers = %q for an app in a bundle, want io.github.pimtray", got)
	}
}

func TestWindowsCommandLine(t *testing.T) {
	for _, tc := range []struct {
		command []string
		want    string
	}{
		{[]string{`C:\Program Files\pimtray\pimtray.exe`}, `"C:\Program Files\pimtray\pimtray.exe"`},
		{[]string{`C:\pimtray.exe`, "--tray"}, `"C:\pimtray.exe" --tray`},
		{[]string{`C:\p.exe`, "a b"}, `"C:\p.exe" "a b"`},
		{[]string{`C:\p.exe`, ""}, `"C:\p.exe" ""`},
		{[]string{`C:\p.exe`, `say "hi"`}, `"C:\p.exe" "say \"hi\""`},
		{[]string{`C:\p.exe`, `C:\dir with space\`}, `"C:\p.exe" "C:\dir with space\\"`},
		{[]string{`C:\p.exe`, `a\\"b c`}, `"C:\p.exe" "a\\\\\"b c"`},
		{[]string{`C:\p.exe`, `no\quote\needed`}, `"C:\p.exe" no\quote\needed`},
	} {
		got := windowsCommandLine(tc.command)
		if got != tc.want {
			t.Errorf("%q: %s, want %s", tc.command, got, tc.want)
		}
		if back := parseWindowsCommandLine(got); !slices.Equal(back, tc.command) {
			t.Errorf("%q: %s reads back as %q", tc.command, got, back)
		}
	}
}

func FuzzWindowsCommandLine(f *testing.F) {
	f.Add(`C:\Program Files\pimtray.exe`, `a "b" c\`, `\\\"`)
	f.Fuzz(func(t *testing.T, program, arg1, arg2 string) {
		if program == "" || strings.ContainsAny(program, "\"\x00") || strings.ContainsAny(arg1+arg2, "\x00") {
			return // Windows paths cannot hold quotes
		}
		command := []string{program, arg1, arg2}
		line := windowsCommandLine(command)
		if back := parseWindowsCommandLine(line); !slices.Equal(back, command) {
			t.Fatalf("%q: %s reads back as %q", command, line, back)
		}
	})
}

// parseWindowsCommandLine splits a command line as CommandLineToArgvW does: the program up to
// its closing quote, then arguments where 2n backslashes before a quote are n backslashes and
// a quote mark toggle, 2n+1 are n backslashes and a literal quote, and other backslashes are
// literal.
func parseWindowsCommandLine(line string) []string {
	var args []string
	end := strings.IndexByte(line[1:], '"') + 1
	args = append(args, line[1:end])
	rest := line[end+1:]
	i := 0
	for {
		for i < len(rest) && (rest[i] == ' ' || rest[i] == '\t') {
			i++
		}
		if i == len(rest) {
			return args
		}
		var cur strings.Builder
		quoted := false
		for ; i < len(rest); i++ {
			c := rest[i]
			if c == '\\' {
				n := 0
				for i < len(rest) && rest[i] == '\\' {
					n++
					i++
				}
				if i < len(rest) && rest[i] == '"' {
					cur.WriteString(strings.Repeat(`\`, n/2))
					if n%2 == 1 {
						cur.WriteByte('"')
						continue
					}
				} else {
					cur.WriteString(strings.Repeat(`\`, n))
				}
				i--
				continue
			}
			if c == '"' {
				quoted = !quoted
				continue
			}
			if !quoted && (c == ' ' || c == '\t') {
				break
			}
			cur.WriteByte(c)
		}
		args = append(args, cur.String())
	}
}
