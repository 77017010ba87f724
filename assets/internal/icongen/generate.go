// Package icongen draws pimtray's icons and encodes them as the PNG and ICO files that
// package assets embeds. It runs at development time only (go generate ./assets, and the
// test that checks the committed files are up to date); the pimtray binary embeds the files.
package icongen

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Sizes of the colour PNGs of every state, in pixels.
var PNGSizes = []int{16, 20, 22, 24, 32, 40, 44, 48, 64, 128, 256}

// ICOSizes are the entries of each state's ICO file. Windows loads the tray icon at its
// "default icon size" (32 px at 100 %, 40 at 125 %, 48 at 150 %, 64 at 200 %) and shrinks it
// to the notification area's 16–32 px, so both sets of sizes are present.
var ICOSizes = []int{16, 20, 24, 32, 40, 48, 64}

// TemplateSizes are the sizes of the macOS template PNGs: the menu bar shows the icon at
// 16 points, so 16 px for 1x screens and 32 px for Retina screens.
var TemplateSizes = []int{16, 32}

// AppPNGSizes are the sizes of the application icon's PNGs (the .desktop icon, notifications).
var AppPNGSizes = []int{16, 22, 24, 32, 48, 64, 128, 256}

// AppICOSizes are the entries of the application icon's ICO file (the Windows .exe icon).
var AppICOSizes = []int{16, 20, 24, 32, 40, 48, 64, 128, 256}

// PNGName is the file name of a colour PNG: "active-22.png", "pimtray-256.png".
func PNGName(name string, size int) string { return fmt.Sprintf("%s-%d.png", name, size) }

// TemplateName is the file name of a macOS template PNG: "template-active-32.png".
func TemplateName(state string, size int) string {
	return fmt.Sprintf("template-%s-%d.png", state, size)
}

// ICOName is the file name of an ICO file: "active.ico", "pimtray.ico".
func ICOName(name string) string { return name + ".ico" }

// IconFile is one file of drawn icons before encoding: a PNG holds one image, an ICO several.
type IconFile struct {
	Name   string
	Images []*image.NRGBA
}

// IsICO reports whether the file is an ICO file.
func (f IconFile) IsICO() bool { return strings.HasSuffix(f.Name, ".ico") }

// Icons draws every icon file, sorted by name.
func Icons() []IconFile {
	var out []IconFile
	draw := func(name string, sizes []int, paint func(string, int) *image.NRGBA) []*image.NRGBA {
		imgs := make([]*image.NRGBA, len(sizes))
		for i, size := range sizes {
			imgs[i] = paint(name, size)
		}
		return imgs
	}
	for _, name := range append(append([]string{}, States...), AppName) {
		pngSizes, icoSizes := PNGSizes, ICOSizes
		if name == AppName {
			pngSizes, icoSizes = AppPNGSizes, AppICOSizes
		}
		for _, size := range pngSizes {
			out = append(out, IconFile{PNGName(name, size), []*image.NRGBA{colourImage(name, size)}})
		}
		out = append(out, IconFile{ICOName(name), draw(name, icoSizes, colourImage)})
		if name == AppName {
			continue
		}
		for _, size := range TemplateSizes {
			out = append(out, IconFile{TemplateName(name, size), []*image.NRGBA{templateImage(name, size)}})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Encode returns the file's bytes: the PNG, or the ICO with one PNG entry per image.
func (f IconFile) Encode() ([]byte, error) {
	var pngs [][]byte
	for _, img := range f.Images {
		data, err := encodePNG(img, png.BestCompression)
		if err != nil {
			return nil, fmt.Errorf("make %s: %w", f.Name, err)
		}
		pngs = append(pngs, data)
	}
	if !f.IsICO() {
		return pngs[0], nil
	}
	data, err := EncodeICO(pngs)
	if err != nil {
		return nil, fmt.Errorf("make %s: %w", f.Name, err)
	}
	return data, nil
}

// WriteDir writes every icon file into dir, which must exist.
func WriteDir(dir string) error {
	for _, f := range Icons() {
		data, err := f.Encode()
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name), data, 0o644); err != nil {
			return fmt.Errorf("write icon: %w", err)
		}
	}
	return nil
}

// WriteIconset writes the application icon as a macOS .iconset folder (dir, created if
// missing), the input of `iconutil -c icns`.
func WriteIconset(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("make iconset: %w", err)
	}
	for _, pts := range []int{16, 32, 128, 256, 512} {
		for scale, suffix := range map[int]string{1: "", 2: "@2x"} {
			// Not committed, so quick compression will do.
			data, err := encodePNG(colourImage(AppName, pts*scale), png.DefaultCompression)
			if err != nil {
				return fmt.Errorf("make iconset: %w", err)
			}
			name := fmt.Sprintf("icon_%dx%d%s.png", pts, pts, suffix)
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				return fmt.Errorf("make iconset: %w", err)
			}
		}
	}
	return nil
}

func encodePNG(img image.Image, level png.CompressionLevel) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: level}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode png: %w", err)
	}
	return buf.Bytes(), nil
}
