package pim

import (
	"encoding/base64"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pimtray/pimtray/internal/vectors"
)

// FuzzParseTokenIdentity: the claims pimtray reads from an access token Azure issued (who and
// which tenant, when Graph's /me is refused). Seeded with every file of ../shared/pim-vectors
// as a token's payload, and a few token shapes; it must never panic, and what it reads is
// the payload's own claims.
func FuzzParseTokenIdentity(f *testing.F) {
	enc := base64.RawURLEncoding.EncodeToString
	header := enc([]byte(`{"alg":"RS256","typ":"JWT"}`))
	if dir, _ := vectors.Find(); dir != "" {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
				return err
			}
			data, err := os.ReadFile(p)
			if err == nil {
				f.Add(header + "." + enc(data) + ".sig")
			}
			return nil
		})
	} else if os.Getenv("CI") == "true" {
		vectors.Dir(f)
	}
	for _, payload := range []string{
		`{"oid":"3b9e6f21-8c4d-4a7e-b5f2-19d0c6a8e3f4","tid":"7d4c5a1e-2b8f-4e63-9a1d-5c0f3e8b2a47","upn":"admin@contoso.example","name":"Alex"}`,
		`{"oid":1,"tid":null}`, `[]`, `null`, `{"preferred_username":"a@b","unique_name":"c"}`, "",
	} {
		f.Add(header + "." + enc([]byte(payload)) + ".sig")
	}
	for _, tok := range []string{"", ".", "..", "a.b.c", "a.b.c.d", "eyJ.eyJ=.x", "x." + strings.Repeat("=", 10) + ".y"} {
		f.Add(tok)
	}
	f.Fuzz(func(t *testing.T, token string) {
		id := parseTokenIdentity(token)
		if strings.Count(token, ".") != 2 && id != (tokenIdentity{}) {
			t.Fatalf("%q is no JWT, yet it gave %+v", token, id)
		}
	})
}
