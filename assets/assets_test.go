package assets

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/pimtray/pimtray/assets/internal/icongen"
)

func decodePNG(t *testing.T, what string, data []byte) image.Image {
	t.Helper()
	if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("%s: not a PNG file", what)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return img
}

func wantSize(t *testing.T, what string, img image.Image, size int) {
	t.Helper()
	if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
		t.Errorf("%s is %dx%d, want %dx%d", what, b.Dx(), b.Dy(), size, size)
	}
}

func decodeICO(t *testing.T, what string, data []byte) []icongen.ICOEntry {
	t.Helper()
	entries, err := icongen.DecodeICO(data)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return entries
}

// The engine decides the icon state (engine.IconState); its values must be ours. The engine's
// source is read rather than imported, so this package's tests don't depend on the engine
// (and everything it imports) building.
func TestStatesAreTheEngineIconStates(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("../internal/engine/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("engine sources not found: %v", err)
	}
	var engineStates []string
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "IconState" {
					continue
				}
				for _, v := range vs.Values {
					if lit, ok := v.(*ast.BasicLit); ok {
						s, _ := strconv.Unquote(lit.Value)
						engineStates = append(engineStates, s)
					}
				}
			}
		}
	}
	if !slices.Equal(States, engineStates) {
		t.Errorf("States = %q, want engine's icon states %q", States, engineStates)
	}
	if !slices.Equal(icongen.States, States) {
		t.Errorf("the generator draws %q, want %q", icongen.States, States)
	}
}

func TestEveryStateHasAColourPNGAtEverySize(t *testing.T) {
	for _, state := range States {
		for _, size := range Sizes {
			img := decodePNG(t, state, Icon(state, size))
			wantSize(t, state, img, size)
			if !hasOpaquePixels(img) {
				t.Errorf("%s %d px is empty", state, size)
			}
		}
	}
}

func TestEveryStateHasAnICOWithTheWindowsSizes(t *testing.T) {
	for _, state := range States {
		entries := decodeICO(t, state+".ico", ICO(state))
		var sizes []int
		for _, e := range entries {
			sizes = append(sizes, e.Width)
			if e.Width != e.Height || e.BitCount != 32 || !e.IsPNG() {
				t.Errorf("%s.ico entry %dx%d: %d bpp, png %v; want square, 32 bpp, PNG", state, e.Width, e.Height, e.BitCount, e.IsPNG())
				continue
			}
			wantSize(t, state+".ico entry", decodePNG(t, state+".ico entry", e.Data), e.Width)
		}
		if !slices.Equal(sizes, ICOSizes) {
			t.Errorf("%s.ico holds %v, want %v", state, sizes, ICOSizes)
		}
		for _, need := range []int{16, 24, 32, 48} {
			if !slices.Contains(sizes, need) {
				t.Errorf("%s.ico lacks the %d px image", state, need)
			}
		}
	}
}

func TestTemplateIconsAreBlackAndTransparentOnly(t *testing.T) {
	for _, state := range States {
		img := decodePNG(t, "template "+state, TemplateIcon(state))
		wantSize(t, "template "+state, img, TemplateSize)
		var opaque, clear int
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
				if c.R != 0 || c.G != 0 || c.B != 0 {
					t.Fatalf("template %s: pixel (%d,%d) is %v, want black with alpha", state, x, y, c)
				}
				switch c.A {
				case 255:
					opaque++
				case 0:
					clear++
				}
			}
		}
		if opaque == 0 || clear == 0 {
			t.Errorf("template %s: %d opaque and %d transparent pixels, want both", state, opaque, clear)
		}
	}
}

// Colour never carries the state alone: the macOS template images have none, and some
// people can't tell red from green.
func TestEveryStateLooksDifferentEvenWithoutColour(t *testing.T) {
	for _, size := range []int{16, 22, 32} {
		masks := map[string]string{}
		for _, state := range States {
			img := decodePNG(t, state, Icon(state, size))
			key := luminanceMask(img)
			if other, ok := masks[key]; ok {
				t.Errorf("at %d px %s and %s differ only in colour", size, state, other)
			}
			masks[key] = state
		}
	}
	templates := map[string]string{}
	for _, state := range States {
		key := string(TemplateIcon(state))
		if other, ok := templates[key]; ok {
			t.Errorf("templates of %s and %s are the same", state, other)
		}
		templates[key] = state
	}
}

// luminanceMask returns which pixels are light (the white glyph) as a string key.
func luminanceMask(img image.Image) string {
	b := img.Bounds()
	var key []byte
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			light := c.A > 128 && int(c.R)+int(c.G)+int(c.B) > 3*200
			key = append(key, map[bool]byte{true: '#', false: '.'}[light])
		}
	}
	return string(key)
}

func TestTrayIconFormatPerOS(t *testing.T) {
	for _, state := range States {
		ico := trayIcon("windows", state)
		if !bytes.Equal(ico, ICO(state)) {
			t.Errorf("windows tray icon for %s is not its ICO", state)
		}
		decodeICO(t, "windows tray icon", ico)

		for goos, size := range map[string]int{"linux": LinuxTraySize, "freebsd": LinuxTraySize, "darwin": TemplateSize} {
			img := decodePNG(t, goos+" tray icon "+state, trayIcon(goos, state))
			wantSize(t, goos+" tray icon "+state, img, size)
		}
	}
	if !bytes.Equal(TrayIcon(StateActive), trayIcon(runtime.GOOS, StateActive)) {
		t.Error("TrayIcon does not follow the running OS")
	}
}

func TestUnknownStateGetsTheIdleIcon(t *testing.T) {
	if !bytes.Equal(Icon("no-such-state", 22), Icon(StateIdle, 22)) {
		t.Error("Icon of an unknown state is not the idle icon")
	}
	if !bytes.Equal(ICO(""), ICO(StateIdle)) {
		t.Error("ICO of an unknown state is not the idle icon")
	}
	if !bytes.Equal(TemplateIcon("x"), TemplateIcon(StateIdle)) {
		t.Error("TemplateIcon of an unknown state is not the idle icon")
	}
	if !bytes.Equal(TrayIcon("x"), TrayIcon(StateIdle)) {
		t.Error("TrayIcon of an unknown state is not the idle icon")
	}
}

func TestIconPicksTheSmallestSizeAtLeastAsBig(t *testing.T) {
	for _, tc := range []struct{ ask, want int }{
		{0, 16}, {16, 16}, {17, 20}, {22, 22}, {23, 24}, {100, 128}, {256, 256}, {1000, 256},
	} {
		img := decodePNG(t, "icon", Icon(StateActive, tc.ask))
		if got := img.Bounds().Dx(); got != tc.want {
			t.Errorf("Icon(active, %d) is %d px, want %d", tc.ask, got, tc.want)
		}
	}
}

func TestAppIcon(t *testing.T) {
	wantSize(t, "app icon", decodePNG(t, "app icon", AppIcon()), AppIconSize)
	var sizes []int
	for _, e := range decodeICO(t, "pimtray.ico", AppICO()) {
		sizes = append(sizes, e.Width)
		wantSize(t, "pimtray.ico entry", decodePNG(t, "pimtray.ico entry", e.Data), e.Width)
	}
	if !slices.Equal(sizes, icongen.AppICOSizes) {
		t.Errorf("pimtray.ico holds %v, want %v", sizes, icongen.AppICOSizes)
	}
	for _, size := range icongen.AppPNGSizes {
		data, err := icons.ReadFile("icons/" + icongen.PNGName(icongen.AppName, size))
		if err != nil {
			t.Fatalf("app icon %d px (build/ installs it on Linux): %v", size, err)
		}
		wantSize(t, "app icon", decodePNG(t, "app icon", data), size)
	}
}

// The committed icons must be what the drawing code draws: change the code, run
// `go generate ./assets`, commit both. The generator draws into a fresh set of images, which
// are compared with the committed files' pixels rather than bytes, with a tolerance of two
// levels per channel: PNG compression and float rounding (FMA on arm64) may differ between
// Go versions and CPUs without any visible change.
func TestCommittedIconsAreUpToDate(t *testing.T) {
	drawnFiles := icongen.Icons()
	entries, err := fs.ReadDir(icons, "icons")
	if err != nil {
		t.Fatal(err)
	}
	var committed, drawn []string
	for _, e := range entries {
		committed = append(committed, e.Name())
	}
	for _, f := range drawnFiles {
		drawn = append(drawn, f.Name)
	}
	sort.Strings(committed)
	sort.Strings(drawn)
	if !slices.Equal(committed, drawn) {
		t.Fatalf("assets/icons holds %q,\nthe generator draws %q:\nrun go generate ./assets", committed, drawn)
	}
	stale := 0
	for _, f := range drawnFiles {
		data, err := icons.ReadFile("icons/" + f.Name)
		if err != nil {
			t.Fatal(err)
		}
		var got []image.Image
		if f.IsICO() {
			for _, e := range decodeICO(t, f.Name, data) {
				got = append(got, decodePNG(t, f.Name, e.Data))
			}
		} else {
			got = append(got, decodePNG(t, f.Name, data))
		}
		why := ""
		if len(got) != len(f.Images) {
			why = fmt.Sprintf("%d images, the generator draws %d", len(got), len(f.Images))
		}
		for i := 0; why == "" && i < len(got); i++ {
			why = samePixels(got[i], f.Images[i])
		}
		if why != "" {
			t.Errorf("assets/icons/%s is stale (%s): run go generate ./assets", f.Name, why)
			stale++
		}
	}
	if stale > 0 {
		t.Logf("%d of %d icon files are stale", stale, len(drawnFiles))
	}
}

func samePixels(a, b image.Image) string {
	if a.Bounds() != b.Bounds() {
		return "different size"
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ca := color.NRGBAModel.Convert(a.At(x, y)).(color.NRGBA)
			cb := color.NRGBAModel.Convert(b.At(x, y)).(color.NRGBA)
			if ca.A == 0 && cb.A == 0 {
				continue
			}
			if far(ca.R, cb.R) || far(ca.G, cb.G) || far(ca.B, cb.B) || far(ca.A, cb.A) {
				return "pixels differ"
			}
		}
	}
	return ""
}

func far(a, b uint8) bool { return max(a, b)-min(a, b) > 2 }

func hasOpaquePixels(img image.Image) bool {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a == 0xffff {
				return true
			}
		}
	}
	return false
}
