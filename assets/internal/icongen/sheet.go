package icongen

import (
	"image"
	"image/color"
	"image/draw"
)

// ContactSheet renders every icon on a light and a dark panel, actual size, with the tray
// sizes also magnified (nearest neighbour) to judge their pixels. It is for looking at the
// design, not shipped.
func ContactSheet() *image.NRGBA {
	const zoom = 8
	zoomSizes := []int{16, 22, 32}
	backgrounds := []color.NRGBA{{0xf2, 0xf2, 0xf2, 0xff}, {0x24, 0x24, 0x26, 0xff}}
	names := append(append([]string{}, States...), AppName)

	rowH := 256 + 8
	width := 8
	for _, s := range PNGSizes {
		width += s + 8
	}
	for _, s := range zoomSizes {
		width += s*zoom + 8
	}
	width += 16 + 32 + 24 + 8
	width = max(width, 8+len(States)*(32*zoom+8))
	panelH := len(names)*rowH + 32*zoom + 16
	sheet := image.NewNRGBA(image.Rect(0, 0, width, len(backgrounds)*panelH))

	for i, bg := range backgrounds {
		y := i * panelH
		draw.Draw(sheet, image.Rect(0, y, width, y+panelH), &image.Uniform{bg}, image.Point{}, draw.Src)
		for _, name := range names {
			x := 8
			for _, s := range PNGSizes {
				paste(sheet, colourImage(name, s), x, y+(256-s)/2, 1)
				x += s + 8
			}
			for _, s := range zoomSizes {
				paste(sheet, colourImage(name, s), x, y, zoom)
				x += s*zoom + 8
			}
			if name != AppName {
				// macOS draws template images in the menu bar's text colour; shown here on light grey.
				draw.Draw(sheet, image.Rect(x, y, x+16+32+24, y+48), &image.Uniform{color.NRGBA{0xe8, 0xe8, 0xe8, 0xff}}, image.Point{}, draw.Src)
				paste(sheet, templateImage(name, 16), x+8, y+8, 1)
				paste(sheet, templateImage(name, 32), x+32, y+8, 1)
			}
			y += rowH
		}
		x := 8
		for _, name := range States {
			paste(sheet, templateImage(name, 32), x, y, zoom)
			x += 32*zoom + 8
		}
	}
	return sheet
}

// paste draws img onto dst at (x, y), magnified by zoom, blending over what is there.
func paste(dst *image.NRGBA, img *image.NRGBA, x, y, zoom int) {
	b := img.Bounds()
	for py := 0; py < b.Dy(); py++ {
		for px := 0; px < b.Dx(); px++ {
			c := img.NRGBAAt(px, py)
			for zy := 0; zy < zoom; zy++ {
				for zx := 0; zx < zoom; zx++ {
					dx, dy := x+px*zoom+zx, y+py*zoom+zy
					if !(image.Point{dx, dy}.In(dst.Rect)) {
						continue
					}
					d := dst.NRGBAAt(dx, dy)
					a := uint32(c.A)
					blend := func(s, t uint8) uint8 { return uint8((uint32(s)*a + uint32(t)*(255-a) + 127) / 255) }
					dst.SetNRGBA(dx, dy, color.NRGBA{blend(c.R, d.R), blend(c.G, d.G), blend(c.B, d.B), 0xff})
				}
			}
		}
	}
}
