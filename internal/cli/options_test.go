package cli

import (
	"context"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestActivateOptions maps command lines to activate's options through its run seam:
// nothing is opened or sent.
func TestActivateOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args string
		want activateOptions
	}{
		{"Owner", activateOptions{Args: []string{"Owner"}}},
		{"Owner --scope IT --for 2h --reason deploy", activateOptions{Scope: "IT", For: "2h", Reason: "deploy", Args: []string{"Owner"}}},
		{"--reason x --ticket CHG-1 --ticket-system SNOW --json Contributor", activateOptions{Reason: "x", Ticket: "CHG-1", TicketSystem: "SNOW", JSON: true, Args: []string{"Contributor"}}},
		{"-- --odd-name", activateOptions{Args: []string{"--odd-name"}}},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			r := &runner{ctx: context.Background(), stdout: io.Discard, stderr: io.Discard}
			var got *activateOptions
			cmd := newCmdActivate(r, func(o *activateOptions) int { got = o; return ExitOK })
			cmd.SetArgs(strings.Fields(tt.args))
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			if got == nil || !reflect.DeepEqual(*got, tt.want) {
				t.Fatalf("options = %+v, want %+v", got, tt.want)
			}
			if r.eng != nil {
				t.Fatal("the seam opened an engine")
			}
		})
	}
}

// TestGlobalsAnywhere: the global flags work before and after the command.
func TestGlobalsAnywhere(t *testing.T) {
	t.Parallel()
	for _, args := range []string{
		"--demo --tenant t1 --config c.json --debug list",
		"list --demo --tenant t1 --config c.json --debug",
		"--demo list --tenant=t1 --config=c.json --debug",
	} {
		r := &runner{ctx: context.Background(), stdout: io.Discard, stderr: io.Discard}
		root := newRootCmd(r)
		for _, c := range root.Commands() {
			if c.Name() == "list" {
				c.RunE = func(*cobra.Command, []string) error { return nil }
			}
		}
		root.SetArgs(strings.Fields(args))
		if err := root.Execute(); err != nil {
			t.Fatalf("%s: %v", args, err)
		}
		if want := (Globals{Demo: true, Tenant: "t1", ConfigFile: "c.json", Debug: true}); r.g != want {
			t.Errorf("%s: globals %+v, want %+v", args, r.g, want)
		}
	}
}
