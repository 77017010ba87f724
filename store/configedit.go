package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"strconv"
	"strings"

	"github.com/tailscale/hujson"
)

// EditConfig changes the configuration file as it is on disk now, so hand edits made while
// pimtray runs are kept: it reads the file, applies edit to what the file holds (defaults
// filled in), and writes back only what edit changed, patched into the file's HuJSON — the
// user's comments, formatting and every other key stay as they were. A favourite added is
// appended to "favourites", one removed is taken out, any other change replaces that key's
// value. A missing file is written new (all of the configuration, as SaveConfig does).
//
// It never writes over a file it could not read or use: a file that is not JSON or holds a
// bad value is left alone and the error is its *ConfigError (the change is not made). If the
// file changes while it is being edited, the edit starts over with the new content.
//
// It returns the configuration as written, defaults filled in.
func EditConfig(path string, edit func(*Config)) (*Config, error) {
	for range 3 {
		c, changedMeanwhile, err := editConfigOnce(path, edit)
		if !changedMeanwhile {
			return c, err
		}
	}
	return nil, &ConfigError{Path: path, Msg: "keeps changing while pimtray saves it: try again"}
}

func editConfigOnce(path string, edit func(*Config)) (_ *Config, changedMeanwhile bool, _ error) {
	data, err := ReadFile(path, MaxConfigSize)
	if errors.Is(err, fs.ErrNotExist) {
		c := DefaultConfig()
		edit(c)
		if err := SaveConfig(path, c); err != nil {
			return nil, false, err
		}
		return c, false, nil
	}
	var fe *FileError
	if errors.As(err, &fe) {
		return nil, false, &ConfigError{Path: path, Msg: fe.Msg}
	}
	if err != nil {
		return nil, false, &ConfigError{Path: path, Msg: "cannot be read: " + unwrapPathError(err)}
	}
	before, statErr := os.Stat(path)
	old, err := ParseConfig(data, path)
	if err != nil {
		return nil, false, err // not touched: the user's file is to be fixed, not replaced
	}
	cur, _ := ParseConfig(data, path)
	edit(cur)
	if err := cur.Validate(); err != nil {
		return nil, false, fmt.Errorf("save config: %w", err)
	}
	out, err := patchConfig(data, old, cur)
	if err != nil {
		return nil, false, fmt.Errorf("save config %s: %w", displayPath(path), err)
	}
	if bytes.Equal(out, data) {
		return cur, false, nil
	}
	if now, err := os.Stat(path); statErr != nil || err != nil || !now.ModTime().Equal(before.ModTime()) || now.Size() != before.Size() {
		return nil, true, nil
	}
	if err := writeFileAtomic(path, out); err != nil {
		return nil, false, fmt.Errorf("save config: %w", err)
	}
	written, err := ParseConfig(out, path)
	if err != nil {
		return nil, false, err
	}
	return written, false, nil
}

// patchConfig writes the difference between old (what data holds) and cur into data's HuJSON.
// The result is checked: it must read back as cur, else the whole configuration is written
// plainly (comments lost, but never a wrong file).
func patchConfig(data []byte, old, cur *Config) ([]byte, error) {
	oldKeys, err := topLevel(old)
	if err != nil {
		return nil, err
	}
	curKeys, err := topLevel(cur)
	if err != nil {
		return nil, err
	}
	ast, err := hujson.Parse(withoutBOM(data))
	if err != nil {
		return nil, err
	}
	root, ok := ast.Value.(*hujson.Object)
	if !ok {
		return nil, errors.New("the file does not hold an object")
	}
	for _, k := range sortedKeys(oldKeys, curKeys) {
		was, is := oldKeys[k], curKeys[k]
		if bytes.Equal(was, is) {
			continue
		}
		i := memberIndex(root, k)
		switch {
		case is == nil && i >= 0:
			root.Members = append(root.Members[:i], root.Members[i+1:]...)
		case is == nil:
		case i < 0:
			if err := addMember(root, k, is); err != nil {
				return nil, err
			}
		default:
			if err := changeValue(&root.Members[i], was, is); err != nil {
				return nil, err
			}
		}
	}
	ast.UpdateOffsets()
	out := ast.Pack()
	if hasBOM(data) {
		out = append([]byte(bom), out...)
	}
	if back, err := ParseConfig(out, ""); err != nil || !sameConfig(back, cur) {
		plain, err := json.MarshalIndent(cur, "", "  ")
		if err != nil {
			return nil, err
		}
		return append(plain, '\n'), nil
	}
	return out, nil
}

func sameConfig(a, b *Config) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

// topLevel is the configuration's JSON, key by key.
func topLevel(c *Config) (map[string]json.RawMessage, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	m := map[string]json.RawMessage{}
	return m, json.Unmarshal(data, &m)
}

func sortedKeys(a, b map[string]json.RawMessage) []string {
	var keys []string
	for _, f := range jsonFieldOrder {
		if _, ok := a[f]; ok {
			keys = append(keys, f)
		} else if _, ok := b[f]; ok {
			keys = append(keys, f)
		}
	}
	return keys
}

// jsonFieldOrder is Config's JSON keys in declaration order (new keys go in this order).
var jsonFieldOrder = func() []string {
	var out []string
	for f := range reflect.TypeFor[Config]().Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}()

func memberIndex(obj *hujson.Object, key string) int {
	for i, m := range obj.Members {
		if lit, ok := m.Name.Value.(hujson.Literal); ok && lit.String() == key {
			return i
		}
	}
	return -1
}

// indentOf is the indentation of the line a value with this BeforeExtra starts on.
func indentOf(before hujson.Extra) (string, bool) {
	i := bytes.LastIndexByte(before, '\n')
	if i < 0 {
		return "", false
	}
	ws := string(before[i+1:])
	if strings.Trim(ws, " \t") != "" {
		return "", false
	}
	return ws, true
}

// parseValue is v's JSON as a HuJSON value, indented to start at indent.
func parseValue(raw json.RawMessage, indent string) (hujson.Value, error) {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, indent, "  "); err != nil {
		return hujson.Value{}, err
	}
	return hujson.Parse(b.Bytes())
}

func addMember(obj *hujson.Object, key string, raw json.RawMessage) error {
	nameBefore := hujson.Extra("\n  ")
	var trailing hujson.Extra
	if n := len(obj.Members); n > 0 {
		last := obj.Members[n-1]
		if ind, ok := indentOf(last.Name.BeforeExtra); ok {
			nameBefore = hujson.Extra("\n" + ind)
		}
		if last.Value.AfterExtra != nil { // the file ends its lists with a comma
			trailing = hujson.Extra{}
		}
	} else if bytes.IndexByte(obj.AfterExtra, '\n') < 0 {
		obj.AfterExtra = hujson.Extra("\n")
	}
	ind, _ := indentOf(nameBefore)
	v, err := parseValue(raw, ind)
	if err != nil {
		return err
	}
	name, err := hujson.Parse([]byte(strconv.Quote(key)))
	if err != nil {
		return err
	}
	name.BeforeExtra = nameBefore
	v.BeforeExtra = hujson.Extra(" ")
	v.AfterExtra = trailing
	obj.Members = append(obj.Members, hujson.ObjectMember{Name: name, Value: v})
	return nil
}

// changeValue puts is in place of was: elements appended to a list are appended, elements
// taken out are taken out (comments on the others stay); anything else replaces the value.
func changeValue(m *hujson.ObjectMember, was, is json.RawMessage) error {
	arr, isArr := m.Value.Value.(*hujson.Array)
	var oldElems, newElems []json.RawMessage
	if isArr && json.Unmarshal(was, &oldElems) == nil && json.Unmarshal(is, &newElems) == nil && len(oldElems) == len(arr.Elements) {
		if appended(oldElems, newElems) {
			return appendElements(m, arr, newElems[len(oldElems):])
		}
		if gone, ok := removed(oldElems, newElems); ok {
			for j := len(gone) - 1; j >= 0; j-- {
				i := gone[j]
				trailing := arr.Elements[len(arr.Elements)-1].AfterExtra != nil
				arr.Elements = append(arr.Elements[:i], arr.Elements[i+1:]...)
				if n := len(arr.Elements); n > 0 && trailing && arr.Elements[n-1].AfterExtra == nil {
					arr.Elements[n-1].AfterExtra = hujson.Extra{}
				}
			}
			return nil
		}
	}
	ind, _ := indentOf(m.Name.BeforeExtra)
	v, err := parseValue(is, ind)
	if err != nil {
		return err
	}
	m.Value.Value = v.Value
	return nil
}

func appendElements(m *hujson.ObjectMember, arr *hujson.Array, add []json.RawMessage) error {
	parent, _ := indentOf(m.Name.BeforeExtra)
	before := hujson.Extra("\n" + parent + "  ")
	var trailing hujson.Extra
	if n := len(arr.Elements); n > 0 {
		last := arr.Elements[n-1]
		if ind, ok := indentOf(last.BeforeExtra); ok {
			before = hujson.Extra("\n" + ind)
		} else {
			before = hujson.Extra(" ")
		}
		if last.AfterExtra != nil {
			trailing = hujson.Extra{}
		}
	} else if bytes.IndexByte(arr.AfterExtra, '\n') < 0 {
		arr.AfterExtra = hujson.Extra("\n" + parent)
	}
	ind, _ := indentOf(before)
	for _, raw := range add {
		v, err := parseValue(raw, ind)
		if err != nil {
			return err
		}
		v.BeforeExtra = append(hujson.Extra(nil), before...)
		v.AfterExtra = trailing
		arr.Elements = append(arr.Elements, v)
	}
	return nil
}

func appended(old, cur []json.RawMessage) bool {
	if len(cur) <= len(old) {
		return false
	}
	for i := range old {
		if !bytes.Equal(old[i], cur[i]) {
			return false
		}
	}
	return true
}

// removed finds the indexes of old that cur leaves out, cur being old without them.
func removed(old, cur []json.RawMessage) ([]int, bool) {
	if len(cur) >= len(old) {
		return nil, false
	}
	var gone []int
	j := 0
	for i := range old {
		if j < len(cur) && bytes.Equal(old[i], cur[j]) {
			j++
			continue
		}
		gone = append(gone, i)
	}
	return gone, j == len(cur)
}

const bom = "\xef\xbb\xbf"

func hasBOM(data []byte) bool { return bytes.HasPrefix(data, []byte(bom)) }

// withoutBOM drops a UTF-8 byte order mark (Windows Notepad writes one): JSON has none.
func withoutBOM(data []byte) []byte { return bytes.TrimPrefix(data, []byte(bom)) }
