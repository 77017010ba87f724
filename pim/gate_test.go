package pim

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// PlaneGate is a transport for tests that asserts concurrency by counting, not by the wall
// clock: it holds each plane's list requests until at least PerPlane of every plane are in
// flight at the same moment, then lets everything through. Had the client sent them one after
// another, the first would wait out Hold alone and Met would stay false. Other requests pass.
type PlaneGate struct {
	Next     policy.Transporter
	PerPlane int
	Hold     time.Duration // the longest a request waits for the others; default 10s

	mu       sync.Mutex
	inflight map[Plane]int
	met      chan struct{}
	once     sync.Once
}

var _ policy.Transporter = (*PlaneGate)(nil)

// Do holds the request as described above.
func (g *PlaneGate) Do(req *http.Request) (*http.Response, error) {
	p := planeOfPath(req.URL.Path)
	if p == "" {
		return g.Next.Do(req)
	}
	g.mu.Lock()
	if g.inflight == nil {
		g.inflight = map[Plane]int{}
		g.met = make(chan struct{})
	}
	g.inflight[p]++
	met := len(g.inflight) == len(Planes())
	for _, n := range g.inflight {
		met = met && n >= max(g.PerPlane, 1)
	}
	if met {
		g.once.Do(func() { close(g.met) })
	}
	wait := g.met
	g.mu.Unlock()
	hold := g.Hold
	if hold <= 0 {
		hold = 10 * time.Second
	}
	t := time.NewTimer(hold)
	select {
	case <-wait:
	case <-t.C:
	case <-req.Context().Done():
	}
	t.Stop()
	resp, err := g.Next.Do(req)
	g.mu.Lock()
	g.inflight[p]--
	g.mu.Unlock()
	return resp, err
}

// Met reports whether every plane had PerPlane requests in flight at once.
func (g *PlaneGate) Met() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.met == nil {
		return false
	}
	select {
	case <-g.met:
		return true
	default:
		return false
	}
}

// planeOfPath tells a list request's plane by its path.
func planeOfPath(path string) Plane {
	switch {
	case strings.Contains(path, "/roleManagement/directory/"):
		return PlaneEntra
	case strings.Contains(path, "/identityGovernance/privilegedAccess/group/"):
		return PlaneGroup
	case strings.Contains(path, "/providers/Microsoft.Authorization/"):
		return PlaneAzure
	}
	return ""
}
