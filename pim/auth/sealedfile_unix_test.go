//go:build unix

package auth_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/pimtray/pimtray/internal/fakeazure"
	"github.com/pimtray/pimtray/pim"
	"github.com/pimtray/pimtray/pim/auth"
)

// Issue 12: the sealed sign-in file turned into a named pipe (or a folder) while pimtray runs
// is not a silent sign-out: a token read says which file and why (a plane line in the menu),
// and neither asks for a sign-in nor opens a browser; a sign-in says the same.
func TestSealedFileThatIsNotAFileIsSaidNotASignOut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFake(t, fakeazure.Options{})
	keys := newKeyStore(t)
	s := newSession(t, f, fakeazure.DemoTenantID, keys.cache(t, fakeazure.DemoTenantID, nil), f.Browser())
	if _, err := s.SignIn(ctx, auth.SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	file := keys.cache(t, fakeazure.DemoTenantID, nil).File()
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(file, 0o600); err != nil {
		t.Fatal(err)
	}
	later := newSession(t, f, fakeazure.DemoTenantID, keys.cache(t, fakeazure.DemoTenantID, nil), noBrowser(t))
	want := "The sign-in file " + file + " is not a regular file (a named pipe): pimtray reads only ordinary files."
	for _, scope := range []string{"graph", "arm"} {
		o := graphScope(f)
		if scope == "arm" {
			o = armScope(f)
		}
		_, err := later.GetToken(auth.Interactive(ctx), o)
		var pe *pim.Error
		if err == nil || errors.Is(err, pim.ErrSignInNeeded) || !errors.As(err, &pe) || !strings.HasSuffix(pe.Text, strings.TrimPrefix(want, "The sign-in file ")) {
			t.Fatalf("%s token with the sealed file a pipe: %v, want %q", scope, err, want)
		}
	}
	if _, err := later.SignIn(ctx, auth.SignInOptions{}); err == nil || errors.Is(err, pim.ErrSignInNeeded) || !strings.Contains(err.Error(), "is not a regular file (a named pipe)") {
		t.Fatalf("sign-in with the sealed file a pipe: %v", err)
	}
}
