package keyvault

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

// Options configures a Handler. Vaults and Tokens are required.
type Options struct {
	Vaults Registry
	Tokens TokenVerifier
	// Authorizer decides RBAC vaults; nil refuses every data action on them.
	Authorizer Authorizer
	// Store persists secrets; nil keeps them in memory only.
	Store Persister
	// Authority is the login authority named in challenges (the tenant is
	// appended); "" → DefaultAuthority. The emulator names its own.
	Authority string
	// Now is the clock; nil → time.Now.
	Now func() time.Time
	// Logger gets one line per request (method, vault, operation, status,
	// never a header, a body or a value); nil → discard.
	Logger *slog.Logger
	// Bounds that keep the emulator's memory finite (Key Vault itself has
	// none this low): records per vault, live or deleted (default 10,000),
	// and versions per secret (default 1,000).
	MaxSecretsPerVault   int
	MaxVersionsPerSecret int
}

// Handler serves the secrets data plane of every vault in Options.Vaults.
type Handler struct {
	vaults      Registry
	tokens      TokenVerifier
	authz       Authorizer
	store       *store
	authority   string
	now         func() time.Time
	log         *slog.Logger
	maxSecrets  int
	maxVersions int
}

// New builds a Handler and loads the persisted secrets.
func New(o Options) (*Handler, error) {
	if o.Vaults == nil || o.Tokens == nil {
		return nil, errors.New("keyvault: Options.Vaults and Options.Tokens are required")
	}
	st, err := newStore(o.Store)
	if err != nil {
		return nil, err
	}
	h := &Handler{vaults: o.Vaults, tokens: o.Tokens, authz: o.Authorizer, store: st,
		authority: strings.TrimSuffix(o.Authority, "/"), now: o.Now, log: o.Logger,
		maxSecrets: o.MaxSecretsPerVault, maxVersions: o.MaxVersionsPerSecret}
	if h.authority == "" {
		h.authority = DefaultAuthority
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.maxSecrets <= 0 {
		h.maxSecrets = 10000
	}
	if h.maxVersions <= 0 {
		h.maxVersions = 1000
	}
	return h, nil
}

// PurgeVault forgets every secret of a vault (its resource was purged).
func (h *Handler) PurgeVault(name string) error {
	return h.store.dropVault(strings.ToLower(name))
}

// request is one authenticated data-plane request.
type request struct {
	w          http.ResponseWriter
	r          *http.Request
	host       vaultHost
	vault      Vault
	principal  Principal
	apiVersion string
	name       string // secret name of the route, "" for vault-wide operations
	version    string // "" = latest
	now        int64
}

// ServeHTTP answers one data-plane request. Order: vault (Host) →
// authentication (so the SDKs' unauthenticated first request always gets
// the challenge) → api-version → route → authorization → operation.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	op := "unknown"
	defer func() {
		if h.log.Enabled(r.Context(), slog.LevelInfo) {
			vault, _ := VaultName(r.Host)
			h.log.LogAttrs(r.Context(), slog.LevelInfo, "keyvault request",
				slog.String("method", r.Method), slog.String("vault", vault),
				slog.String("operation", op), slog.Int("status", rec.status))
		}
	}()
	w = rec
	h.setCommonHeaders(w, r)

	vh, ok := parseVaultHost(r.Host)
	if !ok {
		writeError(w, badParameter("The host '"+clip(r.Host)+"' does not name a vault: use https://{vault}"+PublicSuffix+" or https://{vault}"+LoopbackSuffix+":{port}."))
		return
	}
	v, ok := h.vaults.Vault(vh.vault)
	if !ok || v.Deleted {
		// Real Key Vault has no such answer (the name does not resolve).
		writeError(w, kvError{status: http.StatusNotFound, code: "VaultNotFound",
			message: "The vault '" + vh.vault + "' does not exist in the emulator (or is deleted): create it with PUT …/providers/Microsoft.KeyVault/vaults/" + vh.vault + " through the emulated ARM."})
		return
	}
	if v.Location != "" {
		w.Header().Set("x-ms-keyvault-region", strings.ToLower(v.Location))
	}
	p, ok := h.authenticate(w, r, vh, v)
	if !ok {
		return
	}
	ver := r.URL.Query().Get("api-version")
	if ver == "" {
		writeError(w, badParameter("The 'api-version' query parameter is required. Consider using the latest supported version ("+latestAPIVersion+")."))
		return
	}
	if !apiVersions[ver] {
		writeError(w, badParameter("The specified version ("+clip(ver)+") is not recognized. Consider using the latest supported version ("+latestAPIVersion+")."))
		return
	}
	rt, kerr := parseRoute(r.Method, r.URL.Path)
	if kerr != nil {
		writeError(w, *kerr)
		return
	}
	op = rt.op.name
	if rt.op.secretScoped && !validSecretName(rt.name) {
		writeError(w, badParameter("The request URI contains an invalid name: "+clip(rt.name)+". Secret names are 1-127 characters of letters, digits and '-'."))
		return
	}
	if rt.version != "" && !validVersion(rt.version) {
		writeError(w, badParameter("The request URI contains an invalid version: "+clip(rt.version)+". A version is 32 hexadecimal characters."))
		return
	}
	if !h.authorize(w, v, p, rt.op, rt.name) {
		return
	}
	req := &request{w: w, r: r, host: vh, vault: v, principal: p, apiVersion: ver, name: rt.name, version: rt.version, now: h.now().Unix()}
	rt.serve(h, req)
}

// setCommonHeaders adds the headers every Key Vault response carries
// (names from recordings; values unverified).
func (h *Handler) setCommonHeaders(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Cache-Control", "no-cache")
	hd.Set("x-ms-request-id", newRequestID())
	hd.Set("x-ms-keyvault-service-version", "1.9.0.0")
	addr := r.RemoteAddr
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	fam := "InterNetwork"
	if strings.Contains(addr, ":") {
		fam = "InterNetworkV6"
	}
	hd.Set("x-ms-keyvault-network-info", "conn_type=Ipv4;addr="+clip(addr)+";act_addr_fam="+fam+";")
	if id := r.Header.Get("x-ms-client-request-id"); id != "" && len(id) <= 128 && printable(id) {
		hd.Set("x-ms-client-request-id", id)
	}
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	s := hex.EncodeToString(b[:])
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

// newVersionID is a fresh 32-hex secret version.
func newVersionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
