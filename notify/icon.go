package notify

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"

	"github.com/godbus/dbus/v5"

	"github.com/pimtray/pimtray/store"
)

// imageData is the freedesktop "image-data" hint (signature iiibiiay): raw RGBA rows,
// not premultiplied.
type imageData struct {
	Width, Height, RowStride int32
	HasAlpha                 bool
	BitsPerSample, Channels  int32
	Data                     []byte
}

// imageDataHint decodes a PNG into the "image-data" hint.
func imageDataHint(pngData []byte) (dbus.Variant, error) {
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		return dbus.Variant{}, fmt.Errorf("decode icon: %w", err)
	}
	b := img.Bounds()
	rgba := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(rgba, rgba.Bounds(), img, b.Min, draw.Src)
	return dbus.MakeVariant(imageData{
		Width: int32(b.Dx()), Height: int32(b.Dy()), RowStride: int32(rgba.Stride),
		HasAlpha: true, BitsPerSample: 8, Channels: 4, Data: rgba.Pix,
	}), nil
}

// iconFile returns a file path of the icon, for services that need a path: IconPath
// when set, else Icon written once into CacheDir. "" when there is none.
func iconFile(opts Options) (string, error) {
	if opts.IconPath != "" || len(opts.Icon) == 0 {
		return opts.IconPath, nil
	}
	dir := opts.CacheDir
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("find cache directory for the notification icon: %w", err)
		}
		dir = filepath.Join(base, "pimtray")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create cache directory for the notification icon: %w", err)
	}
	path := filepath.Join(dir, "notification-icon.png")
	// Bounded, regular files only: whatever else sits there (a pipe, a huge file) is replaced.
	if old, err := store.ReadFile(path, int64(len(opts.Icon))); err == nil && bytes.Equal(old, opts.Icon) {
		return path, nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, opts.Icon, 0o600); err != nil {
		return "", fmt.Errorf("write notification icon: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("write notification icon: %w", err)
	}
	return path, nil
}
