// Package assets holds pimtray's icons, embedded in the binary.
//
// The tray icon has one picture per state (see States): a shield whose colour and glyph say
// what is going on. The files in icons/ are drawn by code (internal/icongen) and committed;
// after changing the drawing, regenerate them with
//
//	go generate ./assets
//
// A test fails when the committed files differ from what the code draws.
//
// # Formats per OS
//
// fyne.io/systray wants ICO bytes on Windows and PNG elsewhere, and on macOS a monochrome
// template image that the menu bar tints for light and dark mode. TrayIcon returns the right
// format for the running OS; the simplest correct call on every OS is
//
//	systray.SetTemplateIcon(assets.TemplateIcon(state), assets.TrayIcon(state))
//
// (systray uses the template image on macOS and the regular icon elsewhere).
package assets

import (
	"embed"
	"fmt"
	"runtime"
)

//go:generate go run gen/main.go -out icons

//go:embed icons
var icons embed.FS

// The tray icon states. They match engine.IconState's values.
const (
	StateIdle      = "idle"      // nothing active
	StateActive    = "active"    // a role is active
	StateExpiring  = "expiring"  // an activation ends soon
	StatePending   = "pending"   // a request waits for approval
	StateAttention = "attention" // sign-in needed, or an error
)

// States lists every tray icon state.
var States = []string{StateIdle, StateActive, StateExpiring, StatePending, StateAttention}

// Sizes of the colour PNGs drawn for every state, in pixels, smallest first.
var Sizes = []int{16, 20, 22, 24, 32, 40, 44, 48, 64, 128, 256}

// ICOSizes are the image sizes inside each state's ICO file, in pixels.
var ICOSizes = []int{16, 20, 24, 32, 40, 48, 64}

// TemplateSize is the pixel size of TemplateIcon's image: the macOS menu bar shows status
// icons at 16 points, so 32 px is sharp on Retina screens and scaled down on others.
const TemplateSize = 32

// LinuxTraySize is the pixel size of the PNG that TrayIcon returns outside Windows and macOS.
// A StatusNotifierItem host scales the one image fyne.io/systray sends to its panel's icon
// size (16 to 24 px, twice that on HiDPI): 32 px halves cleanly to 16 and never needs to be
// scaled up on common panels.
const LinuxTraySize = 32

// AppIconSize is the pixel size of AppIcon's image.
const AppIconSize = 256

// TrayIcon returns the tray icon for a state in the format fyne.io/systray's SetIcon wants on
// the running OS: ICO on Windows, PNG elsewhere (on macOS the colour PNG that
// SetTemplateIcon takes as its regular icon). An unknown state gets the idle icon.
func TrayIcon(state string) []byte { return trayIcon(runtime.GOOS, state) }

func trayIcon(goos, state string) []byte {
	switch goos {
	case "windows":
		return ICO(state)
	case "darwin":
		return Icon(state, TemplateSize)
	default:
		return Icon(state, LinuxTraySize)
	}
}

// TemplateIcon returns the macOS template image for a state: a TemplateSize PNG in black and
// transparency only. An unknown state gets the idle icon.
func TemplateIcon(state string) []byte {
	return mustRead(fmt.Sprintf("template-%s-%d.png", known(state), TemplateSize))
}

// Icon returns a state's colour PNG at the smallest of Sizes at least size pixels wide (the
// largest for bigger requests). An unknown state gets the idle icon.
func Icon(state string, size int) []byte {
	return mustRead(fmt.Sprintf("%s-%d.png", known(state), fit(Sizes, size)))
}

// ICO returns a state's Windows icon file, holding ICOSizes. An unknown state gets the
// idle icon.
func ICO(state string) []byte { return mustRead(known(state) + ".ico") }

// AppIcon returns the application icon as an AppIconSize PNG, for notifications and
// desktop entries.
func AppIcon() []byte { return mustRead(fmt.Sprintf("pimtray-%d.png", AppIconSize)) }

// AppICO returns the application icon as a Windows icon file (16 to 256 px), the one the
// release build puts into pimtray.exe.
func AppICO() []byte { return mustRead("pimtray.ico") }

func known(state string) string {
	for _, s := range States {
		if s == state {
			return s
		}
	}
	return StateIdle
}

func fit(sizes []int, size int) int {
	for _, s := range sizes {
		if s >= size {
			return s
		}
	}
	return sizes[len(sizes)-1]
}

// mustRead reads an embedded icon. Every name asked for is one the generator writes and the
// tests check, so a missing file is a build defect, not a runtime condition.
func mustRead(name string) []byte {
	data, err := icons.ReadFile("icons/" + name)
	if err != nil {
		panic(fmt.Sprintf("assets: embedded icon %s missing: %v", name, err))
	}
	return data
}
