//go:build windows

package dialog

import (
	"encoding/base64"
	"testing"
	"unicode/utf16"
)

func TestEncodeCommand(t *testing.T) {
	b, err := base64.StdEncoding.DecodeString(encodeCommand("exit 10 # é"))
	if err != nil || len(b)%2 != 0 {
		t.Fatalf("not base64 UTF-16: %v", err)
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	if got := string(utf16.Decode(u)); got != "exit 10 # é" {
		t.Fatalf("decoded %q", got)
	}
}
