package hosts

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/azmsi/azmsi/emulator/internal/httpx"
	"github.com/azmsi/azmsi/emulator/internal/imds"
)

// arcAPIVersions are the api-versions a real agent listed in an error
// (protocols.md §7.1).
var arcAPIVersions = []string{"2019-08-15", "2019-11-01", "2020-06-01", "2021-02-01"}

// maxArcKeys bounds the outstanding challenge keys; the oldest are
// dropped (and their files removed) first.
const maxArcKeys = 64

// arcKeys are the key files issued by challenges and not yet used.
type arcKeys struct {
	dir string

	mu    sync.Mutex
	order []string          // paths, oldest first
	keys  map[string][]byte // path → content
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
	return &arcKeys{dir: dir, keys: map[string][]byte{}}, nil
}

// issue writes a new key file of random content and returns its path.
func (k *arcKeys) issue() (string, error) {
	path := filepath.Join(k.dir, httpx.NewGUID()+".key")
	key := []byte(httpx.RandomSecret() + httpx.RandomSecret())
	if err := os.WriteFile(path, key, 0o600); err != nil {
		return "", err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.keys[path] = key
	k.order = append(k.order, path)
	for len(k.order) > maxArcKeys {
		old := k.order[0]
		k.order = k.order[1:]
		delete(k.keys, old)
		_ = os.Remove(old)
	}
	return path, nil
}

// redeem accepts presented, byte-for-byte equal to an outstanding key, and
// consumes that key (each challenge's key works once).
func (k *arcKeys) redeem(presented string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	for i, path := range k.order {
		if subtle.ConstantTimeCompare([]byte(presented), k.keys[path]) == 1 {
			delete(k.keys, path)
			k.order = append(k.order[:i:i], k.order[i+1:]...)
			_ = os.Remove(path)
			return true
		}
	}
	return false
}

func (k *arcKeys) removeAll() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, p := range k.order {
		_ = os.Remove(p)
	}
	k.order, k.keys = nil, map[string][]byte{}
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
			path, err := keys.issue()
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
