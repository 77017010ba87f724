package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"

	"github.com/pimtray/pimtray/internal/vectors"
	"github.com/pimtray/pimtray/pim"
)

// identityCallErr is the identity platform answering status with body, as MSAL reports it.
func identityCallErr(status int, body []byte) error {
	req, _ := http.NewRequest(http.MethodPost, "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token", nil)
	return msalerrors.CallErr{Req: req, Resp: &http.Response{StatusCode: status, Header: http.Header{},
		Body: io.NopCloser(bytes.NewReader(body))}, Err: errors.New("http call failed")}
}

// identitySeeds are the error bodies of ../shared/pim-vectors (entries[].body, responses.*.body)
// and the files themselves, plus the identity platform's usual error shapes.
func identitySeeds(f *testing.F) [][]byte {
	seeds := [][]byte{
		[]byte(`{"error":"invalid_grant","error_description":"AADSTS50076: Due to a configuration change made by your administrator, you must use multi-factor authentication.\r\nTrace ID: 1\r\nCorrelation ID: 2","error_codes":[50076],"suberror":"basic_action","claims":"{\"access_token\":{\"capolids\":{\"essential\":true,\"values\":[\"x\"]}}}"}`),
		[]byte(`{"error":"invalid_tenant","error_description":"AADSTS90002: Tenant 'x' not found. Trace ID: 1"}`),
		[]byte(`{"error":"consent_required","error_description":"AADSTS65001: The user or administrator has not consented."}`),
		[]byte(`{"error":"temporarily_unavailable","error_description":"AADSTS90033: A transient error has occurred."}`),
		[]byte(`{"error":"","error_description":""}`), []byte(`{"error":null}`), []byte(`{"error_codes":"x"}`), []byte(`<html>`), nil,
	}
	dir, _ := vectors.Find()
	if dir == "" {
		if os.Getenv("CI") == "true" {
			vectors.Dir(f)
		}
		return seeds
	}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		seeds = append(seeds, data)
		var doc struct {
			Entries   []struct{ Body json.RawMessage } `json:"entries"`
			Responses map[string]struct{ Body json.RawMessage }
		}
		if json.Unmarshal(data, &doc) == nil {
			for _, e := range doc.Entries {
				seeds = append(seeds, e.Body)
			}
			for _, r := range doc.Responses {
				seeds = append(seeds, r.Body)
			}
		}
		return nil
	})
	return seeds
}

// FuzzIdentityPlatformError: the identity platform's error answers, read from MSAL's error,
// must never panic, and what pimtray tells the user of them is one line.
func FuzzIdentityPlatformError(f *testing.F) {
	for _, s := range identitySeeds(f) {
		f.Add(400, s)
		f.Add(401, s)
		f.Add(503, s)
	}
	sess, err := New(Options{Cloud: pim.AzurePublic, TenantID: "contoso.onmicrosoft.com", TenantName: "Contoso"})
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		err := identityCallErr(status, body)
		e, ok := asIdpError(err)
		if !ok || e.Status != status {
			t.Fatalf("asIdpError: %+v %v", e, ok)
		}
		_ = needsInteraction(err)
		if r := reason(err); r == "" {
			t.Fatal("no reason")
		}
		for _, out := range []error{sess.failure(ctx, err), sess.interactiveFailure(ctx, ctx, err, true), sess.interactiveFailure(ctx, ctx, err, false)} {
			var pe *pim.Error
			if !errors.As(out, &pe) {
				t.Fatalf("%T %v: want a *pim.Error", out, out)
			}
			msg := out.Error()
			if msg == "" || strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("not one line: %q (body %q)", msg, body)
			}
		}
	})
}
