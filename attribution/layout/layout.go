// Package layout places the nodes of a graph in a rectangle for drawing:
// a force-directed layout (Fruchterman-Reingold) started from a seeded
// position and run for a fixed number of steps, so that the same graph
// always gets the same picture. The web UI's infrastructure graph and the
// report's map are drawn from it as SVG; no layout runs in the browser.
package layout

import (
	"math"
	"math/rand/v2"
)

// Edge joins nodes A and B (indices) with a weight; heavier edges pull
// harder. A weight <= 0 counts as 1.
type Edge struct {
	A, B   int
	Weight float64
}

// Point is a node's position.
type Point struct{ X, Y float64 }

// Options size and tune a layout. Zero fields take the defaults noted.
type Options struct {
	Width, Height float64 // default 1000 x 700
	Margin        float64 // kept free at each side; default 40
	Iterations    int     // default 300
	Seed          uint64  // start positions; the same seed gives the same layout
}

// maxNodes bounds the quadratic repulsion step; beyond it, Force still
// answers but places the excess nodes on a grid.
const maxNodes = 2000

// Force lays out n nodes joined by edges and returns one point per node,
// inside [Margin, Width-Margin] x [Margin, Height-Margin]. It is
// deterministic: the same n, edges (in the same order) and options give
// the same points. Edges to indices outside [0, n) are ignored.
func Force(n int, edges []Edge, opt Options) []Point {
	if opt.Width <= 0 {
		opt.Width = 1000
	}
	if opt.Height <= 0 {
		opt.Height = 700
	}
	if opt.Margin <= 0 || 2*opt.Margin >= min(opt.Width, opt.Height) {
		opt.Margin = min(40, min(opt.Width, opt.Height)/4)
	}
	if opt.Iterations <= 0 {
		opt.Iterations = 300
	}
	pts := make([]Point, n)
	switch n {
	case 0:
		return pts
	case 1:
		pts[0] = Point{opt.Width / 2, opt.Height / 2}
		return pts
	}
	laid := min(n, maxNodes)
	rng := rand.New(rand.NewPCG(opt.Seed, 0x756d627261)) // "umbra"
	// Start on a jittered circle: a fair spread that still depends on the seed.
	for i := 0; i < laid; i++ {
		a := 2 * math.Pi * float64(i) / float64(laid)
		r := 0.5 + 0.5*rng.Float64()
		pts[i] = Point{r * math.Cos(a), r * math.Sin(a)}
	}
	var es []Edge
	deg := make([]int, laid)
	for _, e := range edges {
		if e.A < 0 || e.B < 0 || e.A >= laid || e.B >= laid || e.A == e.B {
			continue
		}
		if e.Weight <= 0 {
			e.Weight = 1
		}
		es = append(es, e)
		deg[e.A]++
		deg[e.B]++
	}
	// Work in a unit square; k is the ideal edge length.
	k := math.Sqrt(1.0 / float64(laid))
	disp := make([]Point, laid)
	temp := 0.1
	cool := temp / float64(opt.Iterations+1)
	for it := 0; it < opt.Iterations; it++ {
		for i := range disp {
			disp[i] = Point{}
		}
		for i := 0; i < laid; i++ {
			for j := i + 1; j < laid; j++ {
				dx, dy := pts[i].X-pts[j].X, pts[i].Y-pts[j].Y
				d2 := dx*dx + dy*dy
				if d2 < 1e-12 {
					// Coincident: push apart along a direction fixed by the indices.
					a := float64(i*31+j*17) * 0.618
					dx, dy, d2 = math.Cos(a)*1e-3, math.Sin(a)*1e-3, 1e-6
				}
				f := k * k / d2 // repulsion k^2/d, applied along (dx,dy)/d
				disp[i].X += dx * f
				disp[i].Y += dy * f
				disp[j].X -= dx * f
				disp[j].Y -= dy * f
			}
		}
		for _, e := range es {
			a, b := &pts[e.A], &pts[e.B]
			dx, dy := a.X-b.X, a.Y-b.Y
			d := math.Sqrt(dx*dx + dy*dy)
			if d < 1e-9 {
				continue
			}
			f := d * e.Weight / k // attraction d^2/k, along (dx,dy)/d
			disp[e.A].X -= dx * f
			disp[e.A].Y -= dy * f
			disp[e.B].X += dx * f
			disp[e.B].Y += dy * f
		}
		// A weak pull to the centre keeps components from drifting apart.
		for i := 0; i < laid; i++ {
			disp[i].X -= pts[i].X * 0.05 * k
			disp[i].Y -= pts[i].Y * 0.05 * k
		}
		for i := 0; i < laid; i++ {
			d := math.Sqrt(disp[i].X*disp[i].X + disp[i].Y*disp[i].Y)
			if d > 0 {
				s := min(d, temp) / d
				pts[i].X += disp[i].X * s
				pts[i].Y += disp[i].Y * s
			}
		}
		temp -= cool
	}
	fit(pts[:laid], opt)
	// Nodes past maxNodes go on a grid along the bottom margin.
	for i := laid; i < n; i++ {
		j := i - laid
		cols := int(math.Max(1, (opt.Width-2*opt.Margin)/10))
		pts[i] = Point{opt.Margin + float64(j%cols)*10, opt.Height - opt.Margin/2}
	}
	return pts
}

// fit scales and centres pts into the rectangle, keeping the aspect ratio.
func fit(pts []Point, opt Options) {
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, p := range pts {
		minX, maxX = math.Min(minX, p.X), math.Max(maxX, p.X)
		minY, maxY = math.Min(minY, p.Y), math.Max(maxY, p.Y)
	}
	w, h := opt.Width-2*opt.Margin, opt.Height-2*opt.Margin
	sx, sy := maxX-minX, maxY-minY
	scale := math.Inf(1)
	if sx > 0 {
		scale = w / sx
	}
	if sy > 0 {
		scale = math.Min(scale, h/sy)
	}
	if math.IsInf(scale, 1) {
		scale = 0
	}
	ox := opt.Margin + (w-sx*scale)/2
	oy := opt.Margin + (h-sy*scale)/2
	for i := range pts {
		pts[i].X = round2(ox + (pts[i].X-minX)*scale)
		pts[i].Y = round2(oy + (pts[i].Y-minY)*scale)
	}
}

// round2 keeps two decimals: enough for SVG, and stable output.
func round2(v float64) float64 { return math.Round(v*100) / 100 }
