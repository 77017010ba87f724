package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tailscale/hujson"

	"github.com/pimtray/pimtray/pim"
)

// ConfigError is a configuration file pimtray cannot use, said in one sentence:
//
//	config ~/.config/pimtray/config.json line 4: "duration": "8 hours" is not a duration (try "8h")
type ConfigError struct {
	Path string // the file; empty for a Config built in code
	Line int    // 1-based; 0 when not known
	Msg  string // what is wrong, for people
}

// Error is the one-sentence message.
func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("config")
	if e.Path != "" {
		b.WriteString(" " + displayPath(e.Path))
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// LoadConfig reads the configuration file. A missing file is not an error: the defaults.
//
// It always returns a usable *Config: when the file is unusable (not JSON, an unknown field,
// a bad value) the error is a *ConfigError and the Config is the defaults, so pimtray can run
// and show the message. The file is then left alone; SaveConfig keeps it aside before writing.
func LoadConfig(path string) (*Config, error) {
	data, err := ReadFile(path, MaxConfigSize)
	if errors.Is(err, fs.ErrNotExist) {
		return DefaultConfig(), nil
	}
	var fe *FileError
	if errors.As(err, &fe) {
		return DefaultConfig(), &ConfigError{Path: path, Msg: fe.Msg}
	}
	if err != nil {
		return DefaultConfig(), &ConfigError{Path: path, Msg: "cannot be read: " + unwrapPathError(err)}
	}
	return ParseConfig(data, path)
}

// ParseConfig is LoadConfig on the file's contents; path is only used in messages.
// Strict: unknown fields, wrong types, duplicate keys and bad values are errors naming the
// line. The returned Config has the defaults filled in (the defaults alone on error).
func ParseConfig(data []byte, path string) (*Config, error) {
	lines := newLineIndex(data)
	fail := func(line int, msg string) (*Config, error) {
		return DefaultConfig(), &ConfigError{Path: path, Line: line, Msg: msg}
	}
	// A byte order mark (Windows Notepad writes one) becomes spaces, as do comments and
	// trailing commas (HuJSON, as Tailscale's configuration files): the offsets, hence the
	// line numbers in messages, stay those of the file.
	if hasBOM(data) {
		data = append([]byte("   "), data[len(bom):]...)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return DefaultConfig(), nil // an empty file is an empty configuration
	}
	if std, herr := hujson.Standardize(append([]byte(nil), data...)); herr == nil {
		data = std
	} else if line, msg, ok := hujsonError(herr, data, lines); ok {
		// What is truly wrong, said as the strict parser says it when it stops at the same
		// line (its words are better), else in HuJSON's words.
		if _, terr := parseTree(data, lines); terr != nil {
			var se *treeError
			if errors.As(terr, &se) && se.line == line {
				return fail(se.line, se.msg)
			}
		}
		return fail(line, msg)
	}
	root, err := parseTree(data, lines)
	if err != nil {
		var se *treeError
		if errors.As(err, &se) {
			return fail(se.line, se.msg)
		}
		return fail(0, err.Error())
	}
	if root.kind != '{' {
		return fail(root.line, "the file should hold one JSON object: { ... }")
	}
	paths := map[string]int{}
	if te := checkTree(root, reflect.TypeFor[Config](), "", "", paths); te != nil {
		return fail(te.line, te.msg)
	}
	var c Config
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		// checkTree should have caught everything; this is the safety net.
		return fail(0, strings.TrimPrefix(err.Error(), "json: "))
	}
	if p := c.problem(); p != nil {
		return fail(paths[p.path], p.msg)
	}
	c.SetDefaults()
	return &c, nil
}

// Validate checks a Config built in code with the same rules LoadConfig applies.
func (c *Config) Validate() error {
	if p := c.problem(); p != nil {
		return &ConfigError{Msg: p.msg}
	}
	return nil
}

// SaveConfig writes the configuration atomically (0600, folder 0700). When the file already
// there cannot be loaded (a hand edit gone wrong), it is first kept aside as
// config.json.corrupt-<time>, never silently overwritten; SaveConfigKeepAside tells where.
func SaveConfig(path string, c *Config) error {
	_, err := SaveConfigKeepAside(path, c)
	return err
}

// SaveConfigKeepAside is SaveConfig that also returns where an unusable existing file was
// kept aside ("" when there was none), so the caller can tell the user.
func SaveConfigKeepAside(path string, c *Config) (keptAside string, err error) {
	if c == nil {
		return "", errors.New("save config: nothing to save")
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return "", fmt.Errorf("save config: %w", err)
	}
	data = append(data, '\n')
	if old, rerr := ReadFile(path, MaxConfigSize); rerr == nil {
		if _, perr := ParseConfig(old, path); perr != nil {
			keptAside = path + ".corrupt-" + time.Now().Format("20060102-150405")
			if err := os.Rename(path, keptAside); err != nil {
				return "", fmt.Errorf("save config: keep the unusable %s aside: %w", displayPath(path), err)
			}
		}
	} else if !errors.Is(rerr, fs.ErrNotExist) {
		return "", fmt.Errorf("save config: %s cannot be read, so it is not replaced: %s", displayPath(path), unwrapPathError(rerr))
	}
	if err := writeFileAtomic(path, data); err != nil {
		return keptAside, fmt.Errorf("save config: %w", err)
	}
	return keptAside, nil
}

var hujsonErrRE = regexp.MustCompile(`(?s)^hujson: line (\d+), column \d+: (.*)$`)

// hujsonError reads HuJSON's "hujson: line 3, column 5: invalid character ..." into a line
// and a message in the configuration's words.
func hujsonError(err error, data []byte, li lineIndex) (int, string, bool) {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		if strings.Contains(err.Error(), "parsing comment") {
			return li.at(int64(len(data)) - 1), "not valid JSON: the file ends inside a /* comment (a missing */?)", true
		}
		return li.at(int64(len(data)) - 1), "not valid JSON: the file ends too early (a missing } or ]?)", true
	}
	m := hujsonErrRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, "not valid JSON: " + oneLine(strings.TrimPrefix(err.Error(), "hujson: ")), true
	}
	line, _ := strconv.Atoi(m[1])
	return line, "not valid JSON: " + oneLine(m[2]), true
}

// oneLine keeps a message on one line: HuJSON quotes the offending text as it is, so a
// literal with a line break in it ("\n") would break the sentence in two.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// unwrapPathError drops the path from an *fs.PathError: messages name the file already.
func unwrapPathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// ---- semantic validation ----

type problem struct {
	path string // "favourites.2.keepActiveUntil", for the line
	msg  string
}

var (
	guidRE   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	domainRE = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$`)
	hhmmRE   = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
)

// ValidTenantID is true for a tenant GUID, a verified domain, or "organizations"/"common".
func ValidTenantID(id string) bool {
	return guidRE.MatchString(id) || domainRE.MatchString(id) || id == "organizations" || id == "common"
}

func validPlane(p string) bool {
	return p == string(pim.PlaneEntra) || p == string(pim.PlaneAzure) || p == string(pim.PlaneGroup)
}

const planeHint = `(use "entra", "azure" or "group")`

// MinRefreshInterval keeps background refreshes from hammering Azure (it throttles).
const MinRefreshInterval = 30 * time.Second

func (c *Config) problem() *problem {
	at := func(path, msg string, args ...any) *problem {
		return &problem{path: path, msg: fmt.Sprintf(msg, args...)}
	}
	if d := c.DefaultDuration; d < 0 {
		return at("defaultDuration", `"defaultDuration": %q must be positive`, d.String())
	} else if d > 0 && d.D() < pim.MinActivation {
		return at("defaultDuration", `"defaultDuration": %q is shorter than Azure allows: an activation lasts at least %s`, d.String(), Duration(pim.MinActivation))
	}
	if d := c.RefreshInterval; d != 0 && d.D() < MinRefreshInterval {
		return at("refreshInterval", `"refreshInterval": %q is too short (at least %s)`, d.String(), Duration(MinRefreshInterval))
	}
	for i, r := range c.Reminders {
		p := "reminders." + strconv.Itoa(i)
		if r <= 0 {
			return at(p, `"reminders": %q must be positive`, r.String())
		}
		if r.D() >= 24*time.Hour {
			return at(p, `"reminders": %q is too long (a reminder must come less than 24h before the end)`, r.String())
		}
	}
	switch c.LogLevel {
	case "", "debug", "info", "warn", "error":
	default:
		return at("logLevel", `"logLevel": %q is not a log level (use "info" or "debug")`, c.LogLevel)
	}
	for name, cl := range c.Clouds {
		p := "clouds." + name
		if name == "" {
			return at("clouds", `"clouds" has an entry with an empty name`)
		}
		for _, u := range []struct{ field, v string }{{"authorityHost", cl.AuthorityHost}, {"graph", cl.Graph}, {"arm", cl.ARM}} {
			pu, err := url.Parse(u.v)
			if u.v == "" || err != nil || pu.Scheme != "https" || pu.Host == "" {
				return at(p+"."+u.field, `cloud %q: %q: %q should be an https:// address`, name, u.field, u.v)
			}
		}
	}
	seen := map[string]bool{}
	for i, t := range c.Tenants {
		p := "tenants." + strconv.Itoa(i)
		if t.ID == "" {
			return at(p, `a tenant needs an "id" (its GUID or a domain like contoso.onmicrosoft.com)`)
		}
		if !ValidTenantID(t.ID) {
			return at(p+".id", `"id": %q is not a tenant id (use its GUID or a domain like contoso.onmicrosoft.com)`, t.ID)
		}
		if seen[strings.ToLower(t.ID)] {
			return at(p+".id", `tenant %q is listed twice`, t.ID)
		}
		seen[strings.ToLower(t.ID)] = true
		if t.Cloud != "" {
			if _, err := c.CloudFor(t); err != nil {
				return at(p+".cloud", `"cloud": %q is not a known cloud (use AzurePublic, AzureGovernment, AzureChina or a name under "clouds")`, t.Cloud)
			}
		}
		for _, f := range []struct{ name, v string }{{"clientId", t.ClientID}, {"graphClientId", t.GraphClientID}, {"armClientId", t.ARMClientID}} {
			if f.v != "" && !guidRE.MatchString(f.v) {
				return at(p+"."+f.name, `%q: %q is not a client id (an application GUID)`, f.name, f.v)
			}
		}
		for j, pl := range t.Planes {
			if !validPlane(pl) {
				return at(p+".planes."+strconv.Itoa(j), `"planes": %q is not a plane %s`, pl, planeHint)
			}
		}
	}
	for i, f := range c.Favourites {
		p := "favourites." + strconv.Itoa(i)
		if f.Key == "" && f.Role == "" {
			return at(p, `a favourite needs a "key" or a "role"`)
		}
		if !validPlane(f.Plane) {
			if f.Plane == "" {
				return at(p, `a favourite needs a "plane" %s`, planeHint)
			}
			return at(p+".plane", `"plane": %q is not a plane %s`, f.Plane, planeHint)
		}
		if f.Duration < 0 {
			return at(p+".duration", `"duration": %q must be positive`, f.Duration.String())
		}
		if f.Duration > 0 && f.Duration.D() < pim.MinActivation {
			// The check --for has (engine.checkDuration), made when the file is read: a
			// favourite of "1m" is never sent as PT1M.
			return at(p+".duration", `"duration": %q is shorter than Azure allows: an activation lasts at least %s`, f.Duration.String(), Duration(pim.MinActivation))
		}
		if f.KeepActiveUntil != "" && !hhmmRE.MatchString(f.KeepActiveUntil) {
			return at(p+".keepActiveUntil", `"keepActiveUntil": %q is not a time of day (use HH:MM, like "18:00")`, f.KeepActiveUntil)
		}
		if sc := f.Schedule; sc != nil {
			if sc.Days == "" {
				return at(p+".schedule", `"schedule" needs "days" (like "Mon-Fri")`)
			}
			if bad := badDay(sc.Days); bad != "" {
				return at(p+".schedule.days", `"days": %q is not a day of the week (use names like "Mon-Fri" or "Mon,Wed,Fri", or "daily")`, bad)
			}
			if !hhmmRE.MatchString(sc.At) {
				return at(p+".schedule.at", `"at": %q is not a time of day (use HH:MM, like "08:30")`, sc.At)
			}
			if sc.PausedUntil != "" {
				if _, err := time.Parse("2006-01-02", sc.PausedUntil); err != nil {
					return at(p+".schedule.pausedUntil", `"pausedUntil": %q is not a date (use YYYY-MM-DD, like "2026-12-31")`, sc.PausedUntil)
				}
			}
		}
	}
	return nil
}

// badDay is the first part of a schedule's days that names no day of the week ("" if all do).
func badDay(days string) string {
	d := strings.TrimSpace(days)
	if l := strings.ToLower(d); l == "daily" || l == "every day" {
		return ""
	}
	for _, part := range strings.Split(d, ",") {
		from, to, isRange := strings.Cut(part, "-")
		for _, name := range []string{from, to} {
			if name == to && !isRange {
				continue
			}
			if !isWeekday(strings.ToLower(strings.TrimSpace(name))) {
				return strings.TrimSpace(name)
			}
		}
	}
	return ""
}

func isWeekday(s string) bool {
	for w := time.Sunday; w <= time.Saturday; w++ {
		n := strings.ToLower(w.String())
		if s == n || (len(s) == 3 && s == n[:3]) {
			return true
		}
	}
	return false
}

// ---- a JSON tree that knows its lines, for strict checking with good messages ----

type jnode struct {
	kind    byte // '{' object, '[' array, 's' string, 'n' number, 'b' bool, 'z' null
	line    int
	str     string // string value, or the number's text
	keys    []string
	keyLine []int
	vals    []*jnode
	elems   []*jnode
}

type treeError struct {
	line int
	msg  string
}

func (e *treeError) Error() string { return e.msg }

type lineIndex []int // offsets of '\n'

func newLineIndex(data []byte) lineIndex {
	var li lineIndex
	for i, c := range data {
		if c == '\n' {
			li = append(li, i)
		}
	}
	return li
}

// at is the 1-based line of byte offset off.
func (li lineIndex) at(off int64) int {
	return sort.Search(len(li), func(i int) bool { return int64(li[i]) >= off }) + 1
}

// maxDepth bounds nesting: a configuration is a few levels deep; this stops a hostile file
// from exhausting the stack.
const maxDepth = 32

func parseTree(data []byte, li lineIndex) (*jnode, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	// The line of a token is the line of its last byte: tokens never span lines (strings can't hold raw newlines).
	lineOf := func() int { return li.at(dec.InputOffset() - 1) }
	syntax := func(err error) error {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			msg := "not valid JSON: " + strings.TrimPrefix(se.Error(), "json: ")
			if strings.Contains(se.Error(), "looking for beginning of object key string") ||
				strings.Contains(se.Error(), "looking for beginning of value") {
				msg += " (a missing value, or a comma too many?)"
			}
			return &treeError{line: li.at(se.Offset), msg: msg}
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return &treeError{line: li.at(int64(len(data)) - 1), msg: "not valid JSON: the file ends too early (a missing } or ]?)"}
		}
		return &treeError{line: lineOf(), msg: "not valid JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
	}
	var value func(depth int) (*jnode, error)
	value = func(depth int) (*jnode, error) {
		if depth > maxDepth {
			return nil, &treeError{line: lineOf(), msg: "not a pimtray configuration: nested too deeply"}
		}
		tok, err := dec.Token()
		if err != nil {
			return nil, syntax(err)
		}
		n := &jnode{line: lineOf()}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				n.kind = '{'
				for dec.More() {
					ktok, err := dec.Token()
					if err != nil {
						return nil, syntax(err)
					}
					k, _ := ktok.(string)
					kl := lineOf()
					for _, seen := range n.keys {
						if seen == k {
							return nil, &treeError{line: kl, msg: fmt.Sprintf("%q appears twice", k)}
						}
					}
					v, err := value(depth + 1)
					if err != nil {
						return nil, err
					}
					n.keys, n.keyLine, n.vals = append(n.keys, k), append(n.keyLine, kl), append(n.vals, v)
				}
			case '[':
				n.kind = '['
				for dec.More() {
					v, err := value(depth + 1)
					if err != nil {
						return nil, err
					}
					n.elems = append(n.elems, v)
				}
			default:
				return nil, &treeError{line: n.line, msg: fmt.Sprintf("not valid JSON: unexpected %q", string(t))}
			}
			if _, err := dec.Token(); err != nil { // the closing delimiter
				return nil, syntax(err)
			}
		case string:
			n.kind, n.str = 's', t
		case json.Number:
			n.kind, n.str = 'n', string(t)
		case bool:
			n.kind, n.str = 'b', strconv.FormatBool(t)
		case nil:
			n.kind = 'z'
		}
		return n, nil
	}
	root, err := value(0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return nil, syntax(err)
		}
		return nil, &treeError{line: lineOf(), msg: "not valid JSON: more after the end of the object (one { ... } only)"}
	}
	return root, nil
}

var durationType = reflect.TypeFor[Duration]()

// checkTree compares the tree with the Go type it will decode into: unknown fields, wrong
// kinds and bad durations become one sentence with the line. paths records the line of
// every value by dotted path ("favourites.0.duration") for the semantic checks.
func checkTree(n *jnode, t reflect.Type, name, path string, paths map[string]int) *treeError {
	paths[path] = n.line
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.kind == 'z' {
		return nil // null leaves the zero value
	}
	label := name
	if label == "" {
		label = "the configuration"
	} else {
		label = strconv.Quote(label)
	}
	bad := func(want string) *treeError {
		return &treeError{line: n.line, msg: fmt.Sprintf("%s should be %s, not %s", label, want, describe(n))}
	}
	if t == durationType {
		if n.kind != 's' {
			unit := "h"
			if name == "reminders" || name == "refreshInterval" {
				unit = "m"
			}
			return &treeError{line: n.line, msg: fmt.Sprintf("%s: %s is not a duration (write it as text with a unit: %q)", label, n.str, suggestDuration(n.str, unit))}
		}
		if _, err := time.ParseDuration(strings.TrimSpace(n.str)); err != nil {
			return &treeError{line: n.line, msg: fmt.Sprintf("%s: %q is not a duration (try %q)", label, n.str, suggestDuration(n.str, "h"))}
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.kind != '{' {
			return bad("an object { ... }")
		}
		fields := jsonFields(t)
		for i, k := range n.keys {
			f, ok := fields[k]
			if !ok {
				msg := fmt.Sprintf("unknown field %q", k)
				if s := closestField(k, fields); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				if name != "" {
					msg += " in " + label
				}
				return &treeError{line: n.keyLine[i], msg: msg}
			}
			if err := checkTree(n.vals[i], f.Type, k, join(path, k), paths); err != nil {
				return err
			}
		}
	case reflect.Map:
		if n.kind != '{' {
			return bad("an object { ... }")
		}
		for i, k := range n.keys {
			if err := checkTree(n.vals[i], t.Elem(), k, join(path, k), paths); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if n.kind != '[' {
			return bad("a list [ ... ]")
		}
		for i, e := range n.elems {
			if err := checkTree(e, t.Elem(), name, join(path, strconv.Itoa(i)), paths); err != nil {
				return err
			}
		}
	case reflect.String:
		if n.kind != 's' {
			return bad("text in quotes")
		}
	case reflect.Bool:
		if n.kind != 'b' {
			return bad("true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n.kind != 'n' {
			return bad("a whole number")
		}
		if _, err := strconv.ParseInt(n.str, 10, t.Bits()); err != nil {
			return bad("a whole number")
		}
	case reflect.Float32, reflect.Float64:
		if n.kind != 'n' {
			return bad("a number")
		}
	}
	return nil
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func describe(n *jnode) string {
	switch n.kind {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case 's':
		return strconv.Quote(n.str)
	default:
		return n.str
	}
}

// jsonFields maps each JSON name of a struct's exported fields to its field.
func jsonFields(t reflect.Type) map[string]reflect.StructField {
	m := map[string]reflect.StructField{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		m[name] = f
	}
	return m
}

// closestField suggests the field a typo meant: same letters in another case, or within two edits.
func closestField(k string, fields map[string]reflect.StructField) string {
	best, bestD := "", 3
	for name := range fields {
		if strings.EqualFold(name, k) {
			return name
		}
		if d := editDistance(strings.ToLower(k), strings.ToLower(name)); d < bestD || (d == bestD && name < best) {
			best, bestD = name, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

var durationWordRE = regexp.MustCompile(`(?i)(\d+(?:\.\d+)?)\s*(days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b`)

// suggestDuration turns what people write ("8 hours", "1 hour 30 minutes", "2 days", "90")
// into Go duration text ("8h", "1h30m", "48h", "90m"); defUnit is for a bare number.
func suggestDuration(s, defUnit string) string {
	s = strings.TrimSpace(s)
	if _, err := strconv.ParseFloat(s, 64); err == nil && s != "" {
		return s + defUnit
	}
	var b strings.Builder
	for _, m := range durationWordRE.FindAllStringSubmatch(s, -1) {
		num, unit := m[1], strings.ToLower(m[2])
		switch unit[0] {
		case 'd':
			if f, err := strconv.ParseFloat(num, 64); err == nil {
				num, unit = strconv.FormatFloat(f*24, 'f', -1, 64), "h"
			}
		default:
			unit = unit[:1]
		}
		b.WriteString(num + unit)
	}
	if b.Len() == 0 {
		return "8h"
	}
	return b.String()
}
