package store

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/pim"
)

func TestDurationJSON(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		d    time.Duration
		text string
	}{
		{8 * time.Hour, `"8h"`},
		{15 * time.Minute, `"15m"`},
		{90 * time.Minute, `"1h30m"`},
		{90 * time.Second, `"1m30s"`},
		{0, `"0s"`},
		{-5 * time.Minute, `"-5m"`},
		{1500 * time.Millisecond, `"1.5s"`},
	} {
		b, err := json.Marshal(Duration(tt.d))
		if err != nil || string(b) != tt.text {
			t.Errorf("marshal %v = %s, %v; want %s", tt.d, b, err, tt.text)
		}
		var back Duration
		if err := json.Unmarshal(b, &back); err != nil || back.D() != tt.d {
			t.Errorf("unmarshal %s = %v, %v; want %v", b, back.D(), err, tt.d)
		}
	}
	for _, bad := range []struct{ in, msg string }{
		{`"8 hours"`, `"8 hours" is not a duration (try "8h")`},
		{`8`, `8 is not a duration (write it as text with a unit, like "8h" or "15m")`},
		{`"soon"`, `"soon" is not a duration (try "8h")`},
	} {
		var d Duration
		err := json.Unmarshal([]byte(bad.in), &d)
		if err == nil || err.Error() != bad.msg {
			t.Errorf("unmarshal %s: got %v, want %q", bad.in, err, bad.msg)
		}
	}
}

func TestSuggestDuration(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"8 hours": "8h", "1 hour 30 minutes": "1h30m", "2 days": "48h", "45 mins": "45m", "30 seconds": "30s",
		"8": "8h", "1.5 hours": "1.5h", "whenever": "8h",
	} {
		if got := suggestDuration(in, "h"); got != want {
			t.Errorf("suggestDuration(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoadConfigMissingFileIsDefaults(t *testing.T) {
	t.Parallel()
	c, err := LoadConfig(filepath.Join(t.TempDir(), "nope", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if c.DefaultDuration.D() != 8*time.Hour || c.RefreshInterval.D() != 5*time.Minute ||
		!reflect.DeepEqual(c.Reminders, []Duration{Duration(15 * time.Minute), Duration(5 * time.Minute)}) {
		t.Errorf("defaults = %+v", c)
	}
}

const goodConfig = `{
  "tenants": [
    {"id": "72f988bf-86f1-41af-91ab-2d7cd011db47", "name": "Contoso", "clientId": "14d82eec-204b-4c2f-b7e8-296a70dab67e",
     "planes": ["entra", "azure"]},
    {"id": "fabrikam.onmicrosoft.com", "cloud": "lab"}
  ],
  "favourites": [
    {"key": "entra|t|r|/", "plane": "entra", "role": "Global Administrator", "duration": "2h",
     "justification": "daily admin work", "keepActiveUntil": "18:00"}
  ],
  "defaultDuration": "4h",
  "reminders": ["30m", "10m"],
  "refreshInterval": "2m",
  "logLevel": "debug",
  "clouds": {"lab": {"authorityHost": "https://login.lab.example/", "graph": "https://graph.lab.example", "arm": "https://arm.lab.example"}}
}`

func TestLoadConfigReadsEveryField(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte(goodConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Tenants) != 2 || c.Tenants[0].Name != "Contoso" || c.Tenants[0].Planes[1] != "azure" {
		t.Errorf("tenants = %+v", c.Tenants)
	}
	if f := c.Favourites[0]; f.Duration.D() != 2*time.Hour || f.KeepActiveUntil != "18:00" || f.Role != "Global Administrator" {
		t.Errorf("favourite = %+v", f)
	}
	if c.DefaultDuration.D() != 4*time.Hour || c.RefreshInterval.D() != 2*time.Minute || c.LogLevel != "debug" ||
		len(c.Reminders) != 2 || c.Reminders[0].D() != 30*time.Minute {
		t.Errorf("config = %+v", c)
	}
	cl, err := c.CloudFor(c.Tenants[1])
	if err != nil || cl.Graph != "https://graph.lab.example" || cl.Name != "lab" {
		t.Errorf("custom cloud = %+v, %v", cl, err)
	}
	if cl, err := c.CloudFor(c.Tenants[0]); err != nil || cl != pim.AzurePublic {
		t.Errorf("default cloud = %+v, %v", cl, err)
	}
}

func TestLoadConfigEmptyRemindersTurnsThemOff(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte(`{"reminders": []}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Reminders == nil || len(c.Reminders) != 0 {
		t.Fatalf("reminders = %#v, want an empty list", c.Reminders)
	}
	// ... and it stays off after a save.
	if err := SaveConfig(path, c); err != nil {
		t.Fatal(err)
	}
	again, err := LoadConfig(path)
	if err != nil || again.Reminders == nil || len(again.Reminders) != 0 {
		t.Fatalf("after save: reminders = %#v, %v", again.Reminders, err)
	}
}

func TestLoadConfigBadInputIsOneSentenceWithTheLine(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	dir := filepath.Join(home, ".config", "pimtray")
	path := filepath.Join(dir, "config.json")
	tests := []struct {
		name, file, want string
	}{
		{"human duration", "{\n  \"favourites\": [\n    {\"key\": \"k\", \"plane\": \"entra\",\n     \"duration\": \"8 hours\"}\n  ]\n}",
			`line 4: "duration": "8 hours" is not a duration (try "8h")`},
		{"number duration", "{\n \"defaultDuration\": 8\n}", `line 2: "defaultDuration": 8 is not a duration (write it as text with a unit: "8h")`},
		{"number reminder", "{\n \"reminders\": [15]\n}", `line 2: "reminders": 15 is not a duration (write it as text with a unit: "15m")`},
		{"unknown field", "{\n  \"defaultDuration\": \"8h\",\n  \"remiders\": [\"5m\"]\n}", `line 3: unknown field "remiders" (did you mean "reminders"?)`},
		{"unknown field in a favourite", "{\"favourites\": [\n{\"key\": \"k\", \"plane\": \"entra\",\n \"colour\": \"red\"}]}", `line 3: unknown field "colour" in "favourites"`},
		{"wrong case field", "{\"DefaultDuration\": \"8h\"}", `line 1: unknown field "DefaultDuration" (did you mean "defaultDuration"?)`},
		{"two commas", "{\n  \"logLevel\": \"info\",,\n}", `line 2: not valid JSON: invalid character ',' looking for beginning of object key string (a missing value, or a comma too many?)`},
		{"a comment not closed", "{\n  \"logLevel\": \"info\"\n  /* about the log\n}", `line 4: not valid JSON: the file ends inside a /* comment (a missing */?)`},
		{"bad value after a comment", "{\n  // the log\n  \"logLevel\": \"loud\",\n}", `line 3: "logLevel": "loud" is not a log level (use "info" or "debug")`},
		{"missing value after a comment", "{\n  // the log\n  \"logLevel\": ,\n}", `line 3: not valid JSON: invalid character ',' at start of value`},
		{"cut short", "{\n  \"tenants\": [\n", `line 2: not valid JSON: the file ends too early (a missing } or ]?)`},
		{"not an object", "[1, 2]", `line 1: the file should hold one JSON object: { ... }`},
		{"two objects", "{}\n{}", `line 2: not valid JSON: more after the end of the object (one { ... } only)`},
		{"duplicate key", "{\n\"logLevel\": \"info\",\n\"logLevel\": \"debug\"}", `line 3: "logLevel" appears twice`},
		{"list expected", "{\"tenants\": {\"id\": \"x\"}}", `line 1: "tenants" should be a list [ ... ], not an object`},
		{"text expected", "{\"logLevel\": 3}", `line 1: "logLevel" should be text in quotes, not 3`},
		{"bool expected", "{\"tenants\": [{\"id\": \"contoso.com\", \"useAzureCli\": \"yes\"}]}", `line 1: "useAzureCli" should be true or false, not "yes"`},
		{"negative duration", "{\n\"defaultDuration\": \"-8h\"}", `line 2: "defaultDuration": "-8h" must be positive`},
		{"favourite shorter than Azure allows", "{\"favourites\": [\n{\"key\": \"k\", \"plane\": \"azure\",\n\"duration\": \"1m\"}]}",
			`line 3: "duration": "1m" is shorter than Azure allows: an activation lasts at least 5m`},
		{"default shorter than Azure allows", "{\n\"defaultDuration\": \"4m59s\"}", `line 2: "defaultDuration": "4m59s" is shorter than Azure allows: an activation lasts at least 5m`},
		{"reminder too long", "{\"reminders\": [\n\"15m\",\n\"25h\"]}", `line 3: "reminders": "25h" is too long (a reminder must come less than 24h before the end)`},
		{"reminder zero", "{\"reminders\": [\"0s\"]}", `line 1: "reminders": "0s" must be positive`},
		{"refresh too often", "{\"refreshInterval\": \"1s\"}", `line 1: "refreshInterval": "1s" is too short (at least 30s)`},
		{"bad time of day", "{\"favourites\": [\n{\"key\": \"k\", \"plane\": \"azure\",\n\"keepActiveUntil\": \"25:00\"}]}",
			`line 3: "keepActiveUntil": "25:00" is not a time of day (use HH:MM, like "18:00")`},
		{"schedule without days", "{\"favourites\": [{\"key\": \"k\", \"plane\": \"azure\",\n\"schedule\": {\"at\": \"08:30\"}}]}",
			`line 2: "schedule" needs "days" (like "Mon-Fri")`},
		{"schedule bad day", "{\"favourites\": [{\"key\": \"k\", \"plane\": \"azure\", \"schedule\": {\n\"days\": \"Mon-Fry\", \"at\": \"08:30\"}}]}",
			`line 2: "days": "Fry" is not a day of the week (use names like "Mon-Fri" or "Mon,Wed,Fri", or "daily")`},
		{"schedule bad time", "{\"favourites\": [{\"key\": \"k\", \"plane\": \"azure\", \"schedule\": {\"days\": \"Mon-Fri\",\n\"at\": \"8.30\"}}]}",
			`line 2: "at": "8.30" is not a time of day (use HH:MM, like "08:30")`},
		{"schedule bad pause", "{\"favourites\": [{\"key\": \"k\", \"plane\": \"azure\", \"schedule\": {\"days\": \"daily\", \"at\": \"08:30\",\n\"pausedUntil\": \"24.12.2026\"}}]}",
			`line 2: "pausedUntil": "24.12.2026" is not a date (use YYYY-MM-DD, like "2026-12-31")`},
		{"bad plane", "{\"favourites\": [\n{\"key\": \"k\",\n\"plane\": \"entr\"}]}", `line 3: "plane": "entr" is not a plane (use "entra", "azure" or "group")`},
		{"missing plane", "{\"favourites\": [\n{\"key\": \"k\"}]}", `line 2: a favourite needs a "plane" (use "entra", "azure" or "group")`},
		{"bad tenant plane", "{\"tenants\": [{\"id\": \"contoso.com\",\n\"planes\": [\"entra\", \"arm\"]}]}", `line 2: "planes": "arm" is not a plane (use "entra", "azure" or "group")`},
		{"bad tenant id", "{\"tenants\": [\n{\"id\": \"my tenant\"}]}", `line 2: "id": "my tenant" is not a tenant id (use its GUID or a domain like contoso.onmicrosoft.com)`},
		{"duplicate tenant", "{\"tenants\": [{\"id\": \"contoso.com\"},\n{\"id\": \"CONTOSO.com\"}]}", `line 2: tenant "CONTOSO.com" is listed twice`},
		{"bad client id", "{\"tenants\": [{\"id\": \"contoso.com\",\n\"clientId\": \"pimtray\"}]}", `line 2: "clientId": "pimtray" is not a client id (an application GUID)`},
		{"unknown cloud", "{\"tenants\": [{\"id\": \"contoso.com\",\n\"cloud\": \"mars\"}]}", `line 2: "cloud": "mars" is not a known cloud (use AzurePublic, AzureGovernment, AzureChina or a name under "clouds")`},
		{"bad log level", "{\"logLevel\": \"loud\"}", `line 1: "logLevel": "loud" is not a log level (use "info" or "debug")`},
		{"custom cloud over http", "{\"clouds\": {\"lab\": {\n\"authorityHost\": \"http://login.lab\", \"graph\": \"https://g\", \"arm\": \"https://a\"}}}",
			`line 2: cloud "lab": "authorityHost": "http://login.lab" should be an https:// address`},
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := LoadConfig(path)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("want a *ConfigError, got %v", err)
			}
			want := "config ~/.config/pimtray/config.json " + tt.want
			if err.Error() != want {
				t.Errorf("got  %s\nwant %s", err, want)
			}
			if strings.Count(err.Error(), "\n") != 0 {
				t.Errorf("message is more than one line: %q", err)
			}
			if c == nil || c.DefaultDuration.D() != DefaultDuration {
				t.Errorf("LoadConfig should still return the defaults, got %+v", c)
			}
		})
	}
}

func TestSaveConfigIsAtomicAndPrivate(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "pimtray")
	path := filepath.Join(dir, "config.json")
	c := DefaultConfig()
	c.Favourites = []Favourite{{Key: "azure|t|owner|/it", Plane: "azure", Role: "Owner", ScopeName: "IT", Duration: Duration(2 * time.Hour)}}
	if err := SaveConfig(path, c); err != nil {
		t.Fatal(err)
	}
	assertMode(t, path, 0o600)
	assertMode(t, dir, 0o700)
	back, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, c) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, c)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), `"duration": "2h"`) {
		t.Errorf("durations should be written as text:\n%s", data)
	}
}

func TestSaveConfigKeepsAnUnusableFileAside(t *testing.T) {
	t.Parallel()
	for name, content := range map[string]string{
		"corrupt":   "{\"favourites\": [ oops",
		"bad value": "{\"defaultDuration\": \"8 hours\"}",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "config.json")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := LoadConfig(path)
			if err == nil {
				t.Fatal("want an error")
			}
			// Loading never touches the file.
			if data, _ := os.ReadFile(path); string(data) != content {
				t.Fatal("LoadConfig changed the file")
			}
			aside, err := SaveConfigKeepAside(path, c)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(aside, path+".corrupt-") {
				t.Fatalf("kept aside as %q", aside)
			}
			if data, _ := os.ReadFile(aside); string(data) != content {
				t.Errorf("the kept-aside file lost the user's text: %q", data)
			}
			if _, err := LoadConfig(path); err != nil {
				t.Errorf("the new file does not load: %v", err)
			}
		})
	}
}

func TestSaveConfigOverAGoodFileKeepsNothingAside(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	if err := SaveConfig(path, DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	c.LogLevel = "debug"
	aside, err := SaveConfigKeepAside(path, c)
	if err != nil || aside != "" {
		t.Fatalf("aside %q, err %v", aside, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files: %v", entries)
	}
}

func TestValidateConfigBuiltInCode(t *testing.T) {
	t.Parallel()
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.Favourites = []Favourite{{Key: "k", Plane: "entra", KeepActiveUntil: "6pm"}}
	err := c.Validate()
	if err == nil || err.Error() != `config: "keepActiveUntil": "6pm" is not a time of day (use HH:MM, like "18:00")` {
		t.Errorf("got %v", err)
	}
}

func FuzzLoadConfig(f *testing.F) {
	f.Add([]byte(goodConfig))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"reminders": []}`))
	f.Add([]byte(`{"favourites": [{"key": "k", "plane": "entra", "duration": "8 hours"}]}`))
	f.Add([]byte(`{"tenants": [{"id": "contoso.com", "planes": ["entra"]}], "clouds": {"x": {}}}`))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`))
	f.Add([]byte("{\"logLevel\": \"info\",}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data, "config.json")
		if c == nil {
			t.Fatal("ParseConfig returned no config")
		}
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error is %T, want *ConfigError: %v", err, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line message: %q", err)
			}
			return
		}
		// A configuration that loads survives a save and a reload unchanged (save, load, save is a fixpoint).
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		back, err := ParseConfig(out, "config.json")
		if err != nil {
			t.Fatalf("reload of %s: %v", out, err)
		}
		again, err := json.Marshal(back)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		if string(again) != string(out) || len(back.Reminders) != len(c.Reminders) {
			t.Fatalf("round trip changed the config:\n%s\n%s", out, again)
		}
	})
}
