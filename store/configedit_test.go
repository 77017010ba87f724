package store

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const handWritten = "\xef\xbb\xbf" + `{
  // Contoso, my home tenant
  "tenants": [
    {"id": "contoso.onmicrosoft.com", "name": "Contoso",}, // trailing commas are fine
  ],
  /* favourites at the top of the menu */
  "favourites": [
    {
      "key": "entra|t|r1|/",
      "plane": "entra",
      "role": "Global Administrator",
      "justification": "added by hand", // the user's own words
      "duration": "2h",
    },
  ],
  "reminders": ["10m"],
}
`

// Issue 13 item 5 and issue 12 item 5: a configuration written by hand may carry comments,
// trailing commas (HuJSON) and a UTF-8 byte order mark (Windows Notepad); line numbers in
// messages stay those of the file.
func TestConfigForgivingToHandEdits(t *testing.T) {
	t.Parallel()
	c, err := ParseConfig([]byte(handWritten), "config.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Tenants) != 1 || c.Tenants[0].Name != "Contoso" || len(c.Favourites) != 1 ||
		c.Favourites[0].Justification != "added by hand" || c.Favourites[0].Duration.D() != 2*time.Hour ||
		!slices.Equal(c.Reminders, []Duration{Duration(10 * time.Minute)}) {
		t.Fatalf("read %+v", c)
	}
	// A bad value after comments still names its own line.
	bad := strings.Replace(handWritten, `"duration": "2h"`, `"duration": "2 hours"`, 1)
	if _, err := ParseConfig([]byte(bad), "config.json"); err == nil || !strings.Contains(err.Error(), `line 13: "duration": "2 hours" is not a duration (try "2h")`) {
		t.Fatalf("bad duration: %v", err)
	}
}

func TestEditConfigKeepsHandEditsCommentsAndFormatting(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte(handWritten), 0o600); err != nil {
		t.Fatal(err)
	}
	added := Favourite{Key: "azure|t|r2|/subscriptions/s", Plane: "azure", Role: "Owner", Scope: "/subscriptions/s", ScopeName: "Prod"}
	c, err := EditConfig(path, func(c *Config) { c.Favourites = append(c.Favourites, added) })
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Favourites) != 2 || c.Favourites[0].Justification != "added by hand" || c.Favourites[1].Key != added.Key {
		t.Fatalf("returned %+v", c.Favourites)
	}
	data, _ := os.ReadFile(path)
	for _, keep := range []string{"// Contoso, my home tenant", "/* favourites at the top of the menu */", "// the user's own words",
		`"justification": "added by hand"`, "// trailing commas are fine", `"reminders": ["10m"],`} {
		if !strings.Contains(string(data), keep) {
			t.Errorf("the edit lost %q:\n%s", keep, data)
		}
	}
	if strings.Contains(string(data), "defaultDuration") {
		t.Errorf("the edit wrote defaults the user never wrote:\n%s", data)
	}
	if !strings.HasPrefix(string(data), "\xef\xbb\xbf{") {
		t.Errorf("the byte order mark went")
	}
	if !strings.Contains(string(data), "\n    {\n      \"key\": \"azure|t|r2|/subscriptions/s\",") {
		t.Errorf("the new favourite is not indented like the others:\n%s", data)
	}
	back, err := LoadConfig(path)
	if err != nil || len(back.Favourites) != 2 {
		t.Fatalf("read back: %+v %v\n%s", back, err, data)
	}
	// Unstarring the hand-written favourite takes out just that one.
	if _, err := EditConfig(path, func(c *Config) {
		c.Favourites = slices.DeleteFunc(c.Favourites, func(f Favourite) bool { return f.Plane == "entra" })
	}); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(path)
	if strings.Contains(string(data), "Global Administrator") || !strings.Contains(string(data), "Owner") ||
		!strings.Contains(string(data), "/* favourites at the top of the menu */") {
		t.Errorf("after the removal:\n%s", data)
	}
	if back, err := LoadConfig(path); err != nil || len(back.Favourites) != 1 {
		t.Fatalf("read back after the removal: %+v %v\n%s", back, err, data)
	}
}

// A file that cannot be used is never written over: the change is refused, the file stays.
func TestEditConfigRefusesABrokenFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.json")
	broken := "{\n  \"favourites\": [\n    {\"key\": \"k\", \"plane\": \"entra\", \"duration\": \"8 hours\"}\n  ]\n}\n"
	if err := os.WriteFile(path, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := EditConfig(path, func(c *Config) { c.Favourites = nil })
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Line != 3 {
		t.Fatalf("got %v, want the file's own problem", err)
	}
	if data, _ := os.ReadFile(path); string(data) != broken {
		t.Fatalf("the broken file was changed:\n%s", data)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Fatalf("files: %v", entries)
	}
}

func TestEditConfigWritesAMissingFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "pimtray", "config.json")
	c, err := EditConfig(path, func(c *Config) { c.Favourites = []Favourite{{Key: "k", Plane: "entra"}} })
	if err != nil || len(c.Favourites) != 1 {
		t.Fatalf("%+v %v", c, err)
	}
	back, err := LoadConfig(path)
	if err != nil || len(back.Favourites) != 1 || back.DefaultDuration.D() != DefaultDuration {
		t.Fatalf("%+v %v", back, err)
	}
}
