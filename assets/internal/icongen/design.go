package icongen

import (
	"image"
	"image/color"
	"math"

	"golang.org/x/image/vector"
)

// The motif is a shield (privileged access) whose colour and glyph say the tray state:
//
//	idle       grey shield with a keyhole: nothing is elevated
//	active     green shield with a check mark
//	expiring   amber shield with a clock
//	pending    blue shield with three dots (waiting for approval)
//	attention  red shield with an exclamation mark
//
// Colour alone never carries the state (colour-blind users, and macOS template images have
// none), so every state has its own glyph. Geometry is designed on a 16-unit grid and snapped
// to whole pixels at each size: straight edges land on pixel boundaries so the 16–24 px tray
// sizes stay sharp.

// Palette: mid-tone colours that read on both light and dark panels.
var (
	colourIdle      = color.NRGBA{0x6f, 0x7a, 0x87, 0xff}
	colourActive    = color.NRGBA{0x1f, 0x9d, 0x55, 0xff}
	colourExpiring  = color.NRGBA{0xe0, 0x82, 0x00, 0xff}
	colourPending   = color.NRGBA{0x2f, 0x7d, 0xe1, 0xff}
	colourAttention = color.NRGBA{0xd6, 0x33, 0x33, 0xff}
	colourApp       = color.NRGBA{0x5b, 0x3c, 0xc4, 0xff}
	colourAppLight  = color.NRGBA{0x76, 0x5a, 0xe0, 0xff}
	colourGlyph     = color.NRGBA{0xff, 0xff, 0xff, 0xff}
)

// States are the tray states, in the order the contact sheet shows them.
var States = []string{"idle", "active", "expiring", "pending", "attention"}

// AppName is the name of the application icon's files.
const AppName = "pimtray"

type design struct {
	fill  color.NRGBA
	glyph func(g grid) []shape
	// light, when set, colours the shield's left half: the heraldic split of the app icon.
	light color.NRGBA
	// outlineTemplate draws the macOS template as an outlined shield with a solid glyph:
	// "nothing elevated" looks lighter than every other state in the monochrome menu bar.
	outlineTemplate bool
}

var designs = map[string]design{
	"idle":      {fill: colourIdle, glyph: keyhole, outlineTemplate: true},
	"active":    {fill: colourActive, glyph: checkMark},
	"expiring":  {fill: colourExpiring, glyph: clock},
	"pending":   {fill: colourPending, glyph: dots},
	"attention": {fill: colourAttention, glyph: exclamation},
	AppName:     {fill: colourApp, glyph: keyhole, light: colourAppLight},
}

// grid maps the 16-unit design grid onto one pixel size.
type grid struct {
	size int
	u    float64 // pixels per design unit

	// The shield's box, in pixels.
	left, right, top, bottom float64
	// Where the glyphs are centred, in pixels.
	cx, cy float64
}

func newGrid(size int) grid {
	s := float64(size)
	u := s / 16
	g := grid{size: size, u: u}
	inset := math.Max(1, math.Round(u)) // a pixel of air left and right keeps the edges crisp
	g.left, g.right = inset, s-inset
	g.top = math.Max(0, math.Round(0.75*u))
	g.bottom = s - 0.25*u
	g.cx = s / 2
	g.cy = math.Round(g.top + (g.bottom-g.top)*0.45)
	return g
}

// px rounds a length in design units to whole pixels, at least one.
func (g grid) px(units float64) float64 { return math.Max(1, math.Round(units*g.u)) }

// centreFor returns c moved by half a pixel when a stroke of width w centred on it would
// otherwise straddle pixel boundaries.
func centreFor(c, w float64) float64 {
	frac := math.Mod(c-w/2, 1)
	if frac != 0 {
		return c + 0.5
	}
	return c
}

// shield is the shield outline inset by d pixels on every side.
func (g grid) shield(d float64) shape {
	x0, x1 := g.left+d, g.right-d
	y0, y1 := g.top+d, g.bottom-d*1.15 // the blunt tip moves about 1.1 d for an offset of d
	w := x1 - x0
	rc := math.Max(0, 1.25*g.u-d*0.5) // top corner radius
	side := y0 + (y1-y0)*0.47         // where the straight sides end
	return func(r *vector.Rasterizer) {
		const k = 0.5522847498
		r.MoveTo(f32(x0+rc), f32(y0))
		r.LineTo(f32(x1-rc), f32(y0))
		r.CubeTo(f32(x1-rc*(1-k)), f32(y0), f32(x1), f32(y0+rc*(1-k)), f32(x1), f32(y0+rc))
		r.LineTo(f32(x1), f32(side))
		r.CubeTo(f32(x1), f32(side+(y1-side)*0.3), f32(g.cx+w*0.22), f32(y1-(y1-side)*0.26), f32(g.cx), f32(y1))
		r.CubeTo(f32(g.cx-w*0.22), f32(y1-(y1-side)*0.26), f32(x0), f32(side+(y1-side)*0.3), f32(x0), f32(side))
		r.LineTo(f32(x0), f32(y0+rc))
		r.CubeTo(f32(x0), f32(y0+rc*(1-k)), f32(x0+rc*(1-k)), f32(y0), f32(x0+rc), f32(y0))
		r.ClosePath()
	}
}

func keyhole(g grid) []shape {
	w := g.px(1.6) // width of the slot at its narrow top
	cx := centreFor(g.cx, w)
	head := math.Max(3, 2.3*g.u) // at 16 px: a 6 px head over a 2 px slot still reads as a keyhole
	hy := math.Round(g.cy - 1.2*g.u)
	bottom := math.Round(g.cy + 3.8*g.u)
	flare := 0.6 * g.u
	return []shape{
		circle(cx, hy, head),
		polygon(pt{cx - w/2, hy}, pt{cx + w/2, hy}, pt{cx + w/2 + flare, bottom}, pt{cx - w/2 - flare, bottom}),
	}
}

func checkMark(g grid) []shape {
	w := 1.9 * g.u
	return []shape{stroke(w,
		pt{g.cx - 3.4*g.u, g.cy + 0.1*g.u},
		pt{g.cx - 1.0*g.u, g.cy + 2.5*g.u},
		pt{g.cx + 3.6*g.u, g.cy - 2.3*g.u},
	)}
}

func clock(g grid) []shape {
	ring := g.px(1.2)
	hand := g.px(1.2)
	cx, cy := centreFor(g.cx, hand), centreFor(g.cy, hand)
	outer := 4.0 * g.u
	return []shape{
		ringShape(cx, cy, outer, ring),
		rect(cx-hand/2, cy-math.Round(2.5*g.u), cx+hand/2, cy+hand/2),
		rect(cx-hand/2, cy-hand/2, cx+math.Round(2.0*g.u), cy+hand/2),
	}
}

// ringShape is a circular ring: the outer circle clockwise and the inner one
// counter-clockwise, so the inner disc cancels out. Shapes inside the hole (the clock's hands)
// still show: there they sum to one covering contour.
func ringShape(cx, cy, outer, width float64) shape {
	inner := outer - width
	return func(r *vector.Rasterizer) {
		circle(cx, cy, outer)(r)
		counterCircle(cx, cy, inner)(r)
	}
}

func dots(g grid) []shape {
	d := math.Max(2, math.Round(2.2*g.u))        // diameter
	step := d + math.Max(2, math.Round(1.5*g.u)) // centre to centre: at least 2 px of air
	cx := centreFor(g.cx, d)
	top := math.Round(g.cy + 0.5*g.u - d/2)
	var out []shape
	for _, k := range []float64{-1, 0, 1} {
		x := cx + k*step - d/2
		out = append(out, roundRect(x, top, x+d, top+d, d*dotRoundness(g)))
	}
	return out
}

// dotRoundness keeps the smallest dots square (a 2 px disc is a smudge) and rounds them as
// pixels allow.
func dotRoundness(g grid) float64 {
	return math.Min(0.5, math.Max(0.2, (g.u-1)*0.3+0.2))
}

func exclamation(g grid) []shape {
	w := g.px(2.0)
	cx := centreFor(g.cx, w)
	top := math.Round(g.cy - 4.0*g.u)
	barEnd := math.Round(g.cy + 1.2*g.u)
	dotTop := barEnd + math.Max(1, math.Round(1.0*g.u))
	rad := w * dotRoundness(g)
	return []shape{
		roundRect(cx-w/2, top, cx+w/2, barEnd, rad*0.5),
		roundRect(cx-w/2, dotTop, cx+w/2, dotTop+w, rad),
	}
}

// glyphMask renders the glyph of a design at one size.
func glyphMask(d design, g grid) *image.Alpha {
	return render(g.size, d.glyph(g)...)
}

// union returns the coverage of a or b: a + b − a·b, per pixel.
func union(a, b *image.Alpha) *image.Alpha {
	out := image.NewAlpha(a.Rect)
	for i := range a.Pix {
		x, y := uint32(a.Pix[i]), uint32(b.Pix[i])
		out.Pix[i] = uint8(x + y - (x*y+127)/255)
	}
	return out
}

// colourImage draws a design in colour: the shield filled, the glyph in white on it.
func colourImage(name string, size int) *image.NRGBA {
	d := designs[name]
	g := newGrid(size)
	shield := render(size, g.shield(0))
	glyph := glyphMask(d, g)
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for i := range shield.Pix {
		fill := d.fill
		if d.light.A != 0 && float64(i%size) < g.cx {
			fill = d.light
		}
		// The glyph is composited over the shield colour; alpha is the shield's, so the
		// glyph never spills outside the shield.
		ga := float64(glyph.Pix[i]) / 255
		c := [3]float64{
			lerp(float64(fill.R), float64(colourGlyph.R), ga),
			lerp(float64(fill.G), float64(colourGlyph.G), ga),
			lerp(float64(fill.B), float64(colourGlyph.B), ga),
		}
		o := i * 4
		img.Pix[o+0] = uint8(math.Round(c[0]))
		img.Pix[o+1] = uint8(math.Round(c[1]))
		img.Pix[o+2] = uint8(math.Round(c[2]))
		img.Pix[o+3] = shield.Pix[i]
		if shield.Pix[i] == 0 {
			img.Pix[o+0], img.Pix[o+1], img.Pix[o+2] = 0, 0, 0
		}
	}
	return img
}

// templateImage draws a design as a macOS template image, black and transparent only: the
// shield with its glyph cut out (or, for outlineTemplate, an outline with a solid glyph).
func templateImage(name string, size int) *image.NRGBA {
	d := designs[name]
	g := newGrid(size)
	var shield *image.Alpha
	if d.outlineTemplate {
		outline := minus(render(size, g.shield(0)), render(size, g.shield(g.px(1.4))))
		shield = union(outline, glyphMask(d, g))
	} else {
		shield = minus(render(size, g.shield(0)), glyphMask(d, g))
	}
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for i, a := range shield.Pix {
		img.Pix[i*4+3] = a
	}
	return img
}

func lerp(a, b, t float64) float64 { return a + (b-a)*t }
