package fakeazure

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// queryValue reads a query parameter by name, ignoring case ($filter, $Filter, $skipToken...).
func queryValue(r *http.Request, name string) string {
	for k, v := range r.URL.Query() {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// pageOf cuts one page out of items, as Graph ($skiptoken, @odata.nextLink) and ARM ($skipToken,
// nextLink) do. It returns the page and the absolute URL of the next one ("" on the last page).
func (s *Server) pageOf(r *http.Request, items []obj, tokenName string) ([]obj, string, error) {
	size := s.pageSize()
	if top := queryValue(r, "$top"); top != "" {
		if n, err := strconv.Atoi(top); err == nil && n > 0 && n < size {
			size = n
		}
	}
	off := 0
	if tok := queryValue(r, tokenName); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || !strings.HasPrefix(string(b), "skip:") {
			return nil, "", errors.New("invalid skip token")
		}
		off, err = strconv.Atoi(strings.TrimPrefix(string(b), "skip:"))
		if err != nil || off < 0 {
			return nil, "", errors.New("invalid skip token")
		}
	}
	if off > len(items) {
		off = len(items)
	}
	end := off + size
	if end >= len(items) {
		return nonNil(items[off:]), "", nil
	}
	q := url.Values{}
	for k, v := range r.URL.Query() {
		if !strings.EqualFold(k, tokenName) {
			q[k] = v
		}
	}
	q.Set(tokenName, base64.RawURLEncoding.EncodeToString([]byte("skip:"+strconv.Itoa(end))))
	next := "https://" + r.Host + r.URL.EscapedPath() + "?" + q.Encode()
	return items[off:end], next, nil
}

func nonNil(items []obj) []obj {
	if items == nil {
		return []obj{}
	}
	return items
}

// odataFilter is a parsed OData $filter of the simple kind PIM clients send:
// `field eq 'value'` terms joined by `and` / `or` (no parentheses nesting beyond a wrapping pair),
// and comparisons of date-times (`createdDateTime ge 2026-11-01T00:00:00Z`, unquoted as OData
// writes them) with ge, gt, le, lt.
type odataFilter struct {
	any [][]filterTerm // disjunction of conjunctions
}

type filterTerm struct {
	field, op, value string
}

var (
	filterTermRe = regexp.MustCompile(`^\s*\(?\s*([A-Za-z][A-Za-z0-9_/]*)\s+(eq|ne)\s+'((?:[^']|'')*)'\s*\)?\s*$`)
	filterTimeRe = regexp.MustCompile(`^\s*\(?\s*([A-Za-z][A-Za-z0-9_/]*)\s+(ge|gt|le|lt)\s+(\d{4}-\d\d-\d\dT[0-9:.]+(?:Z|[+-]\d\d:\d\d))\s*\)?\s*$`)
)

// parseFilter parses $filter; an empty filter matches everything.
func parseFilter(f string) (*odataFilter, error) {
	f = strings.TrimSpace(f)
	out := &odataFilter{}
	if f == "" {
		return out, nil
	}
	for _, alt := range splitWord(f, "or") {
		var terms []filterTerm
		for _, part := range splitWord(alt, "and") {
			m := filterTermRe.FindStringSubmatch(part)
			if m == nil {
				if m = filterTimeRe.FindStringSubmatch(part); m != nil {
					if _, err := time.Parse(time.RFC3339Nano, m[3]); err != nil {
						m = nil
					}
				}
			}
			if m == nil {
				return nil, errors.New("Invalid filter clause: " + strings.TrimSpace(part))
			}
			terms = append(terms, filterTerm{field: m[1], op: m[2], value: strings.ReplaceAll(m[3], "''", "'")})
		}
		out.any = append(out.any, terms)
	}
	return out, nil
}

// splitWord splits s at a whole-word, case-insensitive keyword outside quotes.
func splitWord(s, word string) []string {
	var parts []string
	inQuote := false
	last := 0
	lower := strings.ToLower(s)
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			inQuote = !inQuote
			continue
		}
		if inQuote || i == 0 || s[i-1] != ' ' {
			continue
		}
		if strings.HasPrefix(lower[i:], word+" ") {
			parts = append(parts, s[last:i])
			last = i + len(word)
			i = last
		}
	}
	return append(parts, s[last:])
}

// value returns the terms' required value for a field (first eq term), or "".
func (f *odataFilter) value(field string) string {
	for _, terms := range f.any {
		for _, t := range terms {
			if strings.EqualFold(t.field, field) && t.op == "eq" {
				return t.value
			}
		}
	}
	return ""
}

// match evaluates the filter against an item's top-level string fields; a field the item lacks
// makes the filter invalid, as Graph answers for an unknown property.
func (f *odataFilter) match(item obj) (bool, error) {
	if len(f.any) == 0 {
		return true, nil
	}
	for _, terms := range f.any {
		all := true
		for _, t := range terms {
			v, ok := lookupFold(item, t.field)
			if !ok {
				return false, errors.New("Could not find a property named '" + t.field + "' on type.")
			}
			sv, _ := v.(string)
			switch t.op {
			case "eq", "ne":
				if eq := strings.EqualFold(sv, t.value); (t.op == "eq") != eq {
					all = false
				}
			default: // a date-time comparison
				have, err := time.Parse(time.RFC3339Nano, sv)
				if err != nil {
					return false, errors.New("The property '" + t.field + "' is not a date-time.")
				}
				want, _ := time.Parse(time.RFC3339Nano, t.value)
				var ok bool
				switch t.op {
				case "ge":
					ok = !have.Before(want)
				case "gt":
					ok = have.After(want)
				case "le":
					ok = !have.After(want)
				case "lt":
					ok = have.Before(want)
				}
				if !ok {
					all = false
				}
			}
		}
		if all {
			return true, nil
		}
	}
	return false, nil
}

func lookupFold(o obj, field string) (any, bool) {
	if v, ok := o[field]; ok {
		return v, true
	}
	for k, v := range o {
		if strings.EqualFold(k, field) {
			return v, true
		}
	}
	return nil, false
}
