//go:build race

package tray_test

// raceEnabled: fyne.io/systray has an internal data race (menuVersion), so the tray child
// process must not run under the race detector, and a child re-executed from a -race
// test binary would.
const raceEnabled = true
