package faults

import (
	"bytes"
	"crypto/tls"
	"hash/fnv"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/azmsi/azmsi/emulator/internal/config"
	"github.com/azmsi/azmsi/emulator/internal/httpx"
)

// Injector decides, per request, whether and how a family's request is
// faulted. Decisions come from one PCG generator per family (behind its own
// mutex), seeded from the spec's seed and the family name, so a given seed
// and request order always produce the same faults. Windows (410window,
// down) are measured on the server clock from the moment the spec was
// installed.
type Injector struct {
	now    func() time.Time
	logger *slog.Logger
	config func() *config.Config
	wg     sync.WaitGroup // the down-window poller

	mu     sync.Mutex
	spec   *Faults
	since  time.Time
	rngs   map[string]*familyRNG
	counts map[string]int64 // "imds:500" → injected
	gates  map[string][]*gateListener
	poll   chan struct{} // non-nil while the down-window poller runs; closed to stop it
	closed bool
}

type familyRNG struct {
	mu sync.Mutex
	r  *rand.Rand
}

// Deps is what an Injector needs from the server: the clock windows are
// measured on, the logger, and the configuration snapshot (the wrongid
// fault picks another identity from it).
type Deps struct {
	Clock  func() time.Time
	Logger *slog.Logger
	Config func() *config.Config
}

// New returns an Injector with spec installed (nil: none).
func New(d Deps, spec *Faults) *Injector {
	fi := &Injector{now: d.Clock, logger: d.Logger, config: d.Config, counts: map[string]int64{}, gates: map[string][]*gateListener{}}
	fi.Set(spec)
	return fi
}

// Set installs spec (nil clears) and restarts its windows at the current
// server time. Counters are kept.
func (fi *Injector) Set(spec *Faults) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	if spec != nil && !spec.active() {
		spec = nil
	}
	fi.spec = spec
	fi.since = fi.now()
	fi.rngs = map[string]*familyRNG{}
	if spec != nil {
		for fam := range spec.Families {
			h := fnv.New64a()
			h.Write([]byte(fam))
			fi.rngs[fam] = &familyRNG{r: rand.New(rand.NewPCG(spec.Seed, h.Sum64()))}
		}
	}
	fi.applyDownLocked()
}

// Current returns the installed spec (nil when none) as a copy.
func (fi *Injector) Current() *Faults {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	if fi.spec == nil {
		return nil
	}
	c := &Faults{Seed: fi.spec.Seed, Families: maps.Clone(fi.spec.Families)}
	return c
}

// Counters returns a copy of the injected-fault counters.
func (fi *Injector) Counters() map[string]int64 {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	return maps.Clone(fi.counts)
}

func (fi *Injector) count(family, kind string) {
	fi.mu.Lock()
	fi.counts[family+":"+kind]++
	fi.mu.Unlock()
}

// decision is what happens to one request.
type decision struct {
	latency    time.Duration
	kind       string // "" (serve normally), "410window", a status, "reset", …
	code       int
	retryAfter time.Duration
}

func (fi *Injector) decide(family string) decision {
	fi.mu.Lock()
	spec, since, rng := fi.spec, fi.since, fi.rngs[family]
	fi.mu.Unlock()
	if spec == nil {
		return decision{}
	}
	ff, ok := spec.Families[family]
	if !ok {
		return decision{}
	}
	d := decision{latency: ff.Latency, retryAfter: ff.RetryAfter}
	if d.retryAfter <= 0 {
		d.retryAfter = time.Second
	}
	if ff.Window410 > 0 && fi.now().Before(since.Add(ff.Window410)) {
		// No Retry-After: IMDS's 410 only promises "back within 70 s", so
		// the client's own 410 policy is what gets exercised.
		d.kind, d.code, d.retryAfter = "410window", http.StatusGone, 0
		return d
	}
	if rng == nil {
		return d
	}
	rng.mu.Lock()
	u := rng.r.Float64()
	rng.mu.Unlock()
	acc := 0.0
	for _, r := range ff.rates() {
		acc += r.rate
		if r.rate > 0 && u < acc {
			d.kind, d.code = r.kind, r.code
			break
		}
	}
	return d
}

// faultScope says which paths of a listener belong to the family: IMDS's
// listener also serves the emulator's JWKS and OpenID documents, which are
// not IMDS; control routes are never faulted.
func faultScope(family, path string) bool {
	p := httpx.CleanPath(path)
	if p == "/_emulator" || strings.HasPrefix(p, "/_emulator/") {
		return false
	}
	if family == "imds" {
		return strings.HasPrefix(p, "/metadata/")
	}
	return true
}

// Wrap wraps the handler of one endpoint family with the injector: every
// listener's handler is wrapped this way, fi.Wrap("appservice", h).
func (fi *Injector) Wrap(family string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !faultScope(family, r.URL.Path) {
			h.ServeHTTP(w, r)
			return
		}
		d := fi.decide(family)
		if d.latency > 0 {
			t := time.NewTimer(d.latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
			fi.count(family, "latency")
		}
		if d.kind == "" {
			h.ServeHTTP(w, r)
			return
		}
		fi.count(family, d.kind)
		fi.logger.Info("fault injected", "family", family, "kind", d.kind, "method", r.Method, "path", r.URL.Path)
		switch d.kind {
		case "reset":
			resetConnection(w)
		case "truncate":
			serveTruncated(w, r, h)
		case "html":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><p>injected by the azmsi emulator</p></body></html>\n"))
		case "wrongid":
			h.ServeHTTP(w, fi.wrongIdentity(family, r))
		default:
			writeFaultStatus(w, family, d.code, d.retryAfter)
		}
	})
}

// writeFaultStatus answers with code in the family's error shape.
func writeFaultStatus(w http.ResponseWriter, family string, code int, retryAfter time.Duration) {
	if retryAfter > 0 && (code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable || code == http.StatusGone) {
		w.Header().Set("Retry-After", strconv.Itoa(int((retryAfter+time.Second-1)/time.Second)))
	}
	msg := "fault injected by the azmsi emulator: " + strconv.Itoa(code) + " " + http.StatusText(code)
	if family == "arm" {
		codes := map[int]string{404: "NotFound", 409: "Conflict", 429: "TooManyRequests", 500: "InternalServerError", 502: "BadGateway", 503: "ServiceUnavailable", 504: "GatewayTimeout"}
		c := codes[code]
		if c == "" {
			c = strings.ReplaceAll(http.StatusText(code), " ", "")
		}
		httpx.WriteJSON(w, code, map[string]any{"error": map[string]string{"code": c, "message": msg}})
		return
	}
	e := "server_error"
	switch {
	case code == http.StatusTooManyRequests:
		e = "temporarily_unavailable"
	case code == http.StatusGone:
		e = "upgrade_in_progress"
		msg = "The instance metadata service is being upgraded; retry within 70 seconds (" + msg + ")"
	case code < 500:
		e = "invalid_request"
	}
	httpx.WriteOAuthError(w, code, e, msg)
}

// resetConnection aborts the connection with a TCP RST (SO_LINGER 0), so
// the client sees "connection reset by peer" and no answer. Below TLS the
// connection is closed without a close_notify; wrappers between it and the
// TCP socket (such as a connection limit's) are closed through, so they
// see the close.
func resetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // closes the connection without an answer
	}
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	inner := raw
	for {
		nc, ok := inner.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		inner = nc.NetConn()
	}
	if tc, ok := inner.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = raw.Close()
}

// bufferedResponse records a handler's answer so it can be cut short.
type bufferedResponse struct {
	h    http.Header
	code int
	body bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.h }
func (b *bufferedResponse) WriteHeader(code int) {
	if b.code == 0 {
		b.code = code
	}
}
func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.code == 0 {
		b.code = http.StatusOK
	}
	return b.body.Write(p)
}

// serveTruncated serves the real answer but announces its full length and
// sends only half of it; the server then closes the connection, so the
// client reads an unexpected EOF. An empty answer is reset instead.
func serveTruncated(w http.ResponseWriter, r *http.Request, h http.Handler) {
	rec := &bufferedResponse{h: http.Header{}}
	h.ServeHTTP(rec, r)
	if rec.code == 0 {
		rec.code = http.StatusOK
	}
	if rec.body.Len() < 2 || r.Method == http.MethodHead {
		resetConnection(w)
		return
	}
	for k, v := range rec.h {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(rec.body.Len()))
	w.WriteHeader(rec.code)
	_, _ = w.Write(rec.body.Bytes()[:rec.body.Len()/2])
}

// selectorParams are the query names identity hosts use to pick a
// user-assigned identity, with the identity field each one names.
var selectorParams = map[string]string{
	"client_id": "client", "clientid": "client", "object_id": "object", "principal_id": "object",
	"msi_res_id": "resource", "mi_res_id": "resource",
}

// wrongIdentity returns r with its identity selector pointing at another
// configured identity, so the answer is a valid token for the wrong
// identity. Requests whose selector is not in the query go unchanged.
func (fi *Injector) wrongIdentity(family string, r *http.Request) *http.Request {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return r
	}
	param, value := "", ""
	for name := range selectorParams {
		if v := q.Get(name); v != "" {
			param, value = name, v
		}
	}
	cfg := fi.config()
	var other *config.Identity
	for i := range cfg.Identities {
		id := &cfg.Identities[i]
		if id.Kind != config.KindUser {
			continue
		}
		if value == "" || !(strings.EqualFold(id.ClientID, value) || strings.EqualFold(id.ObjectID, value) || strings.EqualFold(id.ResourceID, value)) {
			other = id
			break
		}
	}
	if other == nil {
		return r
	}
	if param == "" {
		param = "client_id"
		if family == "appservice2017" {
			param = "clientid"
		}
	}
	for name := range selectorParams {
		q.Del(name)
	}
	switch selectorParams[param] {
	case "client":
		q.Set(param, other.ClientID)
	case "object":
		q.Set(param, other.ObjectID)
	default:
		q.Set(param, other.ResourceID)
	}
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = q.Encode()
	return r2
}

// Log notes the installed spec once.
func (fi *Injector) Log() {
	if spec := fi.Current(); spec != nil {
		fi.logger.Info("fault injection on", "faults", spec.String())
	}
}
