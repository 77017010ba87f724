package console

import (
	"os"
	"runtime"
	"testing"
)

func TestAttachParentConsoleLeavesStreamsAloneOutsideWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows attaches for real; covered by GOOS=windows go vet and manual runs")
	}
	out, errOut, in := os.Stdout, os.Stderr, os.Stdin
	if AttachParentConsole() {
		t.Error("AttachParentConsole() = true outside Windows")
	}
	if os.Stdout != out || os.Stderr != errOut || os.Stdin != in {
		t.Error("standard streams replaced outside Windows")
	}
}
