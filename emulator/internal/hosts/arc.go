package hosts

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/azmsi/azmsi/emulator/internal/httpx"
	"github.com/azmsi/azmsi/emulator/internal/imds"
)

// arcAPIVersions are the api-versions a real agent listed in an error
// (protocols.md §7.1).
var arcAPIVersions = []string{"2019-08-15", "2019-11-01", "2020-06-01", "2021-02-01"}

// Outstanding challenge keys expire after arcKeyTTL on the server clock
// (a client reads its key file at once), and at most maxArcKeys are
// outstanding. When that many are, a new challenge is refused with 429
// until the oldest expires: a flood of challenges cannot evict a key
// another client is about to present.
const (
	arcKeyTTL  = time.Minute
	maxArcKeys = 1024
)

// errArcKeysFull refuses a challenge while maxArcKeys keys are outstanding.
var errArcKeysFull = errors.New("too many outstanding Arc challenge keys")

// arcKey is one issued key file.
type arcKey struct {
	path    string
	content []byte
	expires time.Time
}

// arcKeys are the key files issued by challenges and not yet used.
type arcKeys struct {
	dir   string
	now   func() time.Time
	limit int

	mu   sync.Mutex
	keys []arcKey // oldest (first to expire) first
}

// newArcKeys prepares the key folder: Options.ArcKeyDir (created 0700 if
// missing) or a temp folder owned by the server.
func (s *Set) newArcKeys() (*arcKeys, error) {
	dir, err := absDir(s.arcDir)
	if err != nil {
		return nil, fmt.Errorf("emulator: ArcKeyDir: %w", err)
	}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "azmsi-arc-tokens-"); err != nil {
			return nil, fmt.Errorf("emulator: Arc key folder: %w", err)
		}
		s.tmpDir = dir
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("emulator: ArcKeyDir: %w", err)
	}
	if strings.Contains(dir, "=") {
		// Peers split the challenge at '=' (protocols.md §7.1).
		return nil, fmt.Errorf("emulator: ArcKeyDir %q must not contain '='", dir)
	}
	return &arcKeys{dir: dir, now: s.now, limit: maxArcKeys}, nil
}

// issue writes a new key file of random content and returns its path. With
// k.limit keys outstanding it returns errArcKeysFull and how long until the
// oldest expires.
func (k *arcKeys) issue() (path string, retry time.Duration, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	k.expireLocked(now)
	if len(k.keys) >= k.limit {
		return "", k.keys[0].expires.Sub(now), errArcKeysFull
	}
	path = filepath.Join(k.dir, httpx.NewGUID()+".key")
	key := []byte(httpx.RandomSecret() + httpx.RandomSecret())
	if err := os.WriteFile(path, key, 0o600); err != nil {
		return "", 0, err
	}
	k.keys = append(k.keys, arcKey{path: path, content: key, expires: now.Add(arcKeyTTL)})
	return path, 0, nil
}

// redeem accepts presented, byte-for-byte equal to an outstanding key that
// has not expired, and consumes that key (each challenge's key works once).
func (k *arcKeys) redeem(presented string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.expireLocked(k.now())
	for i, key := range k.keys {
		if subtle.ConstantTimeCompare([]byte(presented), key.content) == 1 {
			k.keys = slices.Delete(k.keys, i, i+1)
			_ = os.Remove(key.path)
			return true
		}
	}
	return false
}

// expireLocked removes the keys whose time is up, and their files.
func (k *arcKeys) expireLocked(now time.Time) {
	n := 0
	for n < len(k.keys) && !now.Before(k.keys[n].expires) {
		_ = os.Remove(k.keys[n].path)
		n++
	}
	k.keys = slices.Delete(k.keys, 0, n)
}

func (k *arcKeys) removeAll() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, key := range k.keys {
		_ = os.Remove(key.path)
	}
	k.keys = nil
}

// arcHandler serves the Arc agent's token endpoint (protocols.md §7,
// §15.6): Metadata: true; without Authorization a 401 whose
// WWW-Authenticate is exactly "Basic realm=<absolute key path>" after
// writing that key file; with "Authorization: Basic <key>" matching an
// outstanding key, the token. Selectors client_id / object_id /
// msi_res_id (mi_res_id accepted) are echoed in the answer; an unknown
// identity is 404 identity_not_found (as in MSAL Go's tests; unverified).
func (s *Set) arcHandler(keys *arcKeys) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if httpx.CleanPath(r.URL.Path) != arcTokenPath {
			httpx.WriteOAuthError(w, http.StatusNotFound, "not_found", "Not found; the token path is "+arcTokenPath)
			return
		}
		s.stats.TokenRequests.Add(1)
		q, ok := imds.TokenQuery(w, r, func(v string) bool { return slices.Contains(arcAPIVersions, v) }, func(sent string) string {
			return "api-version '" + sent + "' is not supported; supported: " + strings.Join(arcAPIVersions, ", ")
		})
		if !ok {
			return
		}
		auth, present := r.Header["Authorization"]
		if !present {
			path, retry, err := keys.issue()
			if errors.Is(err, errArcKeysFull) {
				w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(retry.Seconds())))))
				httpx.WriteOAuthError(w, http.StatusTooManyRequests, "temporarily_unavailable", "Too many challenges are outstanding; retry after the Retry-After seconds")
				return
			}
			if err != nil {
				s.logger.Error("writing an Arc key file failed", "err", err)
				httpx.WriteOAuthError(w, http.StatusInternalServerError, "server_error", "The emulator could not write the key file")
				return
			}
			w.Header().Set("WWW-Authenticate", "Basic realm="+path)
			httpx.WriteOAuthError(w, http.StatusUnauthorized, "unauthorized", "Read the key file named in WWW-Authenticate and send its content as Authorization: Basic <content>")
			return
		}
		key, ok := strings.CutPrefix(strings.Join(auth, ","), "Basic ")
		if !ok || len(auth) != 1 || !keys.redeem(key) {
			httpx.WriteOAuthError(w, http.StatusUnauthorized, "unauthorized", "The Authorization header does not hold the content of a key file issued by a challenge")
			return
		}
		resource, sel, val, ok := imds.ResourceAndSelector(w, q)
		if !ok {
			return
		}
		id, tok, status, desc := s.tokens.Issue(sel, val, resource, false)
		if id == nil {
			switch {
			case status == http.StatusInternalServerError:
				httpx.WriteOAuthError(w, status, "server_error", desc)
			case sel != "":
				httpx.WriteOAuthError(w, http.StatusNotFound, "identity_not_found", "Identity not found")
			default:
				httpx.WriteOAuthError(w, http.StatusBadRequest, "invalid_request", desc)
			}
			return
		}
		resp := imds.TokenBody(tok, s.tokens.ExpiresIn(tok), resource, id.ClientID)
		switch sel {
		case "object_id":
			resp.ObjectID = id.ObjectID
		case "msi_res_id", "mi_res_id":
			resp.MSIResID = id.ResourceID
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, http.StatusOK, resp)
	})
}
