//go:build ignore

// Command gen draws pimtray's icons into assets/icons (run by `go generate ./assets`).
//
//	go run gen/main.go [-out icons]        write every icon file
//	go run gen/main.go -sheet FILE.png     also write a contact sheet to look at
//	go run gen/main.go -iconset DIR        write the app icon as a macOS .iconset (build/macos)
package main

import (
	"flag"
	"fmt"
	"image/png"
	"os"

	"github.com/pimtray/pimtray/assets/internal/icongen"
)

func main() {
	out := flag.String("out", "icons", "folder to write the icon files into")
	sheet := flag.String("sheet", "", "also write a contact sheet of every icon to this PNG file")
	iconset := flag.String("iconset", "", "write only the app icon as a macOS .iconset folder here")
	flag.Parse()
	if err := run(*out, *sheet, *iconset); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out, sheet, iconset string) error {
	if iconset != "" {
		return icongen.WriteIconset(iconset)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := icongen.WriteDir(out); err != nil {
		return err
	}
	if sheet == "" {
		return nil
	}
	f, err := os.Create(sheet)
	if err != nil {
		return err
	}
	if err := png.Encode(f, icongen.ContactSheet()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
