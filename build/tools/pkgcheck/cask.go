package main

import (
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// A Homebrew cask is Ruby. This reads the subset casks are written in: one
// `cask "token" do ... end` block of stanzas, each a name and arguments made of strings,
// symbols, key: value pairs and [lists], possibly over several lines.

type token struct {
	kind   byte // 's' string, ':' symbol, 'k' key (name:), 'i' identifier, 'p' punctuation
	text   string
	line   int
	interp bool // a string with #{...}
}

type stanza struct {
	name string
	args []token
	line int
}

// lexRuby splits src into tokens; comments and blank space are dropped.
func lexRuby(src string) ([]token, error) {
	var out []token
	line := 1
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			out = append(out, token{kind: 'p', text: "\n", line: line})
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '"':
			var b strings.Builder
			start := line
			interp := false
			i++
			for {
				if i >= len(src) {
					return nil, fmt.Errorf("line %d: string not closed", start)
				}
				if src[i] == '"' {
					i++
					break
				}
				if src[i] == '\n' {
					line++
				}
				if src[i] == '\\' && i+1 < len(src) {
					b.WriteByte(src[i+1])
					i += 2
					continue
				}
				if src[i] == '#' && i+1 < len(src) && src[i+1] == '{' {
					interp = true
				}
				b.WriteByte(src[i])
				i++
			}
			out = append(out, token{kind: 's', text: b.String(), line: start, interp: interp})
		case c == ':' && i+1 < len(src) && (isIdent(src[i+1])):
			j := i + 1
			for j < len(src) && isIdent(src[j]) {
				j++
			}
			out = append(out, token{kind: ':', text: src[i+1 : j], line: line})
			i = j
		case isIdent(c):
			j := i
			for j < len(src) && isIdent(src[j]) {
				j++
			}
			if j < len(src) && src[j] == ':' && (j+1 >= len(src) || src[j+1] != ':') {
				out = append(out, token{kind: 'k', text: src[i:j], line: line})
				i = j + 1
			} else {
				out = append(out, token{kind: 'i', text: src[i:j], line: line})
				i = j
			}
		case strings.ContainsRune("[],(){}", rune(c)):
			out = append(out, token{kind: 'p', text: string(c), line: line})
			i++
		case c == '=' && i+1 < len(src) && src[i+1] == '>':
			out = append(out, token{kind: 'p', text: "=>", line: line})
			i += 2
		default:
			return nil, fmt.Errorf("line %d: unexpected %q", line, c)
		}
	}
	return out, nil
}

func isIdent(c byte) bool {
	return c == '_' || c < 128 && (unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c)))
}

// parseCask reads `cask "token" do` stanzas `end`.
func parseCask(src string) (string, []stanza, error) {
	toks, err := lexRuby(src)
	if err != nil {
		return "", nil, err
	}
	// Lines: split at newlines outside brackets and after a trailing comma.
	var lines [][]token
	var cur []token
	depth := 0
	for _, t := range toks {
		if t.kind == 'p' {
			switch t.text {
			case "[", "(", "{":
				depth++
			case "]", ")", "}":
				depth--
				if depth < 0 {
					return "", nil, fmt.Errorf("line %d: unbalanced %s", t.line, t.text)
				}
			case "\n":
				if depth > 0 || len(cur) > 0 && cur[len(cur)-1].text == "," {
					continue
				}
				if len(cur) > 0 {
					lines = append(lines, cur)
				}
				cur = nil
				continue
			}
		}
		cur = append(cur, t)
	}
	if len(cur) > 0 {
		lines = append(lines, cur)
	}
	if depth != 0 {
		return "", nil, fmt.Errorf("unbalanced brackets")
	}
	if len(lines) < 2 {
		return "", nil, fmt.Errorf("no cask block")
	}
	head := lines[0]
	if len(head) != 3 || head[0].text != "cask" || head[1].kind != 's' || head[2].text != "do" {
		return "", nil, fmt.Errorf("line %d: the file must start with cask \"token\" do", head[0].line)
	}
	last := lines[len(lines)-1]
	if len(last) != 1 || last[0].text != "end" {
		return "", nil, fmt.Errorf("line %d: the cask block must close with end", last[0].line)
	}
	var stanzas []stanza
	for _, l := range lines[1 : len(lines)-1] {
		if l[0].kind != 'i' {
			return "", nil, fmt.Errorf("line %d: a stanza starts with its name, not %q", l[0].line, l[0].text)
		}
		if l[0].text == "end" || l[len(l)-1].text == "do" {
			return "", nil, fmt.Errorf("line %d: nested blocks are not expected in this cask", l[0].line)
		}
		stanzas = append(stanzas, stanza{name: l[0].text, args: l[1:], line: l[0].line})
	}
	return head[1].text, stanzas, nil
}

// Homebrew's order of the stanzas pimtray's cask uses (Homebrew's cask cookbook).
var caskOrder = []string{"version", "sha256", "url", "name", "desc", "homepage", "livecheck", "depends_on", "app", "uninstall", "zap"}

var sha256Lower = regexp.MustCompile(`^[0-9a-f]{64}$`)

// checkCask checks the cask file against Homebrew's requirements and the macOS zip in dist.
func checkCask(file, dist string, requireMac bool) ([]string, string) {
	var problems []string
	bad := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf("cask %s: ", filepath.Base(file))+fmt.Sprintf(format, args...))
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return []string{err.Error()}, ""
	}
	name, stanzas, err := parseCask(string(data))
	if err != nil {
		bad("not a cask: %v", err)
		return problems, ""
	}
	if want := strings.TrimSuffix(filepath.Base(file), ".rb"); name != want {
		bad("token %q, but the file is %s.rb (Homebrew looks a cask up by its file name)", name, want)
	}
	if !regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`).MatchString(name) {
		bad("token %q must be lower-case letters, digits and hyphens", name)
	}

	byName := map[string]stanza{}
	pos := -1
	for _, s := range stanzas {
		if _, dup := byName[s.name]; dup && s.name != "app" {
			bad("line %d: a second %s stanza", s.line, s.name)
		}
		byName[s.name] = s
		i := slices.Index(caskOrder, s.name)
		if i < 0 {
			bad("line %d: unexpected stanza %s", s.line, s.name)
			continue
		}
		if i < pos {
			bad("line %d: %s comes after %s in Homebrew's stanza order %v", s.line, s.name, caskOrder[pos], caskOrder)
		}
		pos = max(pos, i)
	}
	oneString := func(key string) (token, bool) {
		s, ok := byName[key]
		if !ok {
			bad("no %s stanza (Homebrew requires it)", key)
			return token{}, false
		}
		if len(s.args) != 1 || s.args[0].kind != 's' {
			bad("line %d: %s takes one string", s.line, key)
			return token{}, false
		}
		if strings.TrimSpace(s.args[0].text) == "" {
			bad("line %d: %s is empty", s.line, key)
			return token{}, false
		}
		return s.args[0], true
	}

	version, _ := oneString("version")
	if version.interp || strings.ContainsAny(version.text, " \t/") {
		bad("version %q must be a plain version, without spaces or slashes", version.text)
	}

	// The tag is v<version>, or the version itself for a build without a v-tag; the zip is
	// named after the tag (build/macos/build-app.sh).
	tag := "v" + version.text
	if u, ok := byName["url"]; ok && len(u.args) == 1 && !strings.Contains(u.args[0].text, "/v#{version}/") {
		tag = version.text
	}
	zipName := "pimtray-" + tag + "-macos.zip"
	zipPath := filepath.Join(dist, zipName)
	zipSum, zipErr := fileSHA256(zipPath)
	haveZip := zipErr == nil

	sha := byName["sha256"]
	noCheck := false
	switch {
	case len(sha.args) == 1 && sha.args[0].kind == ':' && sha.args[0].text == "no_check":
		noCheck = true
		if haveZip {
			bad("sha256 :no_check, but %s is here: its checksum belongs in the cask", zipName)
		} else if requireMac {
			bad("sha256 :no_check: a released cask needs the checksum of %s, which is not in %s", zipName, dist)
		}
	case len(sha.args) == 1 && sha.args[0].kind == 's':
		if !sha256Lower.MatchString(sha.args[0].text) {
			bad("sha256 %q is not 64 lower-case hex digits", sha.args[0].text)
		} else if haveZip && sha.args[0].text != zipSum {
			bad("sha256 %s is not the SHA-256 of %s (%s)", sha.args[0].text, zipPath, zipSum)
		} else if !haveZip {
			bad("sha256 is set but %s is not in %s to check it against", zipName, dist)
		}
	default:
		bad("sha256 must be a checksum string (or :no_check)")
	}

	if u, ok := oneString("url"); ok {
		address := strings.ReplaceAll(u.text, "#{version}", version.text)
		if strings.Contains(address, "#{") {
			bad("url %q interpolates something other than #{version}", u.text)
		}
		parsed, err := url.Parse(address)
		switch {
		case err != nil || parsed.Scheme != "https" || parsed.Host == "":
			bad("url %q is not an https address", address)
		case path.Base(parsed.Path) != zipName:
			bad("url %q does not name %s, the zip build/macos/build-app.sh makes", address, zipName)
		case !strings.Contains(parsed.Path, "/releases/download/"+tag+"/"):
			bad("url %q is not the release asset of tag %s", address, tag)
		}
	}
	oneString("name")
	if d, ok := oneString("desc"); ok {
		// brew audit's rules for desc.
		text := d.text
		lower := strings.ToLower(text)
		switch {
		case len(text) > 80:
			bad("desc is %d characters, Homebrew allows 80", len(text))
		case strings.HasPrefix(lower, "a ") || strings.HasPrefix(lower, "an ") || strings.HasPrefix(lower, "the "):
			bad("desc %q must not start with an article", text)
		case strings.HasSuffix(text, "."):
			bad("desc %q must not end with a full stop", text)
		case strings.HasPrefix(lower, name):
			bad("desc %q must not start with the cask's name", text)
		case strings.Contains(lower, "macos") || strings.Contains(lower, "for mac"):
			bad("desc %q must not name the platform", text)
		}
	}
	if h, ok := oneString("homepage"); ok {
		if p, err := url.Parse(h.text); err != nil || p.Scheme != "https" || p.Host == "" {
			bad("homepage %q is not an https address", h.text)
		}
	}
	if a, ok := oneString("app"); ok {
		if !strings.HasSuffix(a.text, ".app") || strings.Contains(a.text, "/") {
			bad("app %q is not a bundle name such as pimtray.app", a.text)
		} else if haveZip {
			for _, f := range []string{a.text + "/Contents/Info.plist", a.text + "/Contents/MacOS/pimtray"} {
				if err := zipHasFile(zipPath, f); err != nil {
					bad("app %q: %v", a.text, err)
				}
			}
		}
	}

	summary := fmt.Sprintf("%s %s: stanzas and order as Homebrew requires; ", name, version.text)
	switch {
	case haveZip:
		summary += fmt.Sprintf("sha256 is that of %s and the zip holds the app", zipName)
	case noCheck:
		summary += fmt.Sprintf("%s is built on macOS, so sha256 is :no_check here", zipName)
	}
	return problems, summary
}
