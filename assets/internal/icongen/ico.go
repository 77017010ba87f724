package icongen

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image/png"
)

// ICO layout (all little-endian): a 6-byte ICONDIR (reserved 0, type 1 = icon, entry count),
// then one 16-byte ICONDIRENTRY per image (width, height — 0 meaning 256 —, colour count,
// reserved, planes, bits per pixel, data size, data offset), then the image data. Since
// Windows Vista an entry's data may be a whole PNG file, which is what EncodeICO writes.

const (
	icoHeaderSize = 6
	icoEntrySize  = 16
)

// ICOEntry is one image of an ICO file.
type ICOEntry struct {
	Width, Height int    // in pixels, as the directory entry declares them
	BitCount      int    // bits per pixel, as declared
	Data          []byte // the image data: a PNG file, or a BMP without file header
}

// IsPNG reports whether the entry's data is a PNG file.
func (e ICOEntry) IsPNG() bool { return bytes.HasPrefix(e.Data, []byte("\x89PNG\r\n\x1a\n")) }

// EncodeICO writes PNG files as the entries of one ICO file, in the order given.
func EncodeICO(pngs [][]byte) ([]byte, error) {
	if len(pngs) == 0 || len(pngs) > 0xffff {
		return nil, fmt.Errorf("encode ico: %d images (want 1 to 65535)", len(pngs))
	}
	var buf bytes.Buffer
	header := []uint16{0, 1, uint16(len(pngs))}
	if err := binary.Write(&buf, binary.LittleEndian, header); err != nil {
		return nil, fmt.Errorf("encode ico: %w", err)
	}
	offset := icoHeaderSize + icoEntrySize*len(pngs)
	for i, data := range pngs {
		cfg, err := png.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("encode ico: image %d: %w", i, err)
		}
		if cfg.Width < 1 || cfg.Width > 256 || cfg.Height < 1 || cfg.Height > 256 {
			return nil, fmt.Errorf("encode ico: image %d is %dx%d (want 1 to 256 px)", i, cfg.Width, cfg.Height)
		}
		entry := struct {
			Width, Height, Colours, Reserved uint8
			Planes, BitCount                 uint16
			Size, Offset                     uint32
		}{uint8(cfg.Width % 256), uint8(cfg.Height % 256), 0, 0, 1, 32, uint32(len(data)), uint32(offset)}
		if err := binary.Write(&buf, binary.LittleEndian, entry); err != nil {
			return nil, fmt.Errorf("encode ico: %w", err)
		}
		offset += len(data)
	}
	for _, data := range pngs {
		buf.Write(data)
	}
	return buf.Bytes(), nil
}

// DecodeICO parses an ICO file's directory and returns its entries.
func DecodeICO(data []byte) ([]ICOEntry, error) {
	if len(data) < icoHeaderSize {
		return nil, errors.New("decode ico: file too short")
	}
	le := binary.LittleEndian
	if le.Uint16(data[0:]) != 0 || le.Uint16(data[2:]) != 1 {
		return nil, errors.New("decode ico: not an icon file")
	}
	n := int(le.Uint16(data[4:]))
	if n == 0 {
		return nil, errors.New("decode ico: no images")
	}
	if len(data) < icoHeaderSize+icoEntrySize*n {
		return nil, errors.New("decode ico: directory truncated")
	}
	entries := make([]ICOEntry, 0, n)
	for i := range n {
		e := data[icoHeaderSize+icoEntrySize*i:]
		w, h := int(e[0]), int(e[1])
		if w == 0 {
			w = 256
		}
		if h == 0 {
			h = 256
		}
		size, off := int(le.Uint32(e[8:])), int(le.Uint32(e[12:]))
		if off < 0 || size < 0 || off > len(data) || size > len(data)-off {
			return nil, fmt.Errorf("decode ico: image %d lies outside the file", i)
		}
		entries = append(entries, ICOEntry{Width: w, Height: h, BitCount: int(le.Uint16(e[6:])), Data: data[off : off+size]})
	}
	return entries, nil
}
