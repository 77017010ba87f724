package icongen

import (
	"image"
	"math"

	"golang.org/x/image/vector"
)

// A shape adds closed contours to a rasterizer. Every contour is added with the same
// orientation (clockwise on screen), so overlapping contours of one shape form their union:
// the rasterizer clamps accumulated coverage, while contours of opposite orientation would
// cancel out. Holes are made by subtracting masks instead (see minus).
type shape func(r *vector.Rasterizer)

// pt is a point in pixels, y pointing down.
type pt struct{ x, y float64 }

// render rasterizes shapes into an anti-aliased coverage mask of size×size pixels.
func render(size int, shapes ...shape) *image.Alpha {
	r := vector.NewRasterizer(size, size)
	for _, s := range shapes {
		s(r)
	}
	dst := image.NewAlpha(image.Rect(0, 0, size, size))
	r.Draw(dst, dst.Bounds(), image.Opaque, image.Point{})
	return dst
}

// minus returns a with b cut out: coverage a·(1−b), per pixel.
func minus(a, b *image.Alpha) *image.Alpha {
	out := image.NewAlpha(a.Rect)
	for i := range a.Pix {
		out.Pix[i] = uint8((uint32(a.Pix[i])*(255-uint32(b.Pix[i])) + 127) / 255)
	}
	return out
}

// polygon is a filled polygon; its points may be given in either orientation.
func polygon(ps ...pt) shape {
	return func(r *vector.Rasterizer) {
		if signedArea(ps) < 0 {
			ps = reversed(ps)
		}
		r.MoveTo(f32(ps[0].x), f32(ps[0].y))
		for _, p := range ps[1:] {
			r.LineTo(f32(p.x), f32(p.y))
		}
		r.ClosePath()
	}
}

// rect is an axis-aligned rectangle from (x0, y0) to (x1, y1).
func rect(x0, y0, x1, y1 float64) shape {
	return polygon(pt{x0, y0}, pt{x1, y0}, pt{x1, y1}, pt{x0, y1})
}

// roundRect is a rectangle with circular corners of radius rad.
func roundRect(x0, y0, x1, y1, rad float64) shape {
	rad = math.Min(rad, math.Min(x1-x0, y1-y0)/2)
	if rad <= 0 {
		return rect(x0, y0, x1, y1)
	}
	const k = 0.5522847498 // cubic Bézier approximation of a quarter circle
	c := rad * (1 - k)
	return func(r *vector.Rasterizer) {
		r.MoveTo(f32(x0+rad), f32(y0))
		r.LineTo(f32(x1-rad), f32(y0))
		r.CubeTo(f32(x1-c), f32(y0), f32(x1), f32(y0+c), f32(x1), f32(y0+rad))
		r.LineTo(f32(x1), f32(y1-rad))
		r.CubeTo(f32(x1), f32(y1-c), f32(x1-c), f32(y1), f32(x1-rad), f32(y1))
		r.LineTo(f32(x0+rad), f32(y1))
		r.CubeTo(f32(x0+c), f32(y1), f32(x0), f32(y1-c), f32(x0), f32(y1-rad))
		r.LineTo(f32(x0), f32(y0+rad))
		r.CubeTo(f32(x0), f32(y0+c), f32(x0+c), f32(y0), f32(x0+rad), f32(y0))
		r.ClosePath()
	}
}

// circle is a filled disc.
func circle(cx, cy, rad float64) shape {
	return roundRect(cx-rad, cy-rad, cx+rad, cy+rad, rad)
}

// stroke is a polyline of the given width with butt ends and round joins.
func stroke(width float64, ps ...pt) shape {
	return func(r *vector.Rasterizer) {
		h := width / 2
		for i := 0; i+1 < len(ps); i++ {
			a, b := ps[i], ps[i+1]
			dx, dy := b.x-a.x, b.y-a.y
			l := math.Hypot(dx, dy)
			nx, ny := -dy/l*h, dx/l*h
			polygon(pt{a.x + nx, a.y + ny}, pt{b.x + nx, b.y + ny}, pt{b.x - nx, b.y - ny}, pt{a.x - nx, a.y - ny})(r)
			if i > 0 {
				circle(a.x, a.y, h)(r)
			}
		}
	}
}

func signedArea(ps []pt) float64 {
	var a float64
	for i := range ps {
		p, q := ps[i], ps[(i+1)%len(ps)]
		a += p.x*q.y - q.x*p.y
	}
	return a / 2
}

func reversed(ps []pt) []pt {
	out := make([]pt, len(ps))
	for i, p := range ps {
		out[len(ps)-1-i] = p
	}
	return out
}

func f32(v float64) float32 { return float32(v) }

// counterCircle is a disc traced counter-clockwise: it cuts a hole in a clockwise contour
// of the same shape (see ringShape).
func counterCircle(cx, cy, rad float64) shape {
	const k = 0.5522847498
	c := rad * k
	return func(r *vector.Rasterizer) {
		r.MoveTo(f32(cx), f32(cy-rad))
		r.CubeTo(f32(cx-c), f32(cy-rad), f32(cx-rad), f32(cy-c), f32(cx-rad), f32(cy))
		r.CubeTo(f32(cx-rad), f32(cy+c), f32(cx-c), f32(cy+rad), f32(cx), f32(cy+rad))
		r.CubeTo(f32(cx+c), f32(cy+rad), f32(cx+rad), f32(cy+c), f32(cx+rad), f32(cy))
		r.CubeTo(f32(cx+rad), f32(cy-c), f32(cx+c), f32(cy-rad), f32(cx), f32(cy-rad))
		r.ClosePath()
	}
}
