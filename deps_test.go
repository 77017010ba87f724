package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// What the shipped binary must not link: test-only packages and harnesses. (Tailscale's
// cmd/tailscaled/deps_test.go is the model.)
var forbiddenDeps = []struct{ path, why string }{
	{"net/http/httptest", "a test server; the demo's fake Azure serves with net/http and crypto/tls"},
	{"testing", "the test framework"},
	{"testing/", "the test framework's helpers"},
	{"github.com/pimtray/pimtray/internal/testkit/", "test harnesses and fake clocks"},
}

// The fake Azure ships (the demo runs on it, through the real client, sign-in and TLS), but
// not its test controls: nothing in the app calls them, so the linker must drop them.
var forbiddenSymbols = []string{
	"InjectFault", "ClearFaults", "answerWithFault", "applyFault", "takeFault", "SetLatency", "SetPlaneLatency",
	"Approve", "Deny", "decide", "RevokeRefreshTokens", "Requests", "ResetLog", "Activations",
	"PendingRequests", "PendingUserCodes", "Credential", "CredentialWithOptions", "BrowserWith", "CertificatePEM",
}

// fakeServerSymbol is how the linker names a method of the fake's server.
const fakeServerSymbol = "github.com/pimtray/pimtray/internal/fakeazure.(*Server)."

// sharedBinary, when set (on Linux, by the end-to-end helpers), is the pimtray binary this
// package's tests run, built once (without -race, as shipped).
var sharedBinary func(testing.TB) string

func goTool(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the deps test needs the go command: %v", err)
	}
	return goBin
}

func TestShippedBinaryLinksNoTestCode(t *testing.T) {
	t.Parallel()
	goBin := goTool(t)
	for _, goos := range []string{"linux", "windows"} {
		t.Run(goos, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(goBin, "list", "-deps", "-f", "{{.ImportPath}}", ".")
			cmd.Env = append(os.Environ(), "GOOS="+goos)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list -deps (GOOS=%s): %v", goos, err)
			}
			deps := strings.Fields(string(out))
			if len(deps) < 50 || !contains(deps, "github.com/pimtray/pimtray/internal/fakeazure") {
				t.Fatalf("go list -deps gave %d packages, without the fake Azure: not the app's list", len(deps))
			}
			for _, dep := range deps {
				for _, f := range forbiddenDeps {
					if dep == f.path || (strings.HasSuffix(f.path, "/") && strings.HasPrefix(dep, f.path)) {
						t.Errorf("GOOS=%s: the binary links %s (%s)", goos, dep, f.why)
					}
				}
			}
		})
	}
}

func TestShippedBinaryHasNoFakeAzureControls(t *testing.T) {
	t.Parallel()
	goBin := goTool(t)
	for _, goos := range []string{"linux", "windows"} {
		t.Run(goos, func(t *testing.T) {
			t.Parallel()
			var bin string
			if goos == runtime.GOOS && sharedBinary != nil {
				bin = sharedBinary(t)
			} else {
				bin = filepath.Join(t.TempDir(), "pimtray")
				build := exec.Command(goBin, "build", "-o", bin, ".")
				build.Env = append(os.Environ(), "GOOS="+goos)
				if out, err := build.CombinedOutput(); err != nil {
					t.Fatalf("go build (GOOS=%s): %v\n%s", goos, err, out)
				}
			}
			out, err := exec.Command(goBin, "tool", "nm", bin).Output()
			if err != nil {
				t.Fatalf("go tool nm: %v", err)
			}
			have := map[string]bool{}
			for _, line := range bytes.Split(out, []byte("\n")) {
				f := strings.Fields(string(line))
				if len(f) < 3 {
					continue
				}
				name, ok := strings.CutPrefix(f[len(f)-1], fakeServerSymbol)
				if !ok {
					continue
				}
				name, _, _ = strings.Cut(name, ".") // closures: Approve.func1
				have[strings.TrimSuffix(name, "-fm")] = true
			}
			if !have["serve"] {
				t.Fatalf("no %sserve in the symbol table: the check cannot see the fake's methods (symbols: %d)", fakeServerSymbol, len(have))
			}
			for _, sym := range forbiddenSymbols {
				if have[sym] {
					t.Errorf("GOOS=%s: the binary carries the fake's test control %s%s", goos, fakeServerSymbol, sym)
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
