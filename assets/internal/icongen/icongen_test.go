package icongen

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/png"
	"math"
	"os"
	"slices"
	"testing"
)

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewNRGBA(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestICORoundTrip(t *testing.T) {
	var in [][]byte
	sizes := []int{16, 24, 32, 48, 256}
	for _, s := range sizes {
		in = append(in, pngOf(t, s, s))
	}
	ico, err := EncodeICO(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := binary.LittleEndian.Uint16(ico[4:]); int(got) != len(sizes) {
		t.Fatalf("directory counts %d images, want %d", got, len(sizes))
	}
	// A 256 px image is declared as 0 in its one-byte width and height.
	last := ico[icoHeaderSize+icoEntrySize*(len(sizes)-1):]
	if last[0] != 0 || last[1] != 0 {
		t.Errorf("256 px entry declares %dx%d, want 0x0", last[0], last[1])
	}
	entries, err := DecodeICO(ico)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range entries {
		if e.Width != sizes[i] || e.Height != sizes[i] || e.BitCount != 32 || !e.IsPNG() || !bytes.Equal(e.Data, in[i]) {
			t.Errorf("entry %d: %dx%d %d bpp png=%v, data equal %v; want %d px, 32 bpp, the PNG given",
				i, e.Width, e.Height, e.BitCount, e.IsPNG(), bytes.Equal(e.Data, in[i]), sizes[i])
		}
	}
}

func TestEncodeICORejectsWhatWindowsCannotLoad(t *testing.T) {
	for name, in := range map[string][][]byte{
		"nothing":    nil,
		"not a png":  {[]byte("GIF89a")},
		"too large":  {pngOf(t, 512, 512)},
		"one of two": {pngOf(t, 16, 16), []byte("junk")},
	} {
		if _, err := EncodeICO(in); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestDecodeICORejectsBrokenFiles(t *testing.T) {
	good, err := EncodeICO([][]byte{pngOf(t, 16, 16)})
	if err != nil {
		t.Fatal(err)
	}
	outside := slices.Clone(good)
	binary.LittleEndian.PutUint32(outside[icoHeaderSize+12:], uint32(len(good)))
	for name, data := range map[string][]byte{
		"empty":            nil,
		"cursor, not icon": append([]byte{0, 0, 2, 0}, good[4:]...),
		"no images":        {0, 0, 1, 0, 0, 0},
		"truncated dir":    good[:icoHeaderSize+8],
		"data outside":     outside,
	} {
		if _, err := DecodeICO(data); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// Crisp at tray sizes: the shield's straight sides fall on pixel boundaries, so the column
// of the edge is solid and the one beside it empty, with no blur between.
func TestShieldEdgesAreOnThePixelGrid(t *testing.T) {
	for _, size := range []int{16, 20, 22, 24, 32, 48} {
		g := newGrid(size)
		img := colourImage("active", size)
		left, right := int(g.left), int(g.right)-1
		if float64(left) != g.left || float64(right+1) != g.right || g.top != math.Round(g.top) {
			t.Fatalf("%d px: shield box %v..%v, top %v not on whole pixels", size, g.left, g.right, g.top)
		}
		top := int(g.top)
		for y := top + int(g.u*2); y < top+int((g.bottom-g.top)*0.45); y++ {
			for _, c := range []struct{ x, alpha int }{{left, 255}, {right, 255}, {left - 1, 0}, {right + 1, 0}} {
				if a := int(img.NRGBAAt(c.x, y).A); a != c.alpha {
					t.Errorf("%d px: alpha at (%d,%d) = %d, want %d", size, c.x, y, a, c.alpha)
				}
			}
		}
		for x := left + int(g.u*2); x <= right-int(g.u*2); x++ {
			if a := img.NRGBAAt(x, top).A; a != 255 {
				t.Errorf("%d px: top edge alpha at (%d,%d) = %d, want 255", size, x, top, a)
			}
			if top > 0 && img.NRGBAAt(x, top-1).A != 0 {
				t.Errorf("%d px: pixel above the top edge at (%d,%d) not empty", size, x, top-1)
			}
		}
	}
}

// The exclamation mark's bar is solid white at the smallest size: no half-covered columns.
func TestGlyphStrokesAreOnThePixelGrid(t *testing.T) {
	for _, size := range []int{16, 22, 24} {
		img := colourImage("attention", size)
		g := newGrid(size)
		y := int(g.cy) - int(g.u) // inside the bar
		var solid, partial int
		for x := 0; x < size; x++ {
			c := img.NRGBAAt(x, y)
			switch {
			case c.R == 255 && c.G == 255 && c.B == 255:
				solid++
			case c.G > colourAttention.G+8: // lighter than the shield but not white: a blurred edge
				partial++
			}
		}
		if solid < 2 || partial != 0 {
			t.Errorf("%d px: row %d of the bar has %d white and %d blurred pixels, want ≥2 and 0", size, y, solid, partial)
		}
	}
}

func TestIconsNameEverySizeAndFormat(t *testing.T) {
	files := map[string]IconFile{}
	for _, f := range Icons() {
		files[f.Name] = f
	}
	for _, state := range States {
		for _, s := range PNGSizes {
			if f, ok := files[PNGName(state, s)]; !ok || len(f.Images) != 1 || f.Images[0].Rect.Dx() != s {
				t.Errorf("%s missing or wrong", PNGName(state, s))
			}
		}
		for _, s := range TemplateSizes {
			if _, ok := files[TemplateName(state, s)]; !ok {
				t.Errorf("missing %s", TemplateName(state, s))
			}
		}
		if f, ok := files[ICOName(state)]; !ok || !f.IsICO() || len(f.Images) != len(ICOSizes) {
			t.Errorf("%s missing or wrong", ICOName(state))
		}
	}
	want := len(States)*(len(PNGSizes)+len(TemplateSizes)+1) + len(AppPNGSizes) + 1
	if len(files) != want {
		t.Errorf("%d files, want %d", len(files), want)
	}
}

func TestEncodeWritesPNGAndICO(t *testing.T) {
	img := colourImage("active", 16)
	data, err := IconFile{Name: "active-16.png", Images: []*image.NRGBA{img}}.Encode()
	if err != nil || !bytes.HasPrefix(data, []byte("\x89PNG")) {
		t.Fatalf("PNG: %v", err)
	}
	data, err = IconFile{Name: "active.ico", Images: []*image.NRGBA{img, colourImage("active", 32)}}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := DecodeICO(data)
	if err != nil || len(entries) != 2 || entries[0].Width != 16 || entries[1].Width != 32 {
		t.Fatalf("ICO entries %+v, %v", entries, err)
	}
}

func TestWriteIconsetHasWhatIconutilNeeds(t *testing.T) {
	dir := t.TempDir()
	if err := WriteIconset(dir); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		size int
	}{{"icon_16x16.png", 16}, {"icon_16x16@2x.png", 32}, {"icon_32x32.png", 32}, {"icon_32x32@2x.png", 64},
		{"icon_128x128.png", 128}, {"icon_128x128@2x.png", 256}, {"icon_256x256.png", 256},
		{"icon_256x256@2x.png", 512}, {"icon_512x512.png", 512}, {"icon_512x512@2x.png", 1024}} {
		cfg := readPNGConfig(t, dir+"/"+c.name)
		if cfg.Width != c.size || cfg.Height != c.size {
			t.Errorf("%s is %dx%d, want %d", c.name, cfg.Width, cfg.Height, c.size)
		}
	}
}

func readPNGConfig(t *testing.T, path string) image.Config {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cfg
}
