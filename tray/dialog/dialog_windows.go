//go:build windows

package dialog

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"unicode/utf16"
)

// askScript shows a small Windows Forms input box. The texts come in through environment
// variables, so no user text is ever parsed as PowerShell; the answer leaves on stdout as
// UTF-8. Exit 0: OK; exit 10: cancelled or closed (a PowerShell failure exits 1).
const askScript = `
$ErrorActionPreference = 'Stop'
[Console]::OutputEncoding = [Text.Encoding]::UTF8
Add-Type -AssemblyName System.Windows.Forms
Add-Type -AssemblyName System.Drawing
[Windows.Forms.Application]::EnableVisualStyles()
$f = New-Object Windows.Forms.Form
$f.Text = $env:PIMTRAY_DIALOG_TITLE
$f.FormBorderStyle = 'FixedDialog'
$f.StartPosition = 'CenterScreen'
$f.MinimizeBox = $false
$f.MaximizeBox = $false
$f.TopMost = $true
$f.ClientSize = New-Object Drawing.Size(420, 140)
$l = New-Object Windows.Forms.Label
$l.Text = $env:PIMTRAY_DIALOG_PROMPT
$l.SetBounds(12, 12, 396, 48)
$t = New-Object Windows.Forms.TextBox
$t.Text = $env:PIMTRAY_DIALOG_DEFAULT
$t.SetBounds(12, 64, 396, 24)
if ($env:PIMTRAY_DIALOG_SECRET -eq '1') { $t.UseSystemPasswordChar = $true }
$ok = New-Object Windows.Forms.Button
$ok.Text = 'OK'
$ok.DialogResult = 'OK'
$ok.SetBounds(252, 102, 75, 26)
$cancel = New-Object Windows.Forms.Button
$cancel.Text = 'Cancel'
$cancel.DialogResult = 'Cancel'
$cancel.SetBounds(333, 102, 75, 26)
$f.AcceptButton = $ok
$f.CancelButton = $cancel
$f.Controls.AddRange(@($l, $t, $ok, $cancel))
$f.Add_Shown({ $f.Activate(); $t.Focus() })
if ($f.ShowDialog() -eq 'OK') { [Console]::Out.Write($t.Text); exit 0 }
exit 10
`

// exitCancelled is askScript's exit status when the user cancels.
const exitCancelled = 10

// createNoWindow keeps PowerShell's console from flashing up (CREATE_NO_WINDOW).
const createNoWindow = 0x08000000

func ask(ctx context.Context, q Question) (string, bool, error) {
	path, err := exec.LookPath("powershell.exe")
	if err != nil {
		return "", false, fmt.Errorf("%w: Windows PowerShell was not found", ErrUnavailable)
	}
	cmd := exec.CommandContext(ctx, path, "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass",
		"-WindowStyle", "Hidden", "-EncodedCommand", encodeCommand(askScript))
	secret := "0"
	if q.Secret {
		secret = "1"
	}
	cmd.Env = append(os.Environ(),
		"PIMTRAY_DIALOG_TITLE="+q.Title,
		"PIMTRAY_DIALOG_PROMPT="+q.Prompt,
		"PIMTRAY_DIALOG_DEFAULT="+q.Default,
		"PIMTRAY_DIALOG_SECRET="+secret,
	)
	cmd.SysProcAttr = &syscall.SysProcAttr{HideWindow: true, CreationFlags: createNoWindow}
	return runDialog(ctx, cmd, "PowerShell", func(code int, _ string) bool { return code == exitCancelled })
}

// encodeCommand is PowerShell's -EncodedCommand form: base64 of UTF-16LE.
func encodeCommand(script string) string {
	u := utf16.Encode([]rune(script))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		b[2*i], b[2*i+1] = byte(c), byte(c>>8)
	}
	return base64.StdEncoding.EncodeToString(b)
}
